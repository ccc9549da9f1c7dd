/**
 * 7. Event ids: our monotonic UUIDv7 (packages/voicelake/src/uuid7.ts) beside the `uuid`
 * package's `v7` and `crypto.randomUUID`, in the same process, in alternating rounds.
 *
 * Each id is read once (its last character), as serializing the event would: that forces a
 * string built by concatenation to be flattened, so every generator pays for a usable string.
 *
 * `node --import tsx bench/uuid.ts --run [--quick]` prints the result.
 */
import { randomUUID } from 'node:crypto';
import { v7 } from 'uuid';
import { createUuidV7 } from '../packages/voicelake/src/uuid7.js';
import { type Options, round, summarize } from './common.js';

/** ns per id over `count` ids; `sink` keeps the work observable. */
function time(generate: () => string, count: number, sink: { n: number }): number {
  let n = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) n += generate().charCodeAt(35);
  const ns = Number(process.hrtime.bigint() - t0) / count;
  sink.n += n;
  return ns;
}

export async function uuid(options: Options): Promise<{
  voicelakeNsPerId: number;
  uuidPackageNsPerId: number;
  randomUUIDNsPerId: number;
  /** voicelakeNsPerId / uuidPackageNsPerId: below 1 is faster. */
  ratio: number;
  /** Our ns per id in each round, in order (the median of these is voicelakeNsPerId). */
  rounds: number[];
}> {
  // A generator of its own: a tight loop borrows milliseconds ahead of the clock (4096 ids per
  // ms at most), which should not leak into the shared one that events use.
  const ours = createUuidV7();
  const theirs = () => v7();
  const sink = { n: 0 };
  const count = options.quick ? 20_000 : 200_000;
  const roundCount = options.quick ? 5 : 15;
  // Warm up all three (JIT, random pools), then alternate so they see the same machine noise.
  for (let w = 0; w < 3; w++) {
    time(ours, count, sink);
    time(theirs, count, sink);
    time(randomUUID, count, sink);
  }
  const oursNs: number[] = [];
  const theirsNs: number[] = [];
  const randomNs: number[] = [];
  for (let r = 0; r < roundCount; r++) {
    oursNs.push(time(ours, count, sink));
    theirsNs.push(time(theirs, count, sink));
    randomNs.push(time(randomUUID, count, sink));
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (sink.n === 0) throw new Error('bench: ids were not generated');
  const o = summarize(oursNs).median;
  const t = summarize(theirsNs).median;
  return {
    voicelakeNsPerId: round(o, 1),
    uuidPackageNsPerId: round(t, 1),
    randomUUIDNsPerId: round(summarize(randomNs).median, 1),
    ratio: round(o / t),
    rounds: oursNs.map((ns) => round(ns, 1)),
  };
}

if (process.argv.includes('--run')) {
  console.log(JSON.stringify(await uuid({ quick: process.argv.includes('--quick') }), null, 2));
}
