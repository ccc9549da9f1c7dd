/**
 * `voicelake query`: a named query or your own SQL over the lake — local, or S3 through the
 * query cache — with DuckDB; or over the S3 lake itself with Athena or your own Trino.
 */
import { Command, Option } from 'commander';
import { QueryError } from 'voicelake';
import { INSIGHTS_QUERIES, runInsights } from '../cloudwatch/insights.js';
import { envValue, nonEmpty } from '../env.js';
import { formatBytes, positiveInt } from '../format.js';
import { AthenaEngine } from '../lake/athena.js';
import { daysOf, partitionFilter } from '../lake/days.js';
import { ATHENA_DDL_DEFAULTS, ATHENA_VIEWS, checkTableRef } from '../lake/ddl.js';
import { sqlHelpers } from '../lake/dialect.js';
import { openLake } from '../lake/duckdb.js';
import type { SqlEngine } from '../lake/engine.js';
import { engineEventsSql } from '../lake/engine-events.js';
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
} from '../lake/source-options.js';
import { type Format, formatOption, printRows } from '../output.js';
import { trinoEngine, trinoOptions } from './trino.js';

type QueryOptions = SourceOptions &
  RangeOptions & {
    sql?: string;
    json?: boolean;
    list?: boolean;
    format: Format;
    limit: number;
    engine: 'duckdb' | 'athena' | 'trino' | 'cloudwatch';
    table: string;
    server?: string;
    catalog?: string;
    schema?: string;
    user?: string;
    since?: string;
    logGroup?: string;
    workgroup?: string;
    database?: string;
    outputLocation?: string;
  };

export function queryCommand(): Command {
  const names = Object.keys(NAMED_QUERIES).join(', ');
  const cmd = new Command('query')
    .description(`Query the lake with SQL (the view is "events"), or a named query: ${names}`)
    .argument('[name]', 'a named query (see --list)')
    .option(
      '--sql <sql>',
      'your own SELECT over the "events" view, each event once (DuckDB: "events_raw" holds every stored line; one SELECT calling pure functions only, see docs/security.md)',
    )
    .option('--limit <n>', 'rows for top-N queries (slowest)', positiveInt('--limit'), 10)
    .addOption(formatOption())
    .option('--json', 'same as --format json')
    .option('--list', 'list the named queries')
    .addOption(
      new Option('--engine <engine>', 'where the SQL runs')
        .choices(['duckdb', 'athena', 'trino', 'cloudwatch'])
        .default('duckdb'),
    )
    .option('--since <window>', 'CloudWatch Logs Insights window: 30s, 15m, 1h, 2d, 1w (default 1h)')
    .option('--log-group <name>', 'CloudWatch log group (default: ANALYTICS_LOG_GROUP)')
    .option('--workgroup <name>', 'Athena workgroup (default: ANALYTICS_ATHENA_WORKGROUP, else primary)')
    .option('--database <name>', 'Athena database (default: ANALYTICS_ATHENA_DATABASE, else voicelake)')
    .option(
      '--output-location <s3url>',
      "Athena results location (default: ANALYTICS_ATHENA_OUTPUT, else the workgroup's)",
    )
    .option(
      '--table <name>',
      'Athena/Trino: the lake table (`athena ddl` / `trino ddl`)',
      ATHENA_DDL_DEFAULTS.table,
    );
  trinoOptions(cmd);
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
      const dialect = opts.engine === 'duckdb' ? 'duckdb' : 'athena';
      sql = namedQuerySql(name as NamedQueryName, sqlHelpers(dialect), { limit: opts.limit });
    }
    const format = opts.json ? 'json' : opts.format;
    if (opts.engine === 'athena' || opts.engine === 'trino') {
      await runOnEngine(sql, opts, format);
      return;
    }
    const source = sourceFrom(opts);
    try {
      const range = rangeFrom(opts, source);
      const synced = await syncAndReport(source, range);
      const lake = await openLake(synced.dir, { range });
      try {
        printRows(await lake.select(sql), format);
      } finally {
        lake.close();
      }
    } finally {
      source.close();
    }
  });
}

/**
 * Athena and Trino run the same SQL over `events`, defined for the range: each day from one
 * table, each event once (lake/engine-events.ts). With the lake's bucket known (`--bucket`, else
 * `ANALYTICS_S3_BUCKET`), the compacted days are listed first and read from Parquet only;
 * without it, `events_unique` is read, which also scans compacted days' gzip objects.
 */
async function runOnEngine(sql: string, opts: QueryOptions, format: Format): Promise<void> {
  const engine: SqlEngine =
    opts.engine === 'athena'
      ? new AthenaEngine({
          workgroup: opts.workgroup,
          database: opts.database,
          outputLocation: opts.outputLocation,
        })
      : trinoEngine(opts);
  // Athena and Trino read the lake in S3 themselves: the source only names it and fixes the days (default: 7).
  const source = (nonEmpty(opts.bucket) ?? envValue('ANALYTICS_S3_BUCKET')) ? sourceFrom(opts) : undefined;
  try {
    const range = rangeFrom(opts, { kind: 's3' } as Parameters<typeof rangeFrom>[1]) as DayRange;
    const ref = { database: engine.database, table: opts.table };
    checkTableRef(ref);
    let events: string;
    let compactedNote = '';
    if (source !== undefined) {
      const compacted = await source.compactedDays(range);
      events = engineEventsSql(ref, daysOf(range), compacted);
      compactedNote =
        compacted.size > 0
          ? `, ${compacted.size} compacted day${compacted.size === 1 ? '' : 's'} from Parquet`
          : '';
    } else {
      events = `SELECT * FROM ${ref.database}.${ATHENA_VIEWS.unique} WHERE ${partitionFilter(daysOf(range))}`;
      process.stderr.write(
        `${opts.engine}: no --bucket (or ANALYTICS_S3_BUCKET): reading ${ATHENA_VIEWS.unique}, which also scans compacted days' gzip objects\n`,
      );
    }
    const result = await engine.query(`WITH events AS (\n${events}\n)\n${sql}`, {
      onPoll: (state) =>
        process.stderr.isTTY && process.stderr.write(`\r${opts.engine}: ${state.toLowerCase()}   `),
    });
    if (process.stderr.isTTY) process.stderr.write('\r');
    printRows(
      result.rows,
      format,
      result.columns.map((c) => c.name),
    );
    process.stderr.write(
      `${opts.engine} ${result.stats.id}: ${formatBytes(result.stats.bytesScanned)} scanned in ${(result.stats.executionMs / 1000).toFixed(2)} s (${rangeLabel(range)}${compactedNote}, ${engine.where})\n`,
    );
  } finally {
    source?.close();
    engine.close();
  }
}
