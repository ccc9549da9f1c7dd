/**
 * `voicelake query`: a named query or your own SQL over the lake — local, or S3 through the
 * query cache — with DuckDB.
 */
import { Command, Option } from 'commander';
import { QueryError } from 'voicelake';
import { INSIGHTS_QUERIES, runInsights } from '../cloudwatch/insights.js';
import { formatBytes, positiveInt } from '../format.js';
import { AthenaEngine } from '../lake/athena.js';
import { ATHENA_VIEWS } from '../lake/ddl.js';
import { sqlHelpers } from '../lake/dialect.js';
import { openLake } from '../lake/duckdb.js';
import { NAMED_QUERIES, type NamedQueryName, namedQuerySql } from '../lake/named-queries.js';
import type { DayRange } from '../lake/source.js';
import {
  addSourceOptions,
  type RangeOptions,
  rangeFrom,
  rangeLabel,
  type SourceOptions,
  sourceFrom,
  syncAndReport,
} from '../lake/sources.js';
import { type Format, formatOption, printRows } from '../output.js';

type QueryOptions = SourceOptions &
  RangeOptions & {
    sql?: string;
    json?: boolean;
    list?: boolean;
    format: Format;
    limit: number;
    engine: 'duckdb' | 'athena' | 'cloudwatch';
    since?: string;
    logGroup?: string;
    workgroup?: string;
    database?: string;
    outputLocation?: string;
  };

/** Days of `range` as `YYYY-MM-DD`. */
function daysOf(range: DayRange): string[] {
  const out: string[] = [];
  for (
    let t = Date.parse(`${range.from}T00:00:00Z`);
    t <= Date.parse(`${range.to}T00:00:00Z`) && out.length <= 366;
    t += 86_400_000
  )
    out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/**
 * Athena runs the same SQL over `events`, defined here as the deduplicated view limited to the
 * range's partitions, written as equalities on the projected partition columns so Athena reads
 * only those days.
 */
function athenaSql(sql: string, database: string, range: DayRange | undefined): string {
  const days = range ? daysOf(range) : [];
  const where =
    days.length > 0
      ? ` WHERE ${days
          .map((d) => {
            const [y, m, dd] = d.split('-').map(Number);
            return `(year = ${y} AND month = ${m} AND day = ${dd})`;
          })
          .join(' OR ')}`
      : '';
  return `WITH events AS (SELECT * FROM ${database}.${ATHENA_VIEWS.unique}${where})\n${sql}`;
}

export function queryCommand(): Command {
  const names = Object.keys(NAMED_QUERIES).join(', ');
  const cmd = new Command('query')
    .description(`Query the lake with SQL (the view is "events"), or a named query: ${names}`)
    .argument('[name]', 'a named query (see --list)')
    .option('--sql <sql>', 'your own SQL over the "events" view (trusted input, confined to the lake)')
    .option('--limit <n>', 'rows for top-N queries (slowest)', positiveInt('--limit'), 10)
    .addOption(formatOption())
    .option('--json', 'same as --format json')
    .option('--list', 'list the named queries')
    .addOption(
      new Option('--engine <engine>', 'where the SQL runs')
        .choices(['duckdb', 'athena', 'cloudwatch'])
        .default('duckdb'),
    )
    .option('--since <window>', 'CloudWatch Logs Insights window: 30s, 15m, 1h, 2d, 1w (default 1h)')
    .option('--log-group <name>', 'CloudWatch log group (default: ANALYTICS_LOG_GROUP)')
    .option('--workgroup <name>', 'Athena workgroup (default: ANALYTICS_ATHENA_WORKGROUP, else primary)')
    .option('--database <name>', 'Athena database (default: ANALYTICS_ATHENA_DATABASE, else voicelake)')
    .option(
      '--output-location <s3url>',
      "Athena results location (default: ANALYTICS_ATHENA_OUTPUT, else the workgroup's)",
    );
  addSourceOptions(cmd);
  return cmd.action(async (name: string | undefined, opts: QueryOptions) => {
    if (opts.list || (!name && !opts.sql)) {
      for (const [n, q] of Object.entries(NAMED_QUERIES))
        process.stdout.write(`${n.padEnd(14)} ${q.description}\n`);
      process.stdout.write('\nReal time, with --engine cloudwatch (Logs Insights over the last --since):\n');
      for (const [n, q] of Object.entries(INSIGHTS_QUERIES))
        process.stdout.write(`${n.padEnd(14)} ${q.description}\n`);
      return;
    }
    if (opts.engine === 'cloudwatch') {
      if (name !== undefined && !(name in INSIGHTS_QUERIES))
        throw new QueryError(
          `unknown Logs Insights query "${name}"; known: ${Object.keys(INSIGHTS_QUERIES).join(', ')}`,
        );
      const result = await runInsights((name ?? opts.sql) as string, {
        since: opts.since,
        logGroup: opts.logGroup,
      });
      printRows(result.rows, opts.json ? 'json' : opts.format, result.columns);
      return;
    }
    let sql = opts.sql as string;
    if (name !== undefined) {
      if (!(name in NAMED_QUERIES)) throw new QueryError(`unknown named query "${name}"; known: ${names}`);
      sql = namedQuerySql(name as NamedQueryName, sqlHelpers(opts.engine), { limit: opts.limit });
    }
    const format = opts.json ? 'json' : opts.format;
    if (opts.engine === 'athena') {
      await runAthena(sql, opts, format);
      return;
    }
    const source = sourceFrom(opts);
    try {
      const range = rangeFrom(opts, source);
      const synced = await syncAndReport(source, range);
      const lake = await openLake(synced.dir, { range });
      try {
        printRows(await lake.query(sql), format);
      } finally {
        lake.close();
      }
    } finally {
      source.close();
    }
  });
}

async function runAthena(sql: string, opts: QueryOptions, format: Format): Promise<void> {
  const engine = new AthenaEngine({
    workgroup: opts.workgroup,
    database: opts.database,
    outputLocation: opts.outputLocation,
  });
  try {
    // Athena reads the lake in S3 itself: the source only fixes the day range (S3 default: 7 days).
    const range = rangeFrom(opts, { kind: 's3' } as Parameters<typeof rangeFrom>[1]);
    const result = await engine.query(athenaSql(sql, engine.database, range), {
      onPoll: (state) => process.stderr.isTTY && process.stderr.write(`\rathena: ${state.toLowerCase()}   `),
    });
    if (process.stderr.isTTY) process.stderr.write('\r');
    printRows(
      result.rows,
      format,
      result.columns.map((c) => c.name),
    );
    process.stderr.write(
      `athena ${result.stats.queryExecutionId}: ${formatBytes(result.stats.bytesScanned)} scanned in ${(result.stats.executionMs / 1000).toFixed(2)} s (${rangeLabel(range)}, workgroup ${engine.workgroup})\n`,
    );
  } finally {
    engine.close();
  }
}
