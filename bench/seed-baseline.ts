/**
 * 3. Against the seed's design: voicelake into moto S3 + CloudWatch, beside a baseline that
 * follows the seed literally — per event, one gzip and one PutObject, plus one PutLogEvents.
 */
import { gzipSync } from 'node:zlib';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { normalizeEvent } from '../packages/voicelake/src/event.js';
import { createAnalytics } from '../packages/voicelake/src/index.js';
import { objectKey, partitionPath } from '../packages/voicelake/src/lake/layout.js';
import { silentLogger } from '../packages/voicelake/src/logger.js';
import { demoEvents, type Options, round } from './common.js';

export async function seedBaseline(options: Options, endpoint: string, spoolDir: string) {
  const calls = options.quick ? 20 : 1000;
  const events = demoEvents(calls, 11);
  const common = {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  const s3 = new S3Client({ ...common, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' });
  const logs = new CloudWatchLogsClient(common);
  const suffix = Date.now().toString(36);

  // voicelake
  const bucket = `vl-bench-${suffix}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const analytics = createAnalytics({
    s3: { bucket },
    cloudWatch: { logGroup: `/bench/voicelake-${suffix}` },
    local: false,
    aws: { endpoint, region: 'us-east-1' },
    spool: { dir: spoolDir },
    logger: silentLogger,
    env: {},
  });
  let t0 = performance.now();
  for (let i = 0; i < events.length; i++) {
    analytics.track(events[i]);
    if (i % 5000 === 4999) await new Promise((r) => setImmediate(r));
  }
  const closed = await analytics.close({ timeoutMs: 300_000 });
  const vlSeconds = (performance.now() - t0) / 1000;
  const stats = analytics.stats().destinations;
  if (closed.undelivered.s3 !== 0 || closed.undelivered.cloudwatch !== 0)
    throw new Error('voicelake run incomplete');
  const vlS3Requests = stats.s3?.requests ?? 0;

  // The seed, literally: per event, gzip + PutObject + PutLogEvents, awaited in turn.
  const seedBucket = `vl-seed-${suffix}`;
  const group = `/bench/seed-${suffix}`;
  await s3.send(new CreateBucketCommand({ Bucket: seedBucket }));
  await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 's' }));
  const seedEvents = events.slice(0, options.quick ? 20 : 600);
  t0 = performance.now();
  for (const input of seedEvents) {
    const n = normalizeEvent(input, 1 << 20, Date.now());
    if (!n.ok) continue;
    const body = gzipSync(n.record.line);
    await s3.send(
      new PutObjectCommand({
        Bucket: seedBucket,
        Key: objectKey('', partitionPath(n.record.timeMs)),
        Body: body,
      }),
    );
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: group,
        logStreamName: 's',
        logEvents: [{ timestamp: Date.now(), message: n.record.line }],
      }),
    );
  }
  const seedSeconds = (performance.now() - t0) / 1000;
  s3.destroy();
  logs.destroy();
  const vlRate = events.length / vlSeconds;
  const seedRate = seedEvents.length / seedSeconds;
  const eventsPerCall = events.length / calls;
  return {
    calls,
    events: events.length,
    eventsPerCall: round(eventsPerCall, 1),
    voicelakeEventsPerSecond: round(vlRate, 0),
    voicelakeS3Requests: vlS3Requests,
    voicelakeCloudWatchRequests: stats.cloudwatch?.requests ?? 0,
    voicelakeStoredBytes: stats.s3?.storedBytes ?? 0,
    voicelakeRawBytes: stats.s3?.bytes ?? 0,
    seedEvents: seedEvents.length,
    seedEventsPerSecond: round(seedRate, 1),
    ratio: round(vlRate / seedRate, 1),
    s3RequestsPer10kCalls: {
      voicelake: Math.ceil((vlS3Requests / calls) * 10_000),
      seed: Math.round(eventsPerCall * 10_000),
    },
  };
}
