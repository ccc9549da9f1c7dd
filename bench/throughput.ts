/**
 * 2. Sustained throughput into the local lake, end to end (track → spool → gzip → files,
 * until close), spool on and spool off, beside the physical limit of the same shape, in
 * alternating rounds in one process. Each round gives one ratio per voicelake variant; the
 * result is the median of those ratios, with their spread.
 *
 * The limit has voicelake's shape on a 2-core machine: `JSON.stringify` of every stored row on
 * the event loop (which serializes), the NDJSON cut into objects of `DEFAULTS.maxObjectBytes`,
 * each gzipped asynchronously in zlib's thread pool at the lake's level, with up to
 * `DEFAULTS.s3.concurrency` objects in flight, yielding every 1,000 events as the voicelake
 * runs do. No validation, no ids, no spool, no files: what is left is the floor.
 *
 * The rows it serializes are the lake's own (built untimed before each limit run, by the same
 * normalization `track()` does): the limit writes the same bytes as voicelake, byte for byte in
 * length, which is checked. The first definition serialized the `track()` inputs instead, about
 * 30% fewer bytes per event (no `event_id`, `event_time` or `schema_version`): a smaller job than
 * the one measured. It is still run in every round and reported beside, as `inputLimit`. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { DEFAULTS } from '../packages/voicelake/src/config/defaults.js';
import { normalizeEvent, type TrackInput } from '../packages/voicelake/src/event.js';
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
  await limit(storedRows(warm));
  await limit(warm);

  const on: Run[] = [];
  const off: Run[] = [];
  const lim: Run[] = [];
  const inputLim: Run[] = [];
  let rowBytes = 0;
  for (let r = 0; r < rounds; r++) {
    // The limit sits between the two voicelake runs; which of them goes first alternates.
    // Each timed run starts from a collected heap (see `settle`).
    settle();
    if (r % 2 === 0) on.push(await endToEnd(events, true));
    else off.push(await endToEnd(events, false));
    const rows = storedRows(events);
    settle();
    const l = await limit(rows);
    lim.push(l);
    rowBytes = l.rawBytes;
    settle();
    inputLim.push(await limit(events));
    settle();
    if (r % 2 === 0) off.push(await endToEnd(events, false));
    else on.push(await endToEnd(events, true));
  }
  // Same bytes: the limit's NDJSON has the length of what voicelake wrote (ids and times differ, not their length).
  const written = on[0]?.rawBytes ?? 0;
  if (rowBytes !== written) throw new Error(`limit wrote ${rowBytes} bytes of NDJSON, voicelake ${written}`);
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
    /** The first definition of the limit: `JSON.stringify` of the track() inputs (fewer bytes). */
    inputLimitEventsPerSecond: round(rate(inputLim), 0),
    inputLimitMbPerSecond: round(mb(inputLim), 2),
    /** Per round: spool-on events/s / the limit's events/s in the same round. */
    ratio: roundedRatio(on.map((x, i) => x.eventsPerSecond / (lim[i] as Run).eventsPerSecond)),
    noSpoolRatio: roundedRatio(off.map((x, i) => x.eventsPerSecond / (lim[i] as Run).eventsPerSecond)),
    /** Spool on against the first definition (the inputs serialized), for comparison. */
    inputLimitRatio: roundedRatio(on.map((x, i) => x.eventsPerSecond / (inputLim[i] as Run).eventsPerSecond)),
    eventsPerSecondPerRound: {
      spoolOn: on.map((x) => round(x.eventsPerSecond, 0)),
      spoolOff: off.map((x) => round(x.eventsPerSecond, 0)),
      limit: lim.map((x) => round(x.eventsPerSecond, 0)),
      inputLimit: inputLim.map((x) => round(x.eventsPerSecond, 0)),
    },
  };
}

interface Run {
  seconds: number;
  eventsPerSecond: number;
  /** Raw NDJSON MB/s. */
  mbPerSecond: number;
  /** Raw NDJSON bytes. */
  rawBytes: number;
}

/**
 * The rows the lake stores for `events`, as objects: `JSON.stringify` of each gives its line
 * (checked), so the limit serializes exactly what voicelake writes.
 */
function storedRows(events: TrackInput[]): object[] {
  const now = Date.now();
  return events.map((input) => {
    const n = normalizeEvent(input, DEFAULTS.maxEventBytes, now);
    if (!n.ok) throw new Error(`bench event refused: ${n.message}`);
    const row = JSON.parse(n.record.line) as object;
    if (JSON.stringify(row) !== n.record.line) throw new Error('a stored row does not serialize to its line');
    return row;
  });
}

/** The physical limit of the lake's shape (see the file's comment): `items` are stored rows (or, for comparison, inputs). */
async function limit(items: readonly object[]): Promise<Run> {
  const { objectBytes, gzipLevel, parallel } = LIMIT_SHAPE;
  const inFlight = new Set<Promise<void>>();
  let lines: string[] = [];
  let pending = 0;
  let raw = 0;
  let stored = 0;
  const launch = async () => {
    // What zlib does with a string (encodes it first), done here to count the exact bytes.
    const body = Buffer.from(`${lines.join('\n')}\n`);
    raw += body.length;
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
  for (let i = 0; i < items.length; i++) {
    const line = JSON.stringify(items[i]);
    if (pending > 0 && pending + line.length + 1 > objectBytes) await launch();
    lines.push(line);
    pending += line.length + 1;
    if (i % 1000 === 999) await yieldToLoop();
  }
  if (pending > 0) await launch();
  await Promise.all(inFlight);
  const seconds = (performance.now() - t0) / 1000;
  if (stored === 0) throw new Error('limit run compressed nothing');
  return {
    seconds,
    eventsPerSecond: items.length / seconds,
    mbPerSecond: raw / 1e6 / seconds,
    rawBytes: raw,
  };
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
    rawBytes: stats?.bytes ?? 0,
  };
}
