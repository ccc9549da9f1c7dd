/**
 * `voicelake demo`: simulate realistic voice calls, write them through the real pipeline
 * into the local lake, then summarize what landed by querying the files with DuckDB.
 */
import { readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { createAnalytics, DEFAULTS, defaultLogger, type TrackInput } from 'voicelake';
import { generateCalls } from 'voicelake/demo';
import { envValue } from '../env.js';
import { formatBytes, formatCount, positiveInt, progress } from '../format.js';
import { openLake } from '../lake/duckdb.js';
import { generateReport } from '../report/index.js';

/** `voicelake demo`'s defaults; `voicelake cost` simulates the same lake when there is none. */
export const DEMO_DEFAULTS = { calls: 200, seed: 42, days: 3 } as const;

export function demoCommand(): Command {
  return new Command('demo')
    .description('Simulate voice calls into the local lake (no AWS needed) and summarize them with DuckDB')
    .option('--calls <n>', 'number of calls to simulate', positiveInt('--calls'), DEMO_DEFAULTS.calls)
    .option('--data-dir <dir>', 'local lake directory', DEFAULTS.local.dir)
    .option('--days <n>', 'spread calls over this many past days', positiveInt('--days'), DEMO_DEFAULTS.days)
    .option('--seed <n>', 'random seed', positiveInt('--seed'), DEMO_DEFAULTS.seed)
    .action(async (opts: { calls: number; dataDir: string; days: number; seed: number }) => {
      await runDemo(opts);
    });
}

export interface DemoSummary {
  calls: number;
  events: number;
  distinctEventIds: number;
  partitions: number;
  files: number;
  partitionMismatches: number;
  rawBytes: number;
  storedBytes: number;
  ttftP50Ms: number;
  ttftP95Ms: number;
  /** The HTML report of the demo's lake, `voicelake-report.html` next to the lake directory. */
  reportPath: string;
}

export async function runDemo(opts: {
  calls: number;
  dataDir: string;
  days: number;
  seed: number;
}): Promise<DemoSummary> {
  const dir = resolve(opts.dataDir);
  const started = performance.now();
  const analytics = createAnalytics({
    s3: false,
    cloudWatch: false,
    local: { dir },
    logger: defaultLogger(envValue('ANALYTICS_LOG_LEVEL') ?? 'warn'),
  });
  const bar = progress('simulating calls', opts.calls);
  let tracked = 0;
  let callsDone = 0;
  const tracker = {
    track(input: TrackInput) {
      const r = analytics.track(input);
      if (r.accepted) tracked++;
      if (input.type === 'call_ended') bar.tick(++callsDone);
      return r;
    },
  };
  generateCalls(tracker, { calls: opts.calls, seed: opts.seed, days: opts.days });
  bar.done();
  const closed = await analytics.close({ timeoutMs: 60_000 });
  const stats = analytics.stats();
  const local = stats.destinations.local;
  if (closed.undelivered.local !== 0 || local === undefined) {
    throw new Error(`the local lake did not receive every event: ${JSON.stringify(closed)}`);
  }
  const writeMs = performance.now() - started;

  const lake = await openLake(dir);
  let summary: Omit<DemoSummary, 'reportPath'>;
  try {
    const [row] = await lake.query(`
      SELECT count(DISTINCT call_id) AS calls,
             count(*) AS events,
             count(DISTINCT event_id) AS ids,
             count(DISTINCT (year, month, day)) AS partitions,
             count(*) FILTER (WHERE substr(event_time, 1, 10) <> printf('%04d-%02d-%02d', year::INT, month::INT, day::INT)) AS mismatches,
             quantile_cont(ttft_ms, 0.5) FILTER (WHERE event_type = 'llm_metrics') AS p50,
             quantile_cont(ttft_ms, 0.95) FILTER (WHERE event_type = 'llm_metrics') AS p95
      FROM events`);
    const files = await listFiles(dir);
    let storedBytes = 0;
    for (const f of files) storedBytes += (await stat(f)).size;
    summary = {
      calls: Number(row?.calls),
      events: Number(row?.events),
      distinctEventIds: Number(row?.ids),
      partitions: Number(row?.partitions),
      partitionMismatches: Number(row?.mismatches),
      files: files.length,
      rawBytes: local.bytes,
      storedBytes,
      ttftP50Ms: Number(row?.p50),
      ttftP95Ms: Number(row?.p95),
    };
    const reduction = local.bytes > 0 ? (1 - local.storedBytes / local.bytes) * 100 : 0;
    const out = [
      `voicelake demo: ${formatCount(opts.calls)} calls, ${formatCount(tracked)} events written to ${dir} in ${(writeMs / 1000).toFixed(2)} s`,
      '',
      'Lake summary (DuckDB over the .json.gz files):',
      `  calls                   ${formatCount(summary.calls)}`,
      `  events                  ${formatCount(summary.events)} (${formatCount(summary.distinctEventIds)} distinct event_id)`,
      `  partitions / files      ${summary.partitions} / ${summary.files}`,
      `  event date = partition  ${summary.partitionMismatches === 0 ? 'yes, every line' : `NO: ${summary.partitionMismatches} lines differ`}`,
      `  this run: raw NDJSON    ${formatBytes(local.bytes)}`,
      `  this run: stored gzip   ${formatBytes(local.storedBytes)} (${reduction.toFixed(1)}% smaller)`,
      `  lake on disk            ${formatBytes(storedBytes)}`,
      `  TTFT p50 / p95          ${summary.ttftP50Ms.toFixed(0)} ms / ${summary.ttftP95Ms.toFixed(0)} ms`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    lake.close();
  }
  const report = await generateReport({
    dir,
    out: join(dirname(dir), 'voicelake-report.html'),
    progress,
  });
  process.stdout.write(
    `\nReport: ${report.path} (${formatBytes(report.bytes)}), open it in a browser; \`voicelake report --help\` for more\n`,
  );
  return { ...summary, reportPath: report.path };
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.json.gz'))
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
}
