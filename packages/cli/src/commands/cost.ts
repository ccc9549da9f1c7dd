/**
 * `voicelake cost`: what the lake costs a month, from bytes measured in it — bytes, events and
 * objects per call (`list()` sizes and a DuckDB count), NDJSON bytes per event (a decompressed
 * sample), and the Parquet column sizes of compacted days (`parquet_metadata()`). An empty lake
 * is measured from a simulated demo lake instead, and says so. The model is `../cost.ts`.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Command, Option } from 'commander';
import { ConfigError, createAnalytics, defaultLogger, QueryError } from 'voicelake';
import { generateCalls } from 'voicelake/demo';
import {
  COST_DEFAULTS,
  type CostAssumptions,
  DEFAULT_PRICES,
  type Estimate,
  estimateCost,
  type LakeMeasure,
  NUMERIC_PRICES,
  type ParquetMeasure,
  type Prices,
  parsePrices,
  price,
  TRANSITION_MIN_BYTES,
  usd,
} from '../cost-model.js';
import { envValue } from '../env.js';
import { formatBytes, formatCount, positiveInt } from '../format.js';
import { compactedDays } from '../lake/compacted.js';
import { sqlHelpers, sqlString } from '../lake/dialect.js';
import { openLake } from '../lake/duckdb.js';
import { LocalSource } from '../lake/local-source.js';
import type { Manifest } from '../lake/manifest.js';
import { NAMED_QUERIES, type NamedQueryName, namedQuerySql } from '../lake/named-queries.js';
import { readNoFollow } from '../lake/partitions.js';
import type { DayRange, LakeSource } from '../lake/source.js';
import {
  addSourceOptions,
  type RangeOptions,
  rangeFrom,
  rangeLabel,
  type SourceOptions,
  sourceFrom,
  syncAndReport,
} from '../lake/source-options.js';
import { type Format, formatOption, printRows, type Row } from '../output.js';
import { DEMO_DEFAULTS } from './demo.js';

interface CostFlags extends SourceOptions, RangeOptions {
  callsPerMonth: number;
  prices?: string;
  region?: string;
  format: Format;
  glacierAfterDays: number;
  logRetentionDays: number;
  queryDays: number;
  queryRunsPerMonth: number;
  objectsPerCall?: number;
}

/** `text` broken into lines of at most `width` characters, at spaces. */
function wrapWords(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines.join('\n');
}

/** Compressed bytes decompressed at most to measure NDJSON bytes per event. */
const SAMPLE_BYTES = 64 * 1024 * 1024;
/** The simulated lake measured when the lake is empty: `voicelake demo`'s defaults. */
const DEMO = DEMO_DEFAULTS;

const positiveNumber =
  (name: string) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${value}"`);
    return n;
  };

export function costCommand(): Command {
  const cmd = new Command('cost')
    .description(
      "Estimate the lake's monthly AWS cost (S3, Glacier, CloudWatch Logs, Athena) from bytes measured in it, beside the per-event design's estimate of $0.02 per 1,000 calls",
    )
    .option(
      '--calls-per-month <n>',
      'calls a month to project to',
      positiveInt('--calls-per-month'),
      COST_DEFAULTS.callsPerMonth,
    )
    .option(
      '--prices <file>',
      'JSON file of prices overriding the built-in ones (any subset; see docs/cost.md)',
    )
    .option('--region <region>', `the region the prices are for (built-in: ${DEFAULT_PRICES.region})`)
    .addOption(formatOption())
    .option(
      '--glacier-after-days <days>',
      'the Glacier transition of `voicelake lifecycle apply`',
      positiveInt('--glacier-after-days'),
      COST_DEFAULTS.glacierAfterDays,
    )
    .option(
      '--log-retention-days <days>',
      'CloudWatch Logs retention of the log group',
      positiveInt('--log-retention-days'),
      COST_DEFAULTS.logRetentionDays,
    )
    .option(
      '--query-days <days>',
      'days each Athena query reads',
      positiveInt('--query-days'),
      COST_DEFAULTS.queryDays,
    )
    .option(
      '--query-runs-per-month <n>',
      'runs of each named query a month',
      positiveInt('--query-runs-per-month'),
      COST_DEFAULTS.queryRunsPerMonth,
    )
    .addOption(
      new Option(
        '--objects-per-call <n>',
        'S3 objects per call instead of the measured figure (process per call: about 2 × minutes + 1)',
      ).argParser(positiveNumber('--objects-per-call')),
    );
  addSourceOptions(cmd);
  return cmd
    .addHelpText(
      'after',
      `
Measured in the lake (the days of --from/--to; S3 default: the last 7 days): raw objects and
their sizes (ls), calls and events (DuckDB), NDJSON bytes per event (a decompressed sample), and
for compacted days the Parquet column chunk sizes (parquet_metadata). An empty lake is measured
from a simulated ${DEMO.calls}-call demo lake instead, and the output says so.

The S3 line (PUTs + one month of Standard storage) is bench/cost.ts's figure; the per-event design estimated
$0.02 per 1,000 calls. Month 12 assumes constant traffic from month 1, objects older than
--glacier-after-days in Glacier Flexible Retrieval when S3 transitions them (128 KiB and up), and
nothing expired. Prices: public ${DEFAULT_PRICES.region} list prices of ${DEFAULT_PRICES.date}; docs/cost.md.

--prices FILE is a JSON object with any of: region, date (strings), and these numbers
(USD; athenaMinMbPerQuery in MB, 10 MB = 10 × 2^20 bytes):
${wrapWords(NUMERIC_PRICES.map((k) => `${k} (${DEFAULT_PRICES[k]})`).join(', '), 92)}.`,
    )
    .action(async (flags: CostFlags) => {
      const prices = await loadPrices(flags);
      const source = sourceFrom(flags);
      try {
        const range = rangeFrom(flags, source);
        let measure = await measureLake(source, range);
        if (measure === undefined) {
          process.stderr.write(
            `${source.description} (${rangeLabel(range)}) holds no objects: estimating from a simulated ${DEMO.calls}-call demo lake\n`,
          );
          measure = await measureDemo();
        }
        const assumptions: CostAssumptions = {
          callsPerMonth: flags.callsPerMonth,
          glacierAfterDays: flags.glacierAfterDays,
          logRetentionDays: flags.logRetentionDays,
          queryDays: flags.queryDays,
          queryRunsPerMonth: flags.queryRunsPerMonth,
          objectsPerCall: flags.objectsPerCall,
        };
        const queries = (Object.keys(NAMED_QUERIES) as NamedQueryName[]).map((name) => ({
          name,
          sql: namedQuerySql(name, sqlHelpers('athena')),
        }));
        const estimate = estimateCost(measure, assumptions, prices, queries);
        print(flags.format, { source, range, measure, assumptions, prices, estimate });
      } finally {
        source.close();
      }
    });
}

async function loadPrices(flags: CostFlags): Promise<Prices> {
  let prices = DEFAULT_PRICES;
  if (flags.prices !== undefined) {
    const text = await readFile(flags.prices, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new ConfigError(`cannot read --prices ${flags.prices}: ${error.message}`);
    });
    prices = parsePrices(text, flags.prices);
  }
  if (flags.region !== undefined && flags.region !== prices.region) {
    if (flags.prices === undefined || prices.region !== DEFAULT_PRICES.region)
      process.stderr.write(
        `voicelake: note: the prices are ${prices.region}'s; for ${flags.region}'s, give them with --prices (docs/cost.md)\n`,
      );
    prices = { ...prices, region: flags.region };
  }
  return prices;
}

// ---------------------------------------------------------------------------------------------
// Measuring

/** A compacted day: its manifest, and its Parquet parts as local files (or sparse copies of their footers). */
interface CompactedParts {
  readonly day: string;
  readonly manifest: Manifest;
  readonly files: readonly { readonly path: string; readonly size: number }[];
}

const DAY_SQL =
  "printf('%04d-%02d-%02d', CAST(year AS INTEGER), CAST(month AS INTEGER), CAST(day AS INTEGER))";
const dayList = (days: readonly string[]): string => days.map((d) => `'${d}'`).join(', ');

/**
 * The measure of the lake's days in `range`, or undefined when it holds no raw object there
 * (nor a compacted day whose raw objects were deleted). Only days DuckDB reads events from
 * count, so bytes and calls always come from the same days.
 */
async function measureLake(
  source: LakeSource,
  range: DayRange | undefined,
): Promise<LakeMeasure | undefined> {
  if (source instanceof LocalSource && !existsSync(source.dir)) return undefined;
  const listed = await source.list(range);
  const synced = await syncAndReport(source, range);
  // Compacted days (an S3 sync fetches their manifests and parts into the cache).
  const compacted: CompactedParts[] = [];
  for (const c of await compactedDays(synced.dir, range)) {
    const files = [];
    for (const path of c.parts) files.push({ path, size: (await stat(path)).size });
    compacted.push({ day: c.day, manifest: c.manifest, files });
  }

  // Raw objects: those listed, and those of compacted days that compaction deleted (from the manifest).
  const raw = new Map<string, { day: string; size: number; listed: boolean }>();
  for (const o of listed) raw.set(o.key, { day: o.day, size: o.size, listed: true });
  for (const c of compacted)
    for (const src of c.manifest.sources)
      if (!raw.has(src.key)) raw.set(src.key, { day: c.day, size: src.size, listed: false });
  if (raw.size === 0) return undefined;

  const lake = await openLake(synced.dir, { range });
  try {
    const perDay = await lake.query(`SELECT ${DAY_SQL} AS d, count(*) AS events FROM events GROUP BY 1`);
    const readable = new Set(perDay.filter((r) => Number(r.events) > 0).map((r) => String(r.d)));
    const rawDays = [...new Set([...raw.values()].map((r) => r.day))].sort();
    const days = rawDays.filter((d) => readable.has(d));
    const notes: string[] = [];
    const skipped = rawDays.filter((d) => !readable.has(d));
    if (skipped.length > 0)
      notes.push(
        `${skipped.length} day${skipped.length === 1 ? '' : 's'} left out (${skipped.slice(0, 3).join(', ')}${skipped.length > 3 ? ', …' : ''}): objects but no events DuckDB can read (deleted gzip objects and compacted parts not in the cache)`,
      );
    if (days.length === 0)
      throw new QueryError(
        `${source.description} has objects, but DuckDB read no event from any of their days`,
      );
    const [counts] = await lake.query(
      `SELECT count(*) AS events, count(DISTINCT call_id) AS calls FROM events WHERE ${DAY_SQL} IN (${dayList(days)})`,
    );
    const calls = Number(counts?.calls ?? 0);
    const events = Number(counts?.events ?? 0);
    if (calls === 0) throw new QueryError(`${source.description} has events but no call_id`);
    const inDays = new Set(days);
    const objects = [...raw.entries()].filter(([, r]) => inDays.has(r.day));
    const storedBytes = objects.reduce((sum, [, r]) => sum + r.size, 0);

    // NDJSON bytes per event, from up to SAMPLE_BYTES of the objects at hand, spread over the lake
    // (an S3 cache leaves out the gzip objects of compacted days).
    const pathOf = (key: string) => join(synced.dir, key.slice(source.prefix.length));
    const available = objects.filter(([key, r]) => r.listed && existsSync(pathOf(key)));
    const step = Math.max(1, Math.ceil(available.reduce((sum, [, r]) => sum + r.size, 0) / SAMPLE_BYTES));
    let lineBytes = 0;
    let lines = 0;
    let sampled = 0;
    for (let i = 0; i < available.length; i += step) {
      const [key] = available[i] as (typeof available)[number];
      const body = gunzipSync(await readNoFollow(pathOf(key)));
      let newlines = 0;
      for (let j = body.indexOf(10); j >= 0; j = body.indexOf(10, j + 1)) newlines++;
      lineBytes += body.length - newlines;
      lines += newlines + (body.length > 0 && body[body.length - 1] !== 10 ? 1 : 0);
      sampled++;
    }
    let rawBytesPerEvent = lines > 0 ? lineBytes / lines : 0;
    if (lines === 0) {
      // Every gzip object of these days was deleted by compaction: serialize rows as the lake writes them (nulls left out).
      const [row] = await lake.query(
        `SELECT avg(octet_length(regexp_replace(CAST(to_json(e) AS VARCHAR), '"[A-Za-z0-9_]+":null,?', '', 'g'))) AS bytes
           FROM (SELECT * EXCLUDE (year, month, day) FROM events WHERE ${DAY_SQL} IN (${dayList(days)}) LIMIT 100000) AS e`,
      );
      rawBytesPerEvent = Number(row?.bytes ?? 0);
      notes.push(
        'NDJSON bytes per event re-serialized from Parquet rows: every gzip object of these days was deleted',
      );
    }
    const eligible = objects.filter(([, r]) => r.size >= TRANSITION_MIN_BYTES);
    const parquetFiles = compacted
      .filter((c) => inDays.has(c.day))
      .flatMap((c) => c.files.map((f) => ({ ...f, day: c.day })));
    return {
      origin: 'lake',
      days: days.length,
      calls,
      events,
      objects: objects.length,
      storedBytes,
      rawBytesPerEvent,
      sampledObjects: sampled,
      transitionEligible: {
        objects: eligible.length,
        bytes: eligible.reduce((sum, [, r]) => sum + r.size, 0),
      },
      parquet: await measureParquet(lake, parquetFiles),
      notes,
    };
  } finally {
    lake.close();
  }
}

interface ParquetFile {
  readonly path: string;
  readonly size: number;
  readonly day: string;
}

/** The Parquet parts of the compacted days, measured by DuckDB's `parquet_metadata()`. */
async function measureParquet(
  lake: Awaited<ReturnType<typeof openLake>>,
  files: readonly ParquetFile[],
): Promise<ParquetMeasure | undefined> {
  if (files.length === 0) return undefined;
  const list = `[${files.map((f) => sqlString(f.path)).join(', ')}]`;
  const columns = await lake.query(
    `SELECT path_in_schema AS col, sum(total_compressed_size) AS bytes FROM parquet_metadata(${list}) GROUP BY 1`,
  );
  const [shape] = await lake.query(
    `SELECT count(DISTINCT (file_name, row_group_id)) AS row_groups,
            sum(row_group_num_rows) FILTER (WHERE column_id = 0) AS rows
     FROM parquet_metadata(${list})`,
  );
  return {
    days: new Set(files.map((f) => f.day)).size,
    files: files.length,
    bytes: files.reduce((sum, f) => sum + f.size, 0),
    rows: Number(shape?.rows ?? 0),
    rowGroups: Number(shape?.row_groups ?? 0),
    columnBytes: Object.fromEntries(columns.map((r) => [String(r.col), Number(r.bytes)])),
  };
}

/** The measure of a simulated demo lake (`voicelake demo`'s defaults), for an empty lake. */
async function measureDemo(): Promise<LakeMeasure> {
  const dir = await mkdtemp(join(tmpdir(), 'voicelake-cost-demo-'));
  try {
    // Its own lake and spool, and no environment: nothing of the user's configuration is touched.
    const analytics = createAnalytics({
      s3: false,
      cloudWatch: false,
      local: { dir: join(dir, 'lake') },
      spool: { dir: join(dir, 'spool') },
      logger: defaultLogger(envValue('ANALYTICS_LOG_LEVEL') ?? 'warn'),
      env: {},
    });
    generateCalls(analytics, DEMO);
    const closed = await analytics.close({ timeoutMs: 60_000 });
    if (closed.undelivered.local !== 0)
      throw new QueryError(`the demo lake did not receive every event: ${JSON.stringify(closed)}`);
    const source = new LocalSource({ dir: join(dir, 'lake') });
    const measure = await measureLake(source, undefined);
    if (measure === undefined) throw new QueryError('the simulated demo lake is empty');
    return { ...measure, origin: 'demo' };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Output

interface Report {
  readonly source: LakeSource;
  readonly range: DayRange | undefined;
  readonly measure: LakeMeasure;
  readonly assumptions: CostAssumptions;
  readonly prices: Prices;
  readonly estimate: Estimate;
}

function pricesLine(p: Prices): string[] {
  return [
    `S3 Standard ${price(p.s3StandardGbMonth)}/GB-month, PUT ${price(p.s3PutPer1000)}/1k, GET ${price(p.s3GetPer1000)}/1k`,
    `Glacier Flexible Retrieval ${price(p.glacierGbMonth)}/GB-month, transition ${price(p.glacierTransitionPer1000)}/1k objects`,
    `CloudWatch Logs ingestion ${price(p.cloudWatchIngestGb)}/GB, storage ${price(p.cloudWatchStorageGbMonth)}/GB-month`,
    `Athena ${price(p.athenaPerTb)}/TB scanned, ${p.athenaMinMbPerQuery} MB minimum a query`,
  ];
}

function print(format: Format, r: Report): void {
  const { measure: m, estimate: e, assumptions: a, prices: p } = r;
  const columns = ['item', 'quantity', 'per_month', 'per_1k_calls', 'per_10k_calls'];
  if (format === 'csv') {
    printRows(e.rows as unknown as Row[], 'csv', columns);
    return;
  }
  if (format === 'json') {
    const { parquet, ...measured } = m;
    process.stdout.write(
      `${JSON.stringify(
        {
          source: r.source.description,
          range: r.range ?? null,
          origin: m.origin,
          callsPerMonth: a.callsPerMonth,
          measured: { ...measured, parquet: parquet ?? null },
          perCall: e.perCall,
          prices: p,
          assumptions: a,
          s3Per10kCalls: e.s3Per10kCalls,
          rows: e.rows,
          athena: e.athena,
          notes: e.notes,
        },
        null,
        2,
      )}\n`,
    );
    return;
  }
  const where =
    m.origin === 'demo'
      ? `a simulated ${DEMO.calls}-call demo lake (${r.source.description} holds no objects in ${rangeLabel(r.range)})`
      : `${r.source.description} (${rangeLabel(r.range)})`;
  const out: string[] = [];
  out.push(`voicelake cost: ${formatCount(a.callsPerMonth)} calls a month, measured in ${where}`);
  out.push(
    `  measured: ${formatCount(m.calls)} calls, ${formatCount(m.events)} events, ${formatCount(m.objects)} objects (${formatBytes(m.storedBytes)}) over ${m.days} day${m.days === 1 ? '' : 's'}`,
  );
  out.push(
    `  per call: ${e.perCall.events.toFixed(1)} events, ${formatBytes(Math.round(e.perCall.storedBytes))} stored (gzip), ${formatBytes(Math.round(e.perCall.rawBytes))} NDJSON (from ${formatCount(m.sampledObjects)} decompressed objects), ${e.perCall.objects.toFixed(3)} objects${a.objectsPerCall !== undefined ? ` (--objects-per-call; measured ${e.perCall.objectsMeasured.toFixed(3)})` : ''}`,
  );
  out.push(
    m.parquet
      ? `  parquet:  ${formatCount(m.parquet.files)} compacted part${m.parquet.files === 1 ? '' : 's'} of ${m.parquet.days} day${m.parquet.days === 1 ? '' : 's'}, ${formatBytes(m.parquet.bytes)}, ${formatCount(m.parquet.rows)} rows, ${Object.keys(m.parquet.columnBytes).length} columns (parquet_metadata)`
      : '  parquet:  no compacted day yet: Parquet figures after compaction',
  );
  out.push(
    `  prices:   ${p.region}, ${p.source === 'built-in' ? `built-in public list prices taken ${p.date}` : `from ${p.source} (dated ${p.date})`}; override with --prices FILE`,
  );
  for (const line of pricesLine(p)) out.push(`            ${line}`);
  out.push('');
  process.stdout.write(`${out.join('\n')}\n`);
  printRows(
    e.rows.map((row) => ({
      ...row,
      per_month: usd(row.per_month),
      per_1k_calls: usd(row.per_1k_calls),
      per_10k_calls: usd(row.per_10k_calls),
    })),
    'table',
    columns,
  );
  process.stdout.write(
    `\nAthena per run (${a.queryDays} days at ${formatCount(a.callsPerMonth)} calls a month; gzip reads whole objects, Parquet the column chunks each query names):\n`,
  );
  printRows(
    e.athena.map((q) => ({
      query: q.query,
      gzip_scanned: formatBytes(q.gzip_scanned_bytes),
      gzip: usd(q.gzip_usd_per_run),
      parquet_columns: q.parquet_columns ?? '',
      parquet_scanned:
        q.parquet_scanned_bytes === null ? 'after compaction' : formatBytes(q.parquet_scanned_bytes),
      parquet: q.parquet_usd_per_run === null ? '' : usd(q.parquet_usd_per_run),
    })),
    'table',
  );
  const notes = [
    ...e.notes,
    `Month 12: constant traffic since month 1, nothing expired, objects older than ${a.glacierAfterDays} days in Glacier Flexible Retrieval when S3 transitions them (128 KiB and up), with its 40 KiB overhead per object.`,
    'CloudWatch: each event metered as its NDJSON line plus 26 bytes, stored compressed (at the lake gzip size) for the retention. Athena: the 10 MB minimum and one GET per object read.',
  ];
  process.stdout.write(`\n${notes.map((n) => `note: ${n}`).join('\n')}\n`);
}
