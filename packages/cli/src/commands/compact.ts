/**
 * `voicelake compact`: rewrite days of the lake as Parquet (zstd), one row per event, verified
 * before it is published; readers then take those days from Parquet. The protocol is in
 * compact/day.ts and docs/compaction.md.
 */
import { Command, Option } from 'commander';
import { ConfigError, QueryError } from 'voicelake';
import { compactWithAthena } from '../compact/athena.js';
import { compactDay, type DayResult } from '../compact/day.js';
import { envValue } from '../env.js';
import { formatBytes, formatCount, positiveInt } from '../format.js';
import { AthenaEngine, AthenaQueryError } from '../lake/athena.js';
import { PARQUET_ROWS } from '../lake/compacted-layout.js';
import { daysOf } from '../lake/days.js';
import { ATHENA_DDL_DEFAULTS, checkTableRef } from '../lake/ddl.js';
import type { SqlEngine } from '../lake/engine.js';
import { addSourceOptions, parseDay, type SourceOptions, sourceFrom } from '../lake/source-options.js';
import { TrinoEngine } from '../lake/trino.js';
import { abortOnSigint } from './athena.js';
import { trinoOptions } from './trino.js';

type CompactFlags = SourceOptions & {
  day: string;
  to?: string;
  deleteSource?: boolean;
  partRows: number;
  engine: 'duckdb' | 'athena' | 'trino';
  server?: string;
  catalog?: string;
  schema?: string;
  user?: string;
  workgroup?: string;
  database?: string;
  table: string;
  outputLocation?: string;
};

/**
 * What to do about an Athena error that says a table or column is missing, or access is denied.
 * Only Athena's errors (a failed query, or the SDK's refusal): an S3 failure already says what
 * to do, and "the bucket does not exist" is not a missing table.
 */
export function athenaHint(error: unknown, database: string, table: string): unknown {
  if (error instanceof QueryError && !(error instanceof AthenaQueryError)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const hint = /TABLE_NOT_FOUND|COLUMN_NOT_FOUND|does not exist|cannot be resolved/i.test(message)
    ? `run \`voicelake athena ddl --check --database ${database} --table ${table}\`, then \`voicelake athena create\` if it says so`
    : /AccessDenied|not authorized/i.test(message)
      ? 'the role needs the statements of `voicelake iam-policy --read` (Athena, Glue and compacted/ writes)'
      : undefined;
  return hint === undefined ? error : new QueryError(`${message}; ${hint}`, { cause: error });
}

/** At most this many days per run: a longer range is a typo more often than not. */
const MAX_DAYS = 366;

export function compactCommand(): Command {
  const cmd = new Command('compact')
    .description(
      'Compact days of the lake into Parquet (zstd): one row per event_id, sorted by call_id and event_time, verified before it is published. Queries then read those days from Parquet.',
    )
    .addOption(
      new Option('--day <YYYY-MM-DD>', 'the (first) day to compact, UTC (or today, yesterday)')
        .argParser(parseDay('--day'))
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--to <YYYY-MM-DD>', 'compact every day from --day to this one, inclusive').argParser(
        parseDay('--to'),
      ),
    )
    .option(
      '--delete-source',
      "once a day's Parquet is verified and its manifest written, delete the gzip objects it covers",
    )
    .option(
      '--part-rows <n>',
      'at most this many rows per Parquet part, at least 2,048 (--engine duckdb; Athena sizes its own files)',
      positiveInt('--part-rows'),
      PARQUET_ROWS.perPart,
    )
    .addOption(
      new Option(
        '--engine <engine>',
        'where the work runs: duckdb on this machine (through the query cache on S3), athena inside AWS, or your own trino (S3 lakes)',
      )
        .choices(['duckdb', 'athena', 'trino'])
        .default('duckdb'),
    )
    .option('--workgroup <name>', 'Athena workgroup (default: ANALYTICS_ATHENA_WORKGROUP, else primary)')
    .option('--database <name>', 'Athena database (default: ANALYTICS_ATHENA_DATABASE, else voicelake)')
    .option(
      '--table <name>',
      'the Athena table of the gzip objects (`athena ddl`)',
      ATHENA_DDL_DEFAULTS.table,
    )
    .option(
      '--output-location <s3url>',
      "Athena results location (default: ANALYTICS_ATHENA_OUTPUT, else the workgroup's)",
    );
  trinoOptions(cmd);
  addSourceOptions(cmd, { range: false });
  return cmd.action(async (flags: CompactFlags) => {
    if (flags.partRows < PARQUET_ROWS.minRowGroup)
      throw new ConfigError(
        `--part-rows ${flags.partRows} is below ${PARQUET_ROWS.minRowGroup.toLocaleString('en-US')}, the smallest Parquet row group compaction writes`,
      );
    const to = flags.to ?? flags.day;
    if (to < flags.day) throw new ConfigError(`--to ${to} is before --day ${flags.day}`);
    const days = daysOf({ from: flags.day, to });
    if (days.length > MAX_DAYS)
      throw new ConfigError(
        `--day ${flags.day} --to ${to} is ${days.length} days; compact at most ${MAX_DAYS} at once`,
      );
    const source = sourceFrom(flags);
    const started = performance.now();
    const log = (line: string) => process.stdout.write(`${line}\n`);
    try {
      const store = source.store();
      const results: DayResult[] = [];
      let scanned = '';
      if (flags.engine === 'athena' || flags.engine === 'trino') {
        const lake = source.location;
        if (lake.kind !== 's3')
          throw new ConfigError(`--engine ${flags.engine} compacts an S3 lake: pass --bucket (and --prefix)`);
        const trino = flags.engine === 'trino';
        const athena: SqlEngine = trino
          ? new TrinoEngine({
              server: flags.server,
              catalog: flags.catalog,
              schema: flags.schema,
              user: flags.user,
              // Trino takes the Parquet codec from the session (Athena from the table's properties).
              session: {
                [`${flags.catalog ?? envValue('ANALYTICS_TRINO_CATALOG') ?? 'hive'}.compression_codec`]:
                  'ZSTD',
              },
            })
          : new AthenaEngine({
              workgroup: flags.workgroup,
              database: flags.database,
              outputLocation: flags.outputLocation,
            });
        checkTableRef({ database: athena.database, table: flags.table });
        // Ctrl-C stops the running query in Athena (it would otherwise run, and bill, to its
        // end); the clean-up statements then run without the signal.
        const { signal, release } = abortOnSigint();
        try {
          const out = await compactWithAthena(days, {
            bucket: lake.bucket,
            prefix: lake.prefix,
            list: (day) => source.list({ from: day, to: day }),
            store,
            athena: { query: (sql) => athena.query(sql, signal.aborted ? {} : { signal }) },
            database: athena.database,
            table: flags.table,
            deleteSource: flags.deleteSource === true,
            log,
            dialect: trino ? 'trino' : 'athena',
            engineName: trino ? 'Trino' : 'Athena',
          }).catch((error: unknown) => {
            throw trino ? error : athenaHint(error, athena.database, flags.table);
          });
          results.push(...out.results);
          scanned = `, ${formatBytes(out.bytesScanned)} scanned by ${trino ? 'Trino' : 'Athena'}`;
        } finally {
          release();
          athena.close();
        }
      } else
        for (const day of days)
          results.push(
            await compactDay(day, {
              source,
              store,
              deleteSource: flags.deleteSource === true,
              partRows: flags.partRows,
              log,
            }),
          );
      const done = results.filter((r) => r.status === 'compacted');
      const sum = (f: (r: DayResult) => number): number => done.reduce((s, r) => s + f(r), 0);
      if (days.length > 1 || done.length === 0)
        process.stdout.write(
          `${source.description}: ${formatCount(done.length)} of ${formatCount(days.length)} days compacted, ${formatCount(sum((r) => r.rows))} rows, ${formatBytes(sum((r) => r.gzipBytes))} of gzip read → ${formatBytes(sum((r) => r.parquetBytes))} of Parquet${scanned}, in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
        );
    } finally {
      source.close();
    }
  });
}
