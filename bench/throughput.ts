/**
 * 2. Sustained throughput into the local lake, end to end (track → spool → gzip → files,
 * until close), spool on and spool off, beside the physical limit of the same shape, in
 * alternating rounds in one process. Each round gives one ratio per voicelake variant; the
 * result is the median of those ratios, with their spread.
 *
 * The limit has voicelake's shape on a 2-core machine: `JSON.stringify` of every event on the
 * event loop (which serializes), the NDJSON cut into objects of `DEFAULTS.maxObjectBytes`,
 * each gzipped asynchronously in zlib's thread pool at the lake's level, with up to
 * `DEFAULTS.s3.concurrency` objects in flight, yielding every 1,000 events as the voicelake
 * runs do. No validation, no ids, no spool, no files: what is left is the floor.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { DEFAULTS } from '../packages/voicelake/src/config/defaults.js';
import type { TrackInput } from '../packages/voicelake/src/event.js';
import { createAnalytics } from '../packages/voicelake/src/index.js';
import { silentLogger } from '../packages/voicelake/src/logger.js';
import { demoEvents, median, type Options, round, roundedRatio, settle, yieldToLoop } from './common.js';

const gzipAsync = promisify(gzip);

/** The limit's parameters: voicelake's lake defaults. */
export const LIMIT_SHAPE = {
  objectBytes: DEFAULTS.maxObjectBytes,
  gzipLevel: DEFAULTS.local.gzipLevel,
  parallel: DEFAULTS.s3.concurrency,
} as const;

export async function throughput(options: Options) {
  const events = demoEvents(options.quick ? 100 : 3000);
  const rounds = options.quick ? 5 : 7;
  // Warm-up (JIT, thread pool, page cache), untimed.
  const warm = events.slice(0, options.quick ? 1000 : 30_000);
  await endToEnd(warm, true);
  await endToEnd(warm, false);
  await limit(warm);

  const on: Run[] = [];
  const off: Run[] = [];
  const lim: Run[] = [];
  for (let r = 0; r < rounds; r++) {
    // The limit sits between the two voicelake runs; which of them goes first alternates.
    // Each timed run starts from a collected heap (see `settle`).
    settle();
    if (r % 2 === 0) on.push(await endToEnd(events, true));
    else off.push(await endToEnd(events, false));
    settle();
    lim.push(await limit(events));
    settle();
    if (r % 2 === 0) off.push(await endToEnd(events, false));
    else on.push(await endToEnd(events, true));
  }
  const rate = (runs: Run[]) => median(runs.map((x) => x.eventsPerSecond));
  const mb = (runs: Run[]) => median(runs.map((x) => x.mbPerSecond));
  return {
    events: events.length,
    rounds,
    gzipLevel: DEFAULTS.local.gzipLevel,
    limitObjectBytes: LIMIT_SHAPE.objectBytes,
    limitParallel: LIMIT_SHAPE.parallel,
    /** Medians over the rounds. */
    eventsPerSecond: round(rate(on), 0),
    mbPerSecond: round(mb(on), 2),
    noSpoolEventsPerSecond: round(rate(off), 0),
    noSpoolMbPerSecond: round(mb(off), 2),
    limitEventsPerSecond: round(rate(lim), 0),
    limitMbPerSecond: round(mb(lim), 2),
    /** Per round: spool-on events/s / the limit's events/s in the same round. */
    ratio: roundedRatio(on.map((x, i) => x.eventsPerSecond / (lim[i] as Run).eventsPerSecond)),
    noSpoolRatio: roundedRatio(off.map((x, i) => x.eventsPerSecond / (lim[i] as Run).eventsPerSecond)),
    eventsPerSecondPerRound: {
      spoolOn: on.map((x) => round(x.eventsPerSecond, 0)),
      spoolOff: off.map((x) => round(x.eventsPerSecond, 0)),
      limit: lim.map((x) => round(x.eventsPerSecond, 0)),
    },
  };
}

interface Run {
  seconds: number;
  eventsPerSecond: number;
  /** Raw NDJSON MB/s. */
  mbPerSecond: number;
}

/** The physical limit of the lake's shape (see the file's comment). */
async function limit(events: TrackInput[]): Promise<Run> {
  const { objectBytes, gzipLevel, parallel } = LIMIT_SHAPE;
  const inFlight = new Set<Promise<void>>();
  let lines: string[] = [];
  let pending = 0;
  let raw = 0;
  let stored = 0;
  const launch = async () => {
    const body = `${lines.join('\n')}\n`;
    raw += pending;
    lines = [];
    pending = 0;
    const job: Promise<void> = gzipAsync(body, { level: gzipLevel }).then((gz) => {
      stored += gz.length;
      inFlight.delete(job);
    });
    inFlight.add(job);
    if (inFlight.size >= parallel) await Promise.race(inFlight);
  };
  const t0 = performance.now();
  for (let i = 0; i < events.length; i++) {
    const line = JSON.stringify(events[i]);
    if (pending > 0 && pending + line.length + 1 > objectBytes) await launch();
    lines.push(line);
    pending += line.length + 1;
    if (i % 1000 === 999) await yieldToLoop();
  }
  if (pending > 0) await launch();
  await Promise.all(inFlight);
  const seconds = (performance.now() - t0) / 1000;
  if (stored === 0) throw new Error('limit run compressed nothing');
  return { seconds, eventsPerSecond: events.length / seconds, mbPerSecond: raw / 1e6 / seconds };
}

/** Track every event (yielding every 1,000, as an agent's loop would), then close: wall time for all of it. */
async function endToEnd(events: TrackInput[], spool: boolean): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'vl-bench-tp-'));
  const analytics = createAnalytics({
    local: { dir: join(dir, 'lake') },
    spool: spool ? { dir: join(dir, 'spool') } : false,
    logger: silentLogger,
    env: {},
  });
  const t0 = performance.now();
  for (let i = 0; i < events.length; i++) {
    analytics.track(events[i] as TrackInput);
    if (i % 1000 === 999) await yieldToLoop();
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
