/**
 * Zero loss, zero duplicates in the lake: outages, crashes, torn spool tails and shutdown,
 * with real processes against moto and a proxy between them that cuts the network.
 */
import { closeSync, ftruncateSync, openSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createAnalytics } from '../../packages/voicelake/src/index.js';
import { silentLogger } from '../../packages/voicelake/src/logger.js';
import { awsEnv, clients, createBucket, listKeys, readLogGroup, uniqueName } from '../helpers/aws.js';
import { readLake } from '../helpers/lake.js';
import { freePort } from '../helpers/net.js';
import { resultOf, runNode, startNode } from '../helpers/process.js';
import { type InspectingProxy, startProxy } from '../helpers/proxy.js';
import { tempDir } from '../helpers/tmp.js';

const endpoint = inject('motoEndpoint');
const { s3, logs } = clients(endpoint);
const agent = resolve(import.meta.dirname, '../fixtures/agent.mjs');

interface Stats {
  destinations: Record<
    string,
    { delivered: number; replayed: number; pending: number; dropped: number; retried: number }
  >;
  spool?: { diskBytes: number; corruptTails: number };
}

/** Events in the lake by data.seq, asserting each event_id appears once. */
async function lakeSeqs(bucket: string): Promise<number[]> {
  const lake = await readLake(s3, bucket);
  const ids = lake.map((l) => l.event.event_id);
  expect(new Set(ids).size).toBe(ids.length);
  return lake.map((l) => JSON.parse(l.event.custom as string).seq as number).sort((a, b) => a - b);
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('durability', () => {
  let proxy: InspectingProxy;
  beforeAll(async () => {
    proxy = await startProxy(endpoint);
  });
  afterAll(async () => {
    await proxy.close();
  });

  function setup() {
    const bucket = uniqueName('vl-dur');
    const logGroup = uniqueName('/voicelake/dur');
    const env = {
      ...awsEnv(proxy.endpoint),
      ANALYTICS_S3_BUCKET: bucket,
      ANALYTICS_LOG_GROUP: logGroup,
      ANALYTICS_SPOOL_DIR: tempDir('vl-spool'),
    };
    return { bucket, logGroup, env };
  }

  it('an outage of both destinations mid-stream: 20,000 events in S3 exactly once, all in CloudWatch', async () => {
    // Prepare
    const { bucket, logGroup, env } = setup();
    await createBucket(s3, bucket);
    proxy.mode = 'forward';
    const sent = (to: 's3' | 'logs', list: { target?: string | undefined; method: string }[]) =>
      list.filter((r) => (to === 'logs' ? r.target?.endsWith('PutLogEvents') : r.method === 'PUT')).length;
    const before = { s3: sent('s3', proxy.requests), logs: sent('logs', proxy.requests) };
    // Act: 20,000 events at 1,000/s; the network is cut once both destinations have delivered,
    // and restored once each has failed against it (its "delivery failed, will retry" warning).
    const running = startNode(agent, { ...env, VL_MODE: 'steady', VL_RATE: '1000', VL_TOTAL: '20000' });
    const wait = { timeout: 60_000, interval: 20 };
    await expect.poll(() => sent('s3', proxy.requests) - before.s3, wait).toBeGreaterThan(0);
    await expect.poll(() => sent('logs', proxy.requests) - before.logs, wait).toBeGreaterThan(0);
    const refusedBefore = proxy.refused.length;
    proxy.mode = 'refuse';
    for (const name of ['s3', 'cloudwatch'])
      await expect
        .poll(() => running.stderr.includes(`"msg":"${name} delivery failed, will retry`), wait)
        .toBe(true);
    proxy.mode = 'forward';
    const exit = await running.exited;
    // Assess
    expect(exit.code, running.stderr).toBe(0);
    const result = resultOf<{ tracked: number; stats: Stats }>(running.stdout);
    expect(result.tracked).toBe(20_000);
    const refused = proxy.refused.slice(refusedBefore);
    expect(sent('s3', refused), 'S3 requests refused by the outage').toBeGreaterThan(0);
    expect(sent('logs', refused), 'CloudWatch requests refused by the outage').toBeGreaterThan(0);
    // The outage happened: each destination saw failed attempts and retried them.
    expect(result.stats.destinations.s3?.retried).toBeGreaterThan(0);
    expect(result.stats.destinations.cloudwatch?.retried).toBeGreaterThan(0);
    expect(await lakeSeqs(bucket)).toEqual(range(20_000));
    const cw = await readLogGroup(logs, logGroup);
    const distinct = new Set(cw.map((e) => JSON.parse(e.message as string).event_id));
    expect(distinct.size).toBe(20_000);
    const replayed = result.stats.destinations.cloudwatch?.replayed ?? 0;
    expect(cw.length - 20_000).toBeLessThanOrEqual(replayed);
    console.log(
      `outage: cloudwatch stored ${cw.length} events (${replayed} counted as replayed), s3 20000 exactly once`,
    );
  }, 120_000);

  it('SIGKILL after flush() with destinations down: a new process delivers all 10,000 exactly once', async () => {
    // Prepare
    const { bucket, logGroup, env } = setup();
    await createBucket(s3, bucket);
    proxy.mode = 'refuse';
    // Act
    const producer = startNode(agent, { ...env, VL_MODE: 'crash', VL_TOTAL: '10000' });
    await producer.waitFor('RESULT ');
    const crashed = resultOf<{ flush: { destinations: Record<string, string> } }>(producer.stdout);
    producer.child.kill('SIGKILL');
    await producer.exited;
    proxy.mode = 'forward';
    const drain = await runNode(agent, { ...env, VL_MODE: 'drain' }, 120_000);
    // Assess
    expect(crashed.flush.destinations).toEqual({ s3: 'persisted', cloudwatch: 'persisted' });
    expect(drain.code, drain.stderr).toBe(0);
    const drained = resultOf<{ stats: Stats }>(drain.stdout);
    expect(drained.stats.destinations.s3?.delivered).toBe(10_000);
    expect(await lakeSeqs(bucket)).toEqual(range(10_000));
    const cw = await readLogGroup(logs, logGroup);
    expect(new Set(cw.map((e) => JSON.parse(e.message as string).event_id)).size).toBe(10_000);
  }, 120_000);

  it('a spool segment torn mid-record: every complete record before the cut is delivered', async () => {
    // Prepare: S3 unreachable, so the events stay in the spool.
    const spoolDir = tempDir('vl-spool');
    const bucket = uniqueName('vl-torn');
    await createBucket(s3, bucket);
    const deadPort = await freePort();
    const first = createAnalytics({
      s3: { bucket },
      cloudWatch: false,
      local: false,
      aws: { endpoint: `http://127.0.0.1:${deadPort}` },
      spool: { dir: spoolDir },
      logger: silentLogger,
      env: {},
    });
    for (let i = 0; i < 1000; i++) first.track({ type: 't', callId: 'c', data: { seq: i } });
    expect((await first.flush()).destinations.s3).toBe('persisted');
    await first.close({ timeoutMs: 1000 });
    const segment = readdirSync(spoolDir).find((f) => f.startsWith('seg-')) as string;
    const path = join(spoolDir, segment);
    const fd = openSync(path, 'r+');
    ftruncateSync(fd, statSync(path).size - 10);
    closeSync(fd);
    // Act
    const second = createAnalytics({
      s3: { bucket },
      cloudWatch: false,
      local: false,
      aws: { endpoint },
      spool: { dir: spoolDir },
      logger: silentLogger,
      env: {},
    });
    const closed = await second.close({ timeoutMs: 30_000 });
    // Assess
    expect(closed.undelivered).toEqual({ s3: 0 });
    expect(second.stats().spool).toMatchObject({ mode: 'disk', corruptTails: 1 });
    expect(await lakeSeqs(bucket)).toEqual(range(999));
  });

  it('SIGTERM under load with installShutdownHandlers: exits within its bound; the next start delivers the rest', async () => {
    // Prepare
    const { bucket, env } = setup();
    await createBucket(s3, bucket);
    proxy.mode = 'forward';
    const producer = startNode(agent, {
      ...env,
      VL_MODE: 'shutdown',
      VL_RATE: '2000',
      VL_CLOSE_TIMEOUT_MS: '2000',
      VL_S3_INTERVAL_MS: '30000',
      VL_LOADED: '4000',
    });
    // Under load: S3 sends every 30 s, so what it tracked so far is all undelivered.
    await producer.waitFor('LOADED ');
    // Act: the network hangs, so the final flush cannot finish within its bound.
    proxy.mode = 'hang';
    const signalled = Date.now();
    producer.child.kill('SIGTERM');
    const exit = await producer.exited;
    proxy.mode = 'forward';
    const tracked = Number(/TRACKED (\d+)/.exec(producer.stdout)?.[1]);
    const drain = await runNode(agent, { ...env, VL_MODE: 'drain' }, 120_000);
    // Assess
    expect(exit.at - signalled).toBeLessThan(2000 + 1500);
    expect(exit.code).toBe(128 + 15);
    expect(tracked).toBeGreaterThan(1000);
    expect(drain.code, drain.stderr).toBe(0);
    expect(await lakeSeqs(bucket)).toEqual(range(tracked));
  }, 120_000);

  it('a second process on the same spool directory gets a clear SpoolError, not corruption', async () => {
    // Prepare: a live producer owns the spool.
    const { env } = setup();
    proxy.mode = 'forward';
    const owner = startNode(agent, { ...env, VL_MODE: 'shutdown', VL_RATE: '100' });
    await owner.waitFor('READY');
    // Act
    const second = await runNode(resolve(import.meta.dirname, '../fixtures/open-spool.mjs'), env);
    owner.child.kill('SIGTERM');
    await owner.exited;
    const third = await runNode(resolve(import.meta.dirname, '../fixtures/open-spool.mjs'), env);
    // Assess
    expect(resultOf(second.stdout)).toMatchObject({
      opened: false,
      name: 'SpoolError',
      code: 'VL_ERR_SPOOL',
      message: expect.stringContaining(`in use by process ${owner.child.pid}`),
    });
    expect(resultOf(third.stdout)).toEqual({ opened: true });
  }, 60_000);

  it('a pending retry never keeps the process alive: no close(), destinations down, the process exits', async () => {
    // Prepare
    const { env } = setup();
    proxy.mode = 'refuse';
    // Act
    const run = await runNode(resolve(import.meta.dirname, '../fixtures/no-close.mjs'), env, 20_000);
    proxy.mode = 'forward';
    // Assess
    expect(run.code, run.stderr).toBe(0);
    const result = resultOf<{ flush: { destinations: Record<string, string> }; stats: Stats }>(run.stdout);
    expect(result.flush.destinations).toEqual({ s3: 'persisted', cloudwatch: 'persisted' });
    expect(result.stats.destinations.s3?.pending).toBe(200);
  }, 30_000);

  it('a batch half-written when the process stops is replayed with the same keys: each event once', async () => {
    // Prepare: one batch spanning two event days; the second day's PutObject keeps failing.
    const spoolDir = tempDir('vl-spool');
    const bucket = uniqueName('vl-half');
    await createBucket(s3, bucket);
    proxy.mode = 'forward';
    proxy.faults.push({ path: /day(=|%3D)02/, reset: true, times: 1_000 });
    const options = {
      s3: { bucket },
      cloudWatch: false as const,
      local: false as const,
      aws: { endpoint: proxy.endpoint, region: 'us-east-1' },
      spool: { dir: spoolDir },
      logger: silentLogger,
      env: {},
    };
    const first = createAnalytics(options);
    for (let i = 0; i < 400; i++) {
      first.track({ type: 't', callId: 'c', time: Date.UTC(2026, 0, 1 + (i % 2), 12), data: { seq: i } });
    }
    // Act
    const firstClose = await first.close({ timeoutMs: 2000 });
    const keysAfterFirst = await listKeys(s3, bucket);
    (proxy.faults.at(-1) as { times: number }).times = 0;
    const second = createAnalytics(options);
    const secondClose = await second.close({ timeoutMs: 30_000 });
    // Assess
    expect(firstClose.undelivered).toEqual({ s3: 400 });
    expect(keysAfterFirst).toHaveLength(1);
    expect(keysAfterFirst[0]).toContain('day=01/');
    expect(secondClose.undelivered).toEqual({ s3: 0 });
    expect(second.stats().destinations.s3?.replayed).toBe(400);
    const keys = await listKeys(s3, bucket);
    expect(keys).toHaveLength(2);
    expect(keys).toContain(keysAfterFirst[0]);
    expect(await lakeSeqs(bucket)).toEqual(range(400));
  }, 60_000);
});
