/**
 * `npm run bench`: every benchmark, side by side with its baseline, in one run.
 * Writes bench/results.json and docs/benchmarks.md. `--quick` is the CI smoke version: tiny
 * sizes, and it checks only that every benchmark runs and produces numbers.
 * `--out DIR` writes the two files under DIR instead (used by the smoke test).
 * `--label NAME` writes the results as results-NAME.json instead of results.json (e.g. a run
 * on another Node version: `--label node24`); the page is then rendered from results.json
 * beside every results-*.json in the same directory, one column per run.
 * `--render` only re-renders the page from the results files already there (no measuring).
 * `--only-recovery` measures section 11 alone (recovery and adoption) and merges it into the
 * results file already there; `--recovery-mib N` sets the leftover spool's size (default 1024).
 * `--only-collect` does the same for sections 12-13 (`voicelake collect`); `BENCH_COLLECT_CALLS=N`
 * sets section 12's calls per round (default 1,200), `BENCH_COLLECT_SENDERS=N` its exporters
 * (default 16).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { awsEnv } from '../test/helpers/aws.js';
import { startMoto } from '../test/helpers/moto.js';
import { startProxy } from '../test/helpers/proxy.js';
import { bytes } from './bytes.js';
import { collectIngest } from './collect.js';
import { formatJson, machine, type Options, round } from './common.js';
import { compaction } from './compaction.js';
import { cost } from './cost.js';
import { hotPath } from './hot-path.js';
import { loopDelay } from './loop-delay.js';
import { memory } from './memory.js';
import { recovery } from './recovery.js';
import { loadRuns, type Results, renderMarkdown } from './report.js';
import { reportGen } from './report-gen.js';
import { seedBaseline } from './seed-baseline.js';
import { throughput } from './throughput.js';
import { uuid } from './uuid.js';

const args = process.argv.slice(2);
const options: Options = { quick: args.includes('--quick') };
const flagValue = (flag: string) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
const root = resolve(import.meta.dirname, '..');
const outDir = args.includes('--out') ? resolve(flagValue('--out') ?? '.') : undefined;
const label = flagValue('--label');
if (args.includes('--label') && !/^[a-z0-9][a-z0-9._-]*$/i.test(label ?? '')) {
  throw new Error(`bench: --label needs a name of letters, digits, '.', '_' or '-', not ${label}`);
}

const resultsDir = outDir ?? join(root, 'bench');
const mdPath = outDir ? join(outDir, 'benchmarks.md') : join(root, 'docs/benchmarks.md');

if (args.includes('--render')) {
  const main = JSON.parse(readFileSync(join(resultsDir, 'results.json'), 'utf8')) as Results;
  writeFileSync(mdPath, renderMarkdown(loadRuns(resultsDir, main)));
  process.stderr.write(`bench: rendered ${mdPath}\n`);
  process.exit(0);
}

const step = async <T>(name: string, fn: () => Promise<T> | T): Promise<T> => {
  process.stderr.write(`bench: ${name}...`);
  const t0 = performance.now();
  const result = await fn();
  process.stderr.write(` ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  return result;
};

const recoveryOptions = {
  quick: options.quick,
  ...(flagValue('--recovery-mib') ? { mib: Number(flagValue('--recovery-mib')) } : {}),
};
/** A section measured alone and merged into the results file already there. */
const only: Record<
  string,
  { key: 'recovery' | 'collect'; name: string; run: (work: string) => Promise<unknown> }
> = {
  '--only-recovery': { key: 'recovery', name: 'section 11', run: (work) => recovery(recoveryOptions, work) },
  '--only-collect': { key: 'collect', name: 'sections 12-13', run: () => collectIngest(options) },
};
const alone = Object.keys(only).find((flag) => args.includes(flag));
if (alone !== undefined) {
  const section = only[alone] as (typeof only)[string];
  const file = join(resultsDir, label ? `results-${label}.json` : 'results.json');
  const previous = JSON.parse(readFileSync(file, 'utf8')) as Results;
  const work = mkdtempSync(join(tmpdir(), 'vl-bench-'));
  try {
    const measured = await step(section.name, () => section.run(work));
    const results = { ...previous, [section.key]: measured };
    writeFileSync(file, formatJson(results));
    const main = JSON.parse(readFileSync(join(resultsDir, 'results.json'), 'utf8')) as Results;
    writeFileSync(mdPath, renderMarkdown(loadRuns(resultsDir, main)));
    process.stderr.write(`bench: ${section.name} merged into ${file}; rendered ${mdPath}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  process.exit(0);
}

const started = Date.now();
const loadAtStart = loadavg()[0] ?? 0;
const work = mkdtempSync(join(tmpdir(), 'vl-bench-'));
const spoolDir = (name: string) => join(work, `spool-${name}`);
const moto = await step('starting moto', () => startMoto());
Object.assign(process.env, awsEnv(moto.endpoint));
const proxy = await startProxy(moto.endpoint);
try {
  const s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-1', forcePathStyle: true });
  const bucket = `vl-bench-shared-${Date.now().toString(36)}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  s3.destroy();

  const hot = await step('1 hot path', () => hotPath(options));
  const tp = await step('2 throughput to the local lake', () => throughput(options));
  const seed = await step("3 against the seed's design", () =>
    seedBaseline(options, moto.endpoint, spoolDir('seed')),
  );
  const loop = await step('4 event-loop delay', () => loopDelay(options, moto.endpoint, spoolDir, bucket));
  const size = await step('5 bytes', () => bytes(options));
  const mem = await step('6 memory', () => memory(options, proxy, spoolDir, bucket));
  const ids = await step('8 UUIDv7', () => uuid(options));
  const page = await step('9 report', () => reportGen(options));
  const compacted = await step('10 compaction', () => compaction(options));
  const recovered = await step('11 recovery and adoption', () => recovery(recoveryOptions, work));
  const collected = await step('12-13 voicelake collect', () => collectIngest(options));
  const dollars = cost({
    eventsPerCall: seed.eventsPerCall,
    storedBytesPerEvent: size.batchGzipBytesPerEvent,
    rawBytesPerEvent: size.rawBytesPerEvent,
    perEventGzipBytesPerEvent: size.perEventGzipBytesPerEvent,
    s3RequestsPer10kCalls: seed.s3RequestsPer10kCalls,
  });
  const results = {
    quick: options.quick,
    date: new Date().toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    label: label ?? null,
    machine: machine(),
    /** 1-minute load average of the machine (other processes included) at the start and end. */
    loadAverage: { start: round(loadAtStart), end: round(loadavg()[0] ?? 0) },
    hotPath: hot,
    throughput: tp,
    seedBaseline: seed,
    eventLoopDelay: loop,
    bytes: size,
    memory: mem,
    cost: dollars,
    uuid: ids,
    report: page,
    compaction: compacted,
    recovery: recovered,
    collect: collected,
  };
  const jsonPath = join(resultsDir, label ? `results-${label}.json` : 'results.json');
  mkdirSync(resultsDir, { recursive: true });
  // Formatted as biome formats JSON, so `npm run lint` passes on the files a run writes.
  writeFileSync(jsonPath, formatJson(results));
  // The page: results.json (or this run, if there is none) beside every results-*.json.
  writeFileSync(mdPath, renderMarkdown(loadRuns(resultsDir, results)));
  process.stderr.write(`bench: wrote ${jsonPath} and ${mdPath} in ${results.durationSeconds} s\n`);
} finally {
  await proxy.close();
  moto.stop();
  rmSync(work, { recursive: true, force: true });
}
