/**
 * Render bench results as docs/benchmarks.md: every figure beside its baseline, with ratios and
 * targets. A ratio measured in rounds is shown with its spread, and as unstable (no verdict)
 * when the spread is above 15%. Runs on other Node versions (results-*.json beside
 * results.json) get a column each in a second summary table.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { bytes } from './bytes.js';
import type { collectIngest } from './collect.js';
import { type machine, type RoundedRatio, roundedRatio, UNSTABLE_SPREAD } from './common.js';
import type { compaction } from './compaction.js';
import type { cost } from './cost.js';
import type { hotPath } from './hot-path.js';
import type { loopDelay } from './loop-delay.js';
import type { memory } from './memory.js';
import { type RecoveryResults, recoveryRows, recoverySection } from './recovery-report.js';
import type { reportGen } from './report-gen.js';
import type { seedBaseline } from './seed-baseline.js';
import type { throughput } from './throughput.js';
import type { uuid } from './uuid.js';

export interface Results {
  quick: boolean;
  date: string;
  durationSeconds: number;
  /** `--label`: null for the main run (results.json), else the name of results-<label>.json. */
  label: string | null;
  machine: ReturnType<typeof machine>;
  loadAverage: { start: number; end: number };
  hotPath: Awaited<ReturnType<typeof hotPath>>;
  throughput: Awaited<ReturnType<typeof throughput>>;
  seedBaseline: Awaited<ReturnType<typeof seedBaseline>>;
  eventLoopDelay: Awaited<ReturnType<typeof loopDelay>>;
  bytes: ReturnType<typeof bytes>;
  memory: Awaited<ReturnType<typeof memory>>;
  cost: ReturnType<typeof cost>;
  uuid: Awaited<ReturnType<typeof uuid>>;
  /** Absent in runs from before these sections existed. */
  report?: Awaited<ReturnType<typeof reportGen>>;
  compaction?: Awaited<ReturnType<typeof compaction>>;
  recovery?: RecoveryResults;
  collect?: Awaited<ReturnType<typeof collectIngest>>;
}

/** The main run, and the side runs (other Node versions) shown beside it. */
export interface Runs {
  main: Results;
  side: { file: string; results: Results }[];
}

const isCurrentFormat = (r: unknown): r is Results =>
  typeof (r as Results)?.hotPath?.ratio?.median === 'number' &&
  typeof (r as Results)?.uuid === 'object' &&
  typeof (r as Results)?.loadAverage === 'object';

/**
 * The runs to render from `dir`: results.json as the main run (or `current`, when it is the
 * main run or there is no results.json), and every results-<label>.json as a side run.
 */
export function loadRuns(dir: string, current: Results): Runs {
  const read = (file: string): Results | undefined => {
    const parsed: unknown = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    if (isCurrentFormat(parsed)) return parsed;
    process.stderr.write(`bench: ${file} is from an older bench, left out of the page\n`);
    return undefined;
  };
  const main =
    current.label === null || !existsSync(join(dir, 'results.json'))
      ? current
      : (read('results.json') ?? current);
  const side = readdirSync(dir)
    .filter((f) => /^results-.+\.json$/.test(f))
    .sort()
    .flatMap((file) => {
      const results = read(file);
      return results && results !== main && results.date !== main.date ? [{ file, results }] : [];
    });
  return { main, side };
}

const n = (v: number) => v.toLocaleString('en-US');
const mark = (ok: boolean) => (ok ? 'met' : '**missed**');
const usd = (v: number) => `$${v.toFixed(v < 0.01 ? 4 : 2)}`;
const x = (v: number) => `${v.toFixed(2)}×`;
const signed = (v: number) => `${v >= 0 ? '+' : ''}${v}`;
/** A rounded ratio as a result, or as unstable. */
const ratioCell = (r: RoundedRatio) =>
  r.stable
    ? `${x(r.median)} (spread ${r.spreadPct}%)`
    : `**unstable** (median ${x(r.median)}, spread ${r.spreadPct}%)`;
/** Short form: the verdict (or "unstable") is shown beside it. */
const ratioFigure = (r: RoundedRatio) => `${x(r.median)} (spread ${r.spreadPct}%)`;
const verdict = (r: RoundedRatio, ok: boolean) => (r.stable ? mark(ok) : 'unstable');
const perRound = (r: RoundedRatio) => r.perRound.map((v) => v.toFixed(2)).join(', ');
const nodeName = (r: Results) => `Node ${r.machine.node}`;

/** Spread of our UUIDv7 ns per id over its rounds (bench/uuid.ts gives the per-round figures). */
const uuidSpread = (r: Results) => roundedRatio(r.uuid.rounds.map((ns) => ns / r.uuid.voicelakeNsPerId));

interface Row {
  readonly name: string;
  readonly voicelake: string;
  readonly baseline: string;
  readonly ratio: string;
  readonly target: string;
  readonly verdict: string;
  /** Short form for the per-Node-version table. */
  readonly figure: string;
}

function summaryRows(r: Results): Row[] {
  const h = r.hotPath;
  const t = r.throughput;
  const s = r.seedBaseline;
  const l = r.eventLoopDelay;
  const b = r.bytes;
  const m = r.memory;
  const c = r.cost;
  const u = r.uuid;
  const us = uuidSpread(r);
  const limit = `stored rows, stringify + pooled gzip: ${n(t.limitEventsPerSecond)} events/s`;
  const requests = `1/${Math.round(s.s3RequestsPer10kCalls.seed / Math.max(1, s.s3RequestsPer10kCalls.voicelake))}`;
  return [
    {
      name: '1. Hot path, median per call',
      voicelake: `${n(h.trackNsMedian)} ns`,
      baseline: `pino: ${n(h.pinoNsMedian)} ns`,
      ratio: ratioCell(h.ratio),
      target: '≤ 0.5×',
      verdict: verdict(h.ratio, h.ratio.median <= 0.5),
      figure: ratioFigure(h.ratio),
    },
    {
      name: '2. Local lake throughput, spool on (default)',
      voicelake: `${n(t.eventsPerSecond)} events/s`,
      baseline: limit,
      ratio: ratioCell(t.ratio),
      target: '≥ 0.5×',
      verdict: verdict(t.ratio, t.ratio.median >= 0.5),
      figure: ratioFigure(t.ratio),
    },
    {
      name: '2. Local lake throughput, spool off',
      voicelake: `${n(t.noSpoolEventsPerSecond)} events/s`,
      baseline: limit,
      ratio: ratioCell(t.noSpoolRatio),
      target: '≥ 0.5×',
      verdict: verdict(t.noSpoolRatio, t.noSpoolRatio.median >= 0.5),
      figure: ratioFigure(t.noSpoolRatio),
    },
    {
      name: "2. Spool on, against the limit's first definition (the inputs serialized)",
      voicelake: `${n(t.eventsPerSecond)} events/s`,
      baseline: `inputs, stringify + pooled gzip: ${n(t.inputLimitEventsPerSecond)} events/s`,
      ratio: ratioCell(t.inputLimitRatio),
      target: '',
      verdict: '',
      figure: ratioFigure(t.inputLimitRatio),
    },
    {
      name: '3. S3 + CloudWatch throughput',
      voicelake: `${n(s.voicelakeEventsPerSecond)} events/s`,
      baseline: `seed design: ${n(s.seedEventsPerSecond)} events/s`,
      ratio: `${s.ratio}×`,
      target: '≥ 50×',
      verdict: mark(s.ratio >= 50),
      figure: `${s.ratio}×`,
    },
    {
      name: '3. S3 requests per 10,000 calls',
      voicelake: n(s.s3RequestsPer10kCalls.voicelake),
      baseline: `seed design: ${n(s.s3RequestsPer10kCalls.seed)}`,
      ratio: requests,
      target: '≤ 1/100',
      verdict: mark(s.s3RequestsPer10kCalls.voicelake * 100 <= s.s3RequestsPer10kCalls.seed),
      figure: requests,
    },
    {
      name: '4. Event-loop delay p99 at 2,000 events/s',
      voicelake: `${l.at2k.p99Ms} ms`,
      baseline: `idle: ${l.idle.p99Ms} ms`,
      ratio: '',
      target: '≤ 5 ms',
      verdict: mark(l.at2k.p99Ms <= 5),
      figure: `${l.at2k.p99Ms} ms`,
    },
    {
      name: '4. Event-loop delay p99 at 20,000 events/s',
      voicelake: `${l.at20k.p99Ms} ms`,
      baseline: `idle: ${l.idle.p99Ms} ms`,
      ratio: '',
      target: '≤ 10 ms',
      verdict: mark(l.at20k.p99Ms <= 10),
      figure: `${l.at20k.p99Ms} ms`,
    },
    {
      name: '5. Compression (batch gzip)',
      voicelake: `${b.batchReductionPct}% smaller`,
      baseline: `per-event gzip: ${b.perEventReductionPct}%`,
      ratio: '',
      target: '≥ 85%',
      verdict: mark(b.batchReductionPct >= 85),
      figure: `${b.batchReductionPct}%`,
    },
    {
      name: `6. Memory during a ${m.outage.seconds} s outage`,
      voicelake: `heap after GC ${signed(m.outage.heapGrowthLastThirdMiB)} MiB, RSS ${signed(m.outage.rssGrowthLastThirdMiB)} MiB (last third vs middle third)`,
      baseline: `spool: ${m.outage.spoolStartMiB} → ${m.outage.spoolEndMiB} MiB`,
      ratio: '',
      target: 'flat',
      verdict: mark(m.outage.heapGrowthLastThirdMiB < 2),
      figure: `heap ${signed(m.outage.heapGrowthLastThirdMiB)} MiB`,
    },
    {
      name: '7. S3 cost per 10,000 calls',
      voicelake: usd(c.voicelake.s3Total),
      baseline: `seed claim: ${usd(c.seedClaimS3Per10kCalls)}; seed design: ${usd(c.seedDesign.s3Total)}`,
      ratio: '',
      target: '',
      verdict: '',
      figure: usd(c.voicelake.s3Total),
    },
    ...(c.cloudWatch
      ? [
          {
            name: '7. CloudWatch ingestion per 10,000 calls, summaries and errors only',
            voicelake: `${usd(c.cloudWatch.summariesAndErrors.ingestionUsd)} (${c.cloudWatch.summariesAndErrors.mbPer10kCalls} MB)`,
            baseline: `every event: ${usd(c.cloudWatch.all.ingestionUsd)} (${c.cloudWatch.all.mbPer10kCalls} MB)`,
            ratio: `1/${Math.round(c.cloudWatch.all.ingestionUsd / c.cloudWatch.summariesAndErrors.ingestionUsd)}`,
            target: '',
            verdict: '',
            figure: `${usd(c.cloudWatch.summariesAndErrors.ingestionUsd)} vs ${usd(c.cloudWatch.all.ingestionUsd)}`,
          },
        ]
      : []),
    {
      name: '8. UUIDv7, median per id',
      voicelake: `${u.voicelakeNsPerId} ns (spread ${us.spreadPct}%)`,
      baseline: `\`uuid\` v7: ${u.uuidPackageNsPerId} ns; \`randomUUID\`: ${u.randomUUIDNsPerId} ns`,
      ratio: `${x(u.ratio)} of \`uuid\``,
      target: '< 200 ns per id',
      verdict: us.stable ? mark(u.voicelakeNsPerId < 200) : 'unstable',
      figure: `${u.voicelakeNsPerId} ns (spread ${us.spreadPct}%)`,
    },
    {
      name: `9. HTML report over ${(r.report?.calls ?? 0).toLocaleString('en-US')} calls`,
      voicelake: r.report ? `${r.report.seconds} s, ${(r.report.bytes / 1e6).toFixed(2)} MB` : 'not measured',
      baseline: '',
      ratio: '',
      target: '< 30 s, < 3 MB',
      verdict: r.report ? mark(r.report.seconds < 30 && r.report.bytes < 3e6) : '',
      figure: r.report ? `${r.report.seconds} s, ${(r.report.bytes / 1e6).toFixed(2)} MB` : '-',
    },
    {
      name: `10. Compaction of a ${(r.compaction?.calls ?? 0).toLocaleString('en-US')}-call day to Parquet`,
      voicelake: r.compaction
        ? `${r.compaction.voicelakeMs} ms, ${r.compaction.parquetOfGzipPct}% of the gzip bytes, one row per event_id, verified`
        : 'not measured',
      baseline: r.compaction ? `plain DuckDB COPY to Parquet: ${r.compaction.plainCopyMs} ms` : '',
      ratio: r.compaction ? x(r.compaction.ratio) : '',
      target: '',
      verdict: '',
      figure: r.compaction ? `${x(r.compaction.ratio)} of a plain COPY` : '-',
    },
    ...recoveryRows(r.recovery),
    ...collectRows(r),
  ];
}

/** 12–13: `voicelake collect` (bench/collect.ts). */
function collectRows(r: Results): Row[] {
  const k = r.collect;
  if (k === undefined) return [];
  return [
    {
      name: '12. collect: OTLP ingest into the local lake, durable acks',
      voicelake: `${n(k.spansPerSecond)} spans/s${k.measuredAt === undefined ? '' : ` (measured ${k.measuredAt.slice(0, 10)})`}`,
      baseline: `decode + map, no I/O: ${n(k.limitSpansPerSecond)} spans/s`,
      ratio: ratioCell(k.ratio),
      target: '≥ 0.5×',
      verdict: verdict(k.ratio, k.ratio.median >= 0.5),
      figure: ratioFigure(k.ratio),
    },
    {
      name: `13. collect: ack latency p99 at ${n(k.ack.targetSpansPerSecond)} spans/s (10× a 32-call host)`,
      voicelake: `p99 ${k.ack.p99Ms} ms (p50 ${k.ack.p50Ms} ms, max ${k.ack.maxMs} ms)`,
      baseline: '',
      ratio: '',
      target: '≤ 100 ms',
      verdict: mark(k.ack.p99Ms <= 100),
      figure: `p99 ${k.ack.p99Ms} ms`,
    },
  ];
}

/** Bytes of raw NDJSON per event, from a run's events/s and MB/s. */
const bytesPerEvent = (eventsPerSecond: number, mbPerSecond: number) =>
  Math.round((mbPerSecond * 1e6) / Math.max(1, eventsPerSecond));

/** From a \`--cpu-prof\` look at the spool-on run; update it when the profile changes. */
function whatBoundsIt(t: Results['throughput']): string {
  const rowBytes = bytesPerEvent(t.limitEventsPerSecond, t.limitMbPerSecond);
  const inputBytes = bytesPerEvent(t.inputLimitEventsPerSecond, t.inputLimitMbPerSecond);
  return `**What bounds it** (a \`--cpu-prof\` look at spool-on runs of this size on Node 20 and on
Node 24, 2 cores): the event loop, busy about 94% of the run. Its time goes to building each
event (validation against the schema, escaping strings, the UUIDv7: about 28%), flattening its
line (V8 holds the concatenated line as a rope of 30–40 pieces; copying it into one string costs
0.55–0.67 µs per line on both versions: about 16%), garbage collection (12–17%), the spool's
frames (each line encoded into the segment buffer plus its CRC32: about 10%) and feeding the
gzip streams (about 5%). gzip itself runs in the thread pool and overlaps with all of it.

**The limit serializes the rows the lake stores** (since 2026-11-27). Its first definition
serialized the \`track()\` inputs instead: ${inputBytes} bytes of NDJSON per event against the ${rowBytes} bytes
voicelake must write (the inputs have no \`event_id\`, \`event_time\` or \`schema_version\`). That
measured a smaller job than voicelake's, and gzip, which is most of the limit's cost, scales
with the bytes: in MB/s the two definitions are within a few percent of each other
(${t.limitMbPerSecond} vs ${t.inputLimitMbPerSecond} MB/s here), in events/s they are not. The limit now writes the same number of bytes as
voicelake, which the benchmark checks. The first definition is still run in every round:
against it, spool on is ${ratioCell(t.inputLimitRatio)} (${n(t.inputLimitEventsPerSecond)} events/s) in this run; on Node 24, whose
\`JSON.stringify\` is ~1.7× faster on these events, it is well under 0.5× (see "By Node version").

**Tried on Node 24 under the first definition** (each measured against it in alternating rounds
of the same shape, 172,046 events), none of which closed the gap:

- *The row as an object serialized by one \`JSON.stringify\`* (no rope, nothing to flatten):
  spool-on 0.37× → 0.40× and the hot path 0.40× → 0.44× on Node 24, but on Node 20 the hot
  path went 0.44× → 0.67× (\`track()\` 1,739 → 2,401 ns) and spool-on 0.50× → 0.48×. Reverted.
  *The line as an array of pieces joined once* (also no rope): slower still on both versions.
- *Committed records kept as bytes* (a view of the group commit's buffer instead of the line,
  so lines die young and the lake copies bytes): 0.41× → 0.34×. The retained commit buffers are
  external memory, and V8 answers it with old-space collections during the run. Dropped.
- *One checksum per group commit instead of one per record*: the bound, with no checksum at
  all, is 4% faster. Not worth a new spool format.
- *Both sides pinned to one core* (the other honest limit for a 2-core machine): 0.36×, no
  better. *Smaller local batches* (4 MiB): 0.34×, worse.

What would move voicelake itself further: the spool's framing, the lake's NDJSON and its file
writes off the event loop, in a worker thread fed with each line's bytes.`;
}

function byNodeVersion(runs: Runs): string {
  if (runs.side.length === 0) return '';
  const all = [runs.main, ...runs.side.map((s) => s.results)];
  const rows = all.map(summaryRows);
  const main = rows[0] as Row[];
  const header = `| Benchmark | Target | ${all.map(nodeName).join(' | ')} |\n|---|---|${all.map(() => '---|').join('')}`;
  const body = main
    .map(
      (row, i) =>
        `| ${row.name} | ${row.target} | ${rows
          .map((rs) => {
            // A run from before a benchmark existed has no row for it.
            const cell = rs.find((r) => r.name === row.name) ?? rs[i];
            if (cell === undefined) return 'not measured';
            return cell.verdict ? `${cell.figure}: ${cell.verdict}` : cell.figure;
          })
          .join(' | ')} |`,
    )
    .join('\n');
  const sources = runs.side
    .map(
      (s) =>
        `${nodeName(s.results)}: [bench/${s.file}](../bench/${s.file}), measured ${s.results.date.slice(0, 10)} in ${s.results.durationSeconds} s on ${s.results.machine.cpu} (${s.results.machine.cores} cores, load average ${s.results.loadAverage.start} → ${s.results.loadAverage.end})${s.results.quick ? ', **quick smoke run**' : ''}.`,
    )
    .join('\n');
  return `
### By Node version

The same summary figures from each run, verdict after the colon. ${nodeName(runs.main)}: the run above.
${sources}

${header}
${body}
`;
}

export function renderMarkdown(runs: Runs): string {
  const r = runs.main;
  const h = r.hotPath;
  const t = r.throughput;
  const s = r.seedBaseline;
  const l = r.eventLoopDelay;
  const b = r.bytes;
  const m = r.memory;
  const c = r.cost;
  const u = r.uuid;
  const spreadLimit = `${UNSTABLE_SPREAD * 100}%`;
  const rows = summaryRows(r)
    .map(
      (row) =>
        `| ${row.name} | ${row.voicelake} | ${row.baseline} | ${row.ratio} | ${row.target} | ${row.verdict} |`,
    )
    .join('\n');
  return `# Benchmarks

${r.quick ? '> **Quick smoke run** (`--quick`): tiny sizes; these numbers only show that every benchmark runs.\n\n' : ''}Measured ${r.date.slice(0, 10)} by \`npm run bench\` in ${r.durationSeconds} s on **${r.machine.cpu}**
(${r.machine.cores} cores, ${r.machine.memoryGiB} GiB), **Node ${r.machine.node}**, ${r.machine.platform}; the machine's 1-minute load
average was ${r.loadAverage.start} at the start and ${r.loadAverage.end} at the end (other processes included).
These machines are shared and noisy: every figure is measured beside its baseline in the same
run, and the **ratio** is the result; absolute times only describe the machine. S3 and
CloudWatch are the moto server on loopback. Raw figures: [bench/results.json](../bench/results.json).

**Reproduce.** \`npm ci && npm run bench\` (about ${Math.max(1, Math.round(r.durationSeconds / 60))} min; needs Python 3 for moto) writes
\`bench/results.json\` and this page. On another Node version, beside it:
\`PATH=$(scripts/node-version.sh 24):$PATH npm run bench -- --label node24\` writes
\`bench/results-node24.json\` and re-renders this page with a column for it under "By Node
version" (every \`bench/results-<label>.json\` gets one). \`--out DIR\` writes both files under DIR
instead; \`npm run bench -- --quick\` is the smoke version.

**Ratios in rounds.** The hot path and the throughput ratios are each the median of several
alternating rounds of voicelake and its baseline in one process, one ratio per round. Their
**spread** is the interquartile range of the per-round ratios divided by their median
(quartiles interpolated between ranks). A ratio whose spread is above ${spreadLimit} is reported as
**unstable**, with no verdict (\`"stable": false\` in results.json): the machine was too noisy
during that run to say whether the target holds.

## Summary

| Benchmark | voicelake | Baseline | Ratio | Target | |
|---|---|---|---|---|---|
${rows}
${byNodeVersion(runs)}
## 1. Hot path

\`track()\` on realistic voice events (the demo generator's), with the spool and the local lake
running, beside \`pino\` logging the same object to a buffered destination (\`/dev/null\`, 8 KiB
buffer). ${h.rounds} rounds of ${n(h.callsPerRound)} calls on each side; inside a round, batches of 100 calls
alternate between the two on the same events, so both see the same machine noise, and the loop
yields (untimed) every 1,000 calls. A round's figure for each side is the median of its batches'
ns per call; the round's ratio is voicelake's over pino's.

| | median per call | p99 (batches of 100) |
|---|---|---|
| \`track()\` | ${n(h.trackNsMedian)} ns | ${n(h.trackNsP99)} ns |
| pino \`info(obj)\` | ${n(h.pinoNsMedian)} ns | ${n(h.pinoNsP99)} ns |
| ratio | ${ratioCell(h.ratio)} | ${h.ratioP99}× |

Per-round ratios: ${perRound(h.ratio)}. With each side's mean per call in a round instead (garbage
collection and the other processes' interruptions included), the ratio is ${ratioCell(h.meanRatio)}.

What a call costs: validation against the schema's column map, a UUIDv7, one JSON line built by
concatenation (user strings through \`JSON.stringify\` when they need escapes), its UTF-8 length
counted from the user strings alone, and an append to the spool's memory tail. Not in
\`track()\`: the spool's frames, checksums, writes and fsyncs (the 50 ms group commit), and the
flattening of the line (V8 holds a concatenated string as a rope of ~40 pieces), one copy of
about 0.5–0.7 µs per line (on Node 20 and 24 alike), done in place at the end of the task that tracked it, on the same
thread. The flattening is a third of what \`track()\` cost when it did it: the ratio was
0.50–0.53× then. Left undone, ropes made every reader slower (throughput 0.39× instead of
0.58× of the limit in its first definition); done at the end of the task, the throughput ratio below is what it costs.

## 2. Throughput to the local lake

${n(t.events)} events tracked (yielding to the event loop every 1,000), then \`close()\`: the wall
time until every event is in a gzip file in the lake. ${t.rounds} rounds; in each, the limit runs
between the two voicelake runs (spool on first in even rounds, spool off first in odd ones), and
each voicelake run's ratio is to the limit of its round. Figures below are medians over the rounds.

| | events/s | MB/s (raw NDJSON) | ratio to the limit |
|---|---|---|---|
| voicelake, spool on (the default) | ${n(t.eventsPerSecond)} | ${t.mbPerSecond} | ${ratioCell(t.ratio)} |
| voicelake, spool off | ${n(t.noSpoolEventsPerSecond)} | ${t.noSpoolMbPerSecond} | ${ratioCell(t.noSpoolRatio)} |
| physical limit: \`JSON.stringify\` of the stored rows on the loop + \`zlib.gzip\` in the thread pool | ${n(t.limitEventsPerSecond)} | ${t.limitMbPerSecond} | 1× |
| the limit's first definition: the \`track()\` inputs serialized instead (fewer bytes) | ${n(t.inputLimitEventsPerSecond)} | ${t.inputLimitMbPerSecond} | spool on: ${ratioCell(t.inputLimitRatio)} |

Per-round ratios, spool on: ${perRound(t.ratio)}; spool off: ${perRound(t.noSpoolRatio)}.

Each timed run starts from a collected heap (\`global.gc()\`, so \`npm run bench\` runs node with
\`--expose-gc\`). Without it, each run paid for part of the previous run's garbage, a different
part each time, and the spool-on ratio's spread was 28%.

**The limit.** voicelake's event loop does the serial work (validation, ids, the JSON line, the
spool) while gzip runs in zlib's thread pool: the lake cuts each batch into objects of
${n(t.limitObjectBytes / 1024 / 1024)} MiB of NDJSON and compresses them with asynchronous zlib streams at level ${t.gzipLevel}, up to
${t.limitParallel} at a time. The limit has the same shape with nothing else in it: \`JSON.stringify\` of each
row the lake stores (the same fields, the same bytes; the rows are built before the timed run) on the main thread, the lines joined into ${n(t.limitObjectBytes / 1024 / 1024)} MiB objects, each handed to
asynchronous \`zlib.gzip\` (the thread pool) at level ${t.gzipLevel}, with up to ${t.limitParallel} objects in flight and the loop
yielding every 1,000 events, as the voicelake runs do; it ends when the last object is
compressed (nothing is written to disk). On ${r.machine.cores} cores the main thread and the pool compete for
the same two CPUs, so this is what the machine can do at best with voicelake's design, not a
single-threaded \`gzipSync\` loop (which would understate what ${r.machine.cores} cores can do) nor gzip on idle cores (which
would overstate it). Its parallelism is an upper bound: a 16 MiB batch holds only two objects.

${whatBoundsIt(t)}

## 3. Against the seed's design

${n(s.events)} events from ${n(s.calls)} demo calls (${s.eventsPerCall} events per call) into moto S3 + CloudWatch,
beside the seed's design followed literally for ${n(s.seedEvents)} events: per event one gzip,
one \`PutObject\` and one \`PutLogEvents\`, in turn.

| | events/s | S3 requests in the run | S3 requests per 10,000 calls |
|---|---|---|---|
| voicelake | ${n(s.voicelakeEventsPerSecond)} | ${n(s.voicelakeS3Requests)} (+ ${n(s.voicelakeCloudWatchRequests)} CloudWatch) | ${n(s.s3RequestsPer10kCalls.voicelake)} |
| seed design | ${n(s.seedEventsPerSecond)} | one per event | ${n(s.s3RequestsPer10kCalls.seed)} |
| ratio | ${s.ratio}× | | 1/${Math.round(s.s3RequestsPer10kCalls.seed / Math.max(1, s.s3RequestsPer10kCalls.voicelake))} |

voicelake's request count here comes from a run that tracks as fast as it can; in production the
30 s flush interval sets it: about one object per partition per 30 s per process.

## 4. Event-loop delay

\`monitorEventLoopDelay\` (1 ms resolution) while voicelake runs with S3 and CloudWatch (moto).

| phase | events | p50 | p99 | max |
|---|---|---|---|---|
| idle baseline | - | ${l.idle.p50Ms} ms | ${l.idle.p99Ms} ms | ${l.idle.maxMs} ms |
| 2,000 events/s | ${n(l.at2k.events)} | ${l.at2k.p50Ms} ms | ${l.at2k.p99Ms} ms | ${l.at2k.maxMs} ms |
| 20,000 events/s | ${n(l.at20k.events)} | ${l.at20k.p50Ms} ms | ${l.at20k.p99Ms} ms | ${l.at20k.maxMs} ms |
| flush of a ${n(l.flush.events)}-event batch | ${n(l.flush.events)} | ${l.flush.p50Ms} ms | ${l.flush.p99Ms} ms | ${l.flush.maxMs} ms |

## 5. Bytes

${n(b.events)} events from ${n(b.calls)} demo calls.

| | bytes per event | reduction |
|---|---|---|
| raw NDJSON | ${b.rawBytesPerEvent} | |
| batch gzip (voicelake) | ${b.batchGzipBytesPerEvent} | ${b.batchReductionPct}% |
| per-event gzip (seed design) | ${b.perEventGzipBytesPerEvent} | ${b.perEventReductionPct}% |

Stored per call: ${n(b.storedBytesPerCall)} bytes. The seed's "~80%" holds only when events are
compressed together.

## 6. Memory

A producer process (\`node --expose-gc\`) at 2,000 events/s with the spool on; every second it
runs a full GC and samples RSS and the heap. "Growth" is the peak in the last third of the run
minus the peak in the middle third: about zero when memory is flat.

| phase | events | RSS after warm-up | RSS at end | RSS growth | heap at end | heap growth | spool on disk |
|---|---|---|---|---|---|---|---|
| destinations healthy, ${m.steady.seconds} s | ${n(m.steady.events)} | ${m.steady.rssWarmMiB} MiB | ${m.steady.rssEndMiB} MiB | ${m.steady.rssGrowthLastThirdMiB} MiB | ${m.steady.heapEndMiB} MiB | ${m.steady.heapGrowthLastThirdMiB} MiB | ${m.steady.spoolStartMiB} → ${m.steady.spoolEndMiB} MiB |
| both destinations cut off, ${m.outage.seconds} s | ${n(m.outage.events)} | ${m.outage.rssWarmMiB} MiB | ${m.outage.rssEndMiB} MiB | ${m.outage.rssGrowthLastThirdMiB} MiB | ${m.outage.heapEndMiB} MiB | ${m.outage.heapGrowthLastThirdMiB} MiB | ${m.outage.spoolStartMiB} → ${m.outage.spoolEndMiB} MiB |

During the outage the backlog grows on disk; memory holds a bounded cache (4 MiB) and the one
batch each destination is retrying.

## 7. Cost per 10,000 calls

From this run's bytes and requests (${n(c.eventsPer10kCalls)} events per 10,000 calls), at
$${c.prices.s3PutPer1000} per 1,000 PUTs, $${c.prices.s3GbMonth} per GB-month of S3 Standard and
$${c.prices.cwIngestGb} per GB of CloudWatch Logs ingestion (raw bytes + 26 per event).

| | S3 PUTs | S3 storage / month | S3 total | CloudWatch ingestion |
|---|---|---|---|---|
| voicelake | ${usd(c.voicelake.s3Puts)} | ${usd(c.voicelake.s3StoragePerMonth)} | ${usd(c.voicelake.s3Total)} | ${usd(c.voicelake.cloudWatchIngestion)} |
| seed design (per-event objects) | ${usd(c.seedDesign.s3Puts)} | ${usd(c.seedDesign.s3StoragePerMonth)} | ${usd(c.seedDesign.s3Total)} | ${usd(c.seedDesign.cloudWatchIngestion)} |
| seed's claim | | | ${usd(c.seedClaimS3Per10kCalls)} | "continues at existing rates" |

CloudWatch ingestion dominates and is the same for both designs: it is priced by bytes, and
both send every event once.

## 8. UUIDv7

Event ids: voicelake's monotonic UUIDv7 beside the \`uuid\` package's \`v7\` and
\`crypto.randomUUID\`, ${u.rounds.length} alternating rounds in one process, each id read once (as
serializing the event would). Figures are medians over the rounds; the spread is that of
voicelake's ns per id (interquartile range / median).

| | ns per id |
|---|---|
| voicelake UUIDv7 | ${u.voicelakeNsPerId} (spread ${uuidSpread(r).spreadPct}%) |
| \`uuid\` package \`v7()\` | ${u.uuidPackageNsPerId} |
| \`crypto.randomUUID()\` (v4) | ${u.randomUUIDNsPerId} |
| ratio to \`uuid\` | ${x(u.ratio)} |
${recoverySection(
  r.recovery,
  [runs.main, ...runs.side.map((side) => side.results)].map((run) => ({
    node: nodeName(run),
    recovery: run.recovery,
  })),
)}`;
}
