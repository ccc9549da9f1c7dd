/**
 * 1. Hot path: the cost of one `track()` call on realistic voice events, beside pino logging
 * the same objects to a buffered destination, in the same process, in alternating rounds:
 * N calls of `track()`, then the same N events through pino, then again, and so on. Each round
 * gives one ratio; the result is the median of those ratios, with their spread.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { TrackInput } from '../packages/voicelake/src/event.js';
import { createAnalytics } from '../packages/voicelake/src/index.js';
import { silentLogger } from '../packages/voicelake/src/logger.js';
import { demoEvents, median, type Options, round, roundedRatio, summarize, yieldToLoop } from './common.js';

/** Calls are timed in batches of this many, alternating between the two sides. */
const BATCH = 100;

/**
 * One round: `calls` calls on each side, on the same events, alternating batches of
 * {@link BATCH} (voicelake, pino, voicelake, …) so both see the same machine noise. Every
 * 1,000 calls per side it yields to the event loop outside the timed region, as an agent
 * would, so the spool's group commit and pino's destination do their work between batches.
 */
async function round_(
  a: (e: TrackInput) => unknown,
  b: (e: TrackInput) => unknown,
  events: TrackInput[],
  start: number,
  calls: number,
) {
  const aNs: number[] = [];
  const bNs: number[] = [];
  let aTotal = 0;
  let bTotal = 0;
  for (let k = 0; k < calls / BATCH; k++) {
    const from = start + k * BATCH;
    let t0 = process.hrtime.bigint();
    for (let j = 0; j < BATCH; j++) a(events[(from + j) % events.length] as TrackInput);
    let ns = Number(process.hrtime.bigint() - t0);
    aTotal += ns;
    aNs.push(ns / BATCH);
    t0 = process.hrtime.bigint();
    for (let j = 0; j < BATCH; j++) b(events[(from + j) % events.length] as TrackInput);
    ns = Number(process.hrtime.bigint() - t0);
    bTotal += ns;
    bNs.push(ns / BATCH);
    if (k % 10 === 9) await yieldToLoop();
  }
  return { aMean: aTotal / calls, bMean: bTotal / calls, aNs, bNs };
}

export async function hotPath(options: Options) {
  const events = demoEvents(options.quick ? 20 : 400);
  const dir = mkdtempSync(join(tmpdir(), 'vl-bench-hot-'));
  const analytics = createAnalytics({
    local: { dir: join(dir, 'lake') },
    spool: { dir: join(dir, 'spool') },
    logger: silentLogger,
    env: {},
  });
  const logger = pino(pino.destination({ dest: '/dev/null', sync: false, minLength: 8 * 1024 }));
  const track = (e: TrackInput) => analytics.track(e);
  const log = (e: TrackInput) => logger.info(e);
  const rounds = options.quick ? 5 : 15;
  const callsPerRound = options.quick ? 1_000 : 20_000;
  // Warm up both paths (JIT) with a round, untimed.
  await round_(track, log, events, 0, options.quick ? 200 : 20_000);
  const trackNs: number[] = [];
  const pinoNs: number[] = [];
  const trackBatches: number[] = [];
  const pinoBatches: number[] = [];
  const trackMeans: number[] = [];
  const pinoMeans: number[] = [];
  let start = 0;
  for (let r = 0; r < rounds; r++) {
    const x = await round_(track, log, events, start, callsPerRound);
    trackNs.push(median(x.aNs));
    pinoNs.push(median(x.bNs));
    trackMeans.push(x.aMean);
    pinoMeans.push(x.bMean);
    trackBatches.push(...x.aNs);
    pinoBatches.push(...x.bNs);
    start += callsPerRound;
  }
  await analytics.close({ timeoutMs: 30_000 });
  logger.flush();
  rmSync(dir, { recursive: true, force: true });
  const tp = summarize(trackBatches).p99;
  const pp = summarize(pinoBatches).p99;
  return {
    rounds,
    callsPerRound,
    /** Median over the rounds of each round's mean ns per call. */
    trackNsMedian: round(median(trackNs), 0),
    pinoNsMedian: round(median(pinoNs), 0),
    /** p99 over every batch of 100 calls in every round (informational). */
    trackNsP99: round(tp, 0),
    pinoNsP99: round(pp, 0),
    ratioP99: round(tp / pp),
    /** Per round: voicelake's mean ns per call / pino's, on the same events. */
    ratio: roundedRatio(trackNs.map((t, i) => t / (pinoNs[i] as number))),
    meanRatio: roundedRatio(trackMeans.map((t, i) => t / (pinoMeans[i] as number))),
    trackNsPerRound: trackNs.map((v) => round(v, 0)),
    pinoNsPerRound: pinoNs.map((v) => round(v, 0)),
  };
}
