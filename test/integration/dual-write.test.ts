/**
 * The seed's promise, end to end through moto: every event in the S3 lake (gzip NDJSON,
 * Hive partitions by event date) and in CloudWatch Logs, checked with the AWS CLI too.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createAnalytics } from '../../packages/voicelake/src/index.js';
import { KEY_PATTERN } from '../../packages/voicelake/src/lake/layout.js';
import { silentLogger } from '../../packages/voicelake/src/logger.js';
import {
  awsCli,
  awsEnv,
  clients,
  createBucket,
  listKeys,
  readLogGroup,
  shell,
  uniqueName,
} from '../helpers/aws.js';
import { readLake } from '../helpers/lake.js';
import { tempDir } from '../helpers/tmp.js';

const endpoint = inject('motoEndpoint');
const { s3, logs } = clients(endpoint);
const DAY = 86_400_000;

describe('dual write to S3 and CloudWatch (moto)', () => {
  const bucket = uniqueName('vl-dual');
  const logGroup = uniqueName('/voicelake/dual');
  const tracked = new Map<string, number>();
  let keys: string[] = [];

  beforeAll(async () => {
    // Prepare
    await createBucket(s3, bucket);
    const analytics = createAnalytics({
      env: { ...awsEnv(endpoint), ANALYTICS_S3_BUCKET: bucket, ANALYTICS_LOG_GROUP: logGroup },
      logger: silentLogger,
      spool: { dir: tempDir('vl-spool') },
    });
    // 5,000 events over 3 distinct event days (yesterday's and the day before's, and today's).
    const now = Date.now();
    // Act
    for (let i = 0; i < 5000; i++) {
      const time = now - (i % 3) * DAY - i;
      const result = analytics.track({
        type: 'llm_metrics',
        callId: `call-${i % 40}`,
        time,
        data: { ttftMs: i },
      });
      if (!result.accepted) throw new Error(result.message);
      tracked.set(result.eventId, time);
    }
    const closed = await analytics.close({ timeoutMs: 30_000 });
    expect(closed.timedOut).toBe(false);
    expect(closed.undelivered).toEqual({ s3: 0, cloudwatch: 0 });
    keys = await listKeys(s3, bucket);
  });

  afterAll(() => {
    s3.destroy();
    logs.destroy();
  });

  it('aws s3 ls --recursive shows only keys in the Hive layout, over 3 partitions', async () => {
    // Act
    const listing = await awsCli(endpoint, ['s3', 'ls', `s3://${bucket}/`, '--recursive']);
    const cliKeys = listing
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/).pop() as string);
    // Assess
    expect(cliKeys.sort()).toEqual([...keys].sort());
    for (const key of cliKeys) expect(key).toMatch(KEY_PATTERN);
    const partitions = new Set(cliKeys.map((k) => k.replace(/analytics-.*$/, '')));
    expect(partitions.size).toBe(3);
  });

  it('aws s3 cp <key> - | gunzip prints valid NDJSON whose event dates match the partition', async () => {
    for (const key of keys) {
      // Act
      const text = await shell(
        `aws --endpoint-url ${endpoint} s3 cp "s3://${bucket}/${key}" - | gunzip`,
        awsEnv(endpoint),
      );
      // Assess
      const [, , year, month, day] = KEY_PATTERN.exec(key) ?? [];
      const lines = text.trimEnd().split('\n');
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) {
        const event = JSON.parse(line) as { event_time: string };
        expect(event.event_time.slice(0, 10)).toBe(`${year}-${month}-${day}`);
      }
    }
  });

  it('the bucket holds exactly the 5,000 tracked event_ids, each once', async () => {
    // Act
    const lake = await readLake(s3, bucket);
    const ids = lake.map((l) => l.event.event_id as string);
    // Assess
    expect(ids).toHaveLength(5000);
    expect(new Set(ids).size).toBe(5000);
    expect(new Set(ids)).toEqual(new Set(tracked.keys()));
  });

  it('the log stream holds the same 5,000 lines as the lake', async () => {
    // Act
    const [events, lake] = await Promise.all([readLogGroup(logs, logGroup), readLake(s3, bucket)]);
    // Assess
    expect(events).toHaveLength(5000);
    const lakeLines = new Map(lake.map((l) => [l.event.event_id as string, JSON.stringify(l.event)]));
    for (const e of events) {
      const parsed = JSON.parse(e.message as string) as { event_id: string; event_time: string };
      expect(JSON.stringify(parsed)).toBe(lakeLines.get(parsed.event_id));
      expect(e.timestamp).toBe(Date.parse(parsed.event_time));
    }
  });
});
