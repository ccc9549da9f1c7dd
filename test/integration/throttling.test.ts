/**
 * CloudWatch throttling is retried, never fatal: a proxy answers PutLogEvents with
 * ThrottlingException several times in a row, and every event still arrives.
 */
import { DeleteLogStreamCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createAnalytics } from '../../packages/voicelake/src/index.js';
import { silentLogger } from '../../packages/voicelake/src/logger.js';
import { clients, readLogGroup, uniqueName } from '../helpers/aws.js';
import { startProxy } from '../helpers/proxy.js';
import { tempDir } from '../helpers/tmp.js';

const endpoint = inject('motoEndpoint');
const { logs } = clients(endpoint);

describe('ThrottlingException from PutLogEvents', async () => {
  const proxy = await startProxy(endpoint);
  afterAll(() => proxy.close());

  it('is retried with backoff until every event is in the stream', async () => {
    // Prepare: more throttles than the SDK's own 3 attempts, so voicelake's retry must act.
    const logGroup = uniqueName('/voicelake/throttle');
    proxy.faults.push({ target: '.PutLogEvents', status: 400, type: 'ThrottlingException', times: 7 });
    const analytics = createAnalytics({
      s3: false,
      local: false,
      cloudWatch: { logGroup },
      aws: { endpoint: proxy.endpoint, region: 'us-east-1' },
      spool: { dir: tempDir('vl-spool') },
      logger: silentLogger,
      env: {},
    });
    // Act
    for (let i = 0; i < 300; i++) analytics.track({ type: 'llm_metrics', callId: 'c', data: { ttftMs: i } });
    const first = await analytics.flush();
    const deadline = Date.now() + 30_000;
    while (analytics.stats().destinations.cloudwatch?.pending !== 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await analytics.close({ timeoutMs: 10_000 });
    // Assess
    const cw = analytics.stats().destinations.cloudwatch;
    expect(first.destinations.cloudwatch).toBe('persisted');
    expect(proxy.faults[0]?.times).toBe(0);
    expect(cw?.retried).toBeGreaterThanOrEqual(2);
    expect(cw?.delivered).toBe(300);
    expect(cw?.failed).toBe(0);
    expect(await readLogGroup(logs, logGroup)).toHaveLength(300);
  }, 60_000);
});

describe('InvalidParameterException while setting up the stream (a disabled KMS key, say)', async () => {
  const proxy = await startProxy(endpoint);
  afterAll(() => proxy.close());

  it('is a configuration failure: the events are kept, and delivered once the setup succeeds', async () => {
    // Prepare
    const logGroup = uniqueName('/voicelake/setup');
    const spool = tempDir('vl-spool');
    proxy.faults.push({
      target: '.CreateLogStream',
      status: 400,
      type: 'InvalidParameterException',
      times: 1,
    });
    const options = {
      s3: false,
      local: false,
      cloudWatch: { logGroup },
      aws: { endpoint: proxy.endpoint, region: 'us-east-1' },
      spool: { dir: spool },
      logger: silentLogger,
      env: {},
    } as const;
    const first = createAnalytics(options);
    for (let i = 0; i < 300; i++) first.track({ type: 'llm_metrics', callId: 'c', data: { ttftMs: i } });
    // Act: the setup is refused once; the next process finds it working
    const flushed = await first.flush();
    const refused = first.stats().destinations.cloudwatch;
    await first.close({ timeoutMs: 1000 });
    const second = createAnalytics(options);
    const delivered = await second.flush();
    await second.close({ timeoutMs: 10_000 });
    // Assess
    expect(proxy.faults[0]?.times).toBe(0);
    expect(flushed.destinations.cloudwatch).toBe('persisted');
    expect(refused?.state).toBe('failing');
    expect(refused?.lastError).toMatch(/refused to set up log group/);
    expect(refused?.failed).toBe(0);
    expect(refused?.pending).toBe(300);
    expect(delivered.destinations.cloudwatch).toBe('delivered');
    expect(await readLogGroup(logs, logGroup)).toHaveLength(300);
  }, 60_000);
});

describe('a log stream deleted while voicelake writes to it', () => {
  it('is created again, every event arrives, and none is counted as re-sent', async () => {
    // Prepare
    const logGroup = uniqueName('/voicelake/recreate');
    const analytics = createAnalytics({
      s3: false,
      local: false,
      cloudWatch: { logGroup, logStream: 'agent-1' },
      aws: { endpoint, region: 'us-east-1' },
      spool: { dir: tempDir('vl-spool') },
      logger: silentLogger,
      env: {},
    });
    for (let i = 0; i < 10; i++) analytics.track({ type: 'llm_metrics', callId: 'c', data: { ttftMs: i } });
    const first = await analytics.flush();
    // Act
    await logs.send(new DeleteLogStreamCommand({ logGroupName: logGroup, logStreamName: 'agent-1' }));
    for (let i = 10; i < 20; i++) analytics.track({ type: 'llm_metrics', callId: 'c', data: { ttftMs: i } });
    const second = await analytics.flush();
    await analytics.close({ timeoutMs: 10_000 });
    // Assess
    const cw = analytics.stats().destinations.cloudwatch;
    expect([first.destinations.cloudwatch, second.destinations.cloudwatch]).toEqual([
      'delivered',
      'delivered',
    ]);
    expect(cw).toMatchObject({ delivered: 20, replayed: 0, failed: 0 });
    expect(await readLogGroup(logs, logGroup)).toHaveLength(10);
  }, 60_000);
});
