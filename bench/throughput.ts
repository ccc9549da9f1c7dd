/**
 * 2. Sustained throughput into the local lake, end to end (track → spool → gzip → files,
 * until close), beside the physical limit measured in the same run: JSON.stringify plus
 * gzip of the same events in a tight loop.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DEFAULTS } from '../packages/voicelake/src/config/defaults.js';
import type { TrackInput } from '../packages/voicelake/src/event.js';
import { createAnalytics } from '../packages/voicelake/src/index.js';
import { silentLogger } from '../packages/voicelake/src/logger.js';
import { demoEvents, type Options, round } from './common.js';

export async function throughput(options: Options) {
  const events = demoEvents(options.quick ? 100 : 5000);
  // Physical limit: serialize + gzip (voicelake's level, 16 MiB batches like the lake's) in one thread.
  const t0 = performance.now();
  let raw = 0;
  let batch: string[] = [];
  let batchBytes = 0;
  for (const e of events) {
    const line = JSON.stringify(e);
    batch.push(line);
    batchBytes += line.length + 1;
    if (batchBytes >= 16 * 1024 * 1024) {
      raw += batchBytes;
      gzipSync(`${batch.join('\n')}\n`, { level: DEFAULTS.s3.gzipLevel });
      batch = [];
      batchBytes = 0;
    }
  }
  raw += batchBytes;
  gzipSync(`${batch.join('\n')}\n`, { level: DEFAULTS.s3.gzipLevel });
  const limitSeconds = (performance.now() - t0) / 1000;

  const withSpool = await endToEnd(events, true);
  const noSpool = await endToEnd(events, false);
  const limitEventsPerSecond = events.length / limitSeconds;
  return {
    events: events.length,
    gzipLevel: DEFAULTS.s3.gzipLevel,
    seconds: round(withSpool.seconds),
    eventsPerSecond: round(withSpool.eventsPerSecond, 0),
    mbPerSecond: round(withSpool.mbPerSecond),
    ratio: round(withSpool.eventsPerSecond / limitEventsPerSecond),
    noSpoolEventsPerSecond: round(noSpool.eventsPerSecond, 0),
    noSpoolMbPerSecond: round(noSpool.mbPerSecond),
    noSpoolRatio: round(noSpool.eventsPerSecond / limitEventsPerSecond),
    limitEventsPerSecond: round(limitEventsPerSecond, 0),
    limitMbPerSecond: round(raw / 1e6 / limitSeconds),
  };
}

/** Track every event (yielding every 1,000, as an agent's loop would), then close: wall time for all of it. */
async function endToEnd(events: TrackInput[], spool: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'vl-bench-tp-'));
  const analytics = createAnalytics({
    local: { dir: join(dir, 'lake') },
    spool: spool ? { dir: join(dir, 'spool') } : false,
    logger: silentLogger,
    env: {},
  });
  const t0 = performance.now();
  for (let i = 0; i < events.length; i++) {
    analytics.track(events[i]);
    if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
  }
  const closed = await analytics.close({ timeoutMs: 120_000 });
  const seconds = (performance.now() - t0) / 1000;
  const stats = analytics.stats().destinations.local;
  rmSync(dir, { recursive: true, force: true });
  if (closed.undelivered.local !== 0) throw new Error('throughput run did not deliver every event');
  return {
    seconds,
    eventsPerSecond: events.length / seconds,
    mbPerSecond: (stats?.bytes ?? 0) / 1e6 / seconds,
  };
}
