/**
 * 2. Sustained throughput into the local lake, end to end (track → spool → gzip → files,
 * until close), beside the physical limit measured in the same run: JSON.stringify plus
 * gzip of the same events in a tight loop.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createAnalytics } from '../src/index.js';
import { silentLogger } from '../src/logger.js';
import { demoEvents, type Options, round } from './common.js';

export async function throughput(options: Options) {
  const events = demoEvents(options.quick ? 100 : 5000);
  // Physical limit: serialize + gzip (level 6, 16 MiB batches like the lake's) in one thread.
  let t0 = performance.now();
  let raw = 0;
  let batch: string[] = [];
  let batchBytes = 0;
  for (const e of events) {
    const line = JSON.stringify(e);
    batch.push(line);
    batchBytes += line.length + 1;
    if (batchBytes >= 16 * 1024 * 1024) {
      raw += batchBytes;
      gzipSync(`${batch.join('\n')}\n`);
      batch = [];
      batchBytes = 0;
    }
  }
  raw += batchBytes;
  gzipSync(`${batch.join('\n')}\n`);
  const limitSeconds = (performance.now() - t0) / 1000;

  const dir = mkdtempSync(join(tmpdir(), 'vl-bench-tp-'));
  const analytics = createAnalytics({
    local: { dir: join(dir, 'lake') },
    spool: { dir: join(dir, 'spool') },
    logger: silentLogger,
    env: {},
  });
  t0 = performance.now();
  for (let i = 0; i < events.length; i++) {
    analytics.track(events[i]);
    // Yield now and then, as an agent's event loop would, so delivery runs alongside.
    if (i % 5000 === 4999) await new Promise((r) => setImmediate(r));
  }
  const closed = await analytics.close({ timeoutMs: 120_000 });
  const seconds = (performance.now() - t0) / 1000;
  const stats = analytics.stats().destinations.local;
  rmSync(dir, { recursive: true, force: true });
  if (closed.undelivered.local !== 0) throw new Error('throughput run did not deliver every event');
  const eventsPerSecond = events.length / seconds;
  const limitEventsPerSecond = events.length / limitSeconds;
  return {
    events: events.length,
    seconds: round(seconds),
    eventsPerSecond: round(eventsPerSecond, 0),
    mbPerSecond: round((stats?.bytes ?? 0) / 1e6 / seconds),
    limitEventsPerSecond: round(limitEventsPerSecond, 0),
    limitMbPerSecond: round(raw / 1e6 / limitSeconds),
    ratio: round(eventsPerSecond / limitEventsPerSecond),
  };
}
