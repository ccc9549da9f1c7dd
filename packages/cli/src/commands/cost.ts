/**
 * `voicelake cost`: its flags, and the table it prints. What it measures in the lake is
 * cost/measure.ts, the model that prices it cost/estimate.ts (one function per line item in
 * cost/line-items.ts), the prices cost/prices.ts.
 */
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { ConfigError } from 'voicelake';
import { COST_DEFAULTS, type CostAssumptions } from '../cost/assumptions.js';
import { type Estimate, estimateCost } from '../cost/estimate.js';
import { type LakeMeasure, measureDemo, measureLake } from '../cost/measure.js';
import { DEFAULT_PRICES, NUMERIC_PRICES, type Prices, parsePrices, price, usd } from '../cost/prices.js';
import { formatBytes, formatCount, positiveInt } from '../format.js';
import { sqlHelpers } from '../lake/dialect.js';
import { NAMED_QUERIES, type NamedQueryName, namedQuerySql } from '../lake/named-queries.js';
import type { DayRange, LakeSource } from '../lake/source.js';
import {
  addSourceOptions,
  type RangeOptions,
  rangeFrom,
  rangeLabel,
  type SourceOptions,
  sourceFrom,
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
          measure = await measureDemo(DEMO);
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
