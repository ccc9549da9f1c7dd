/**
 * Local SQL over the lake with DuckDB. The `events_raw` view reads every `.json.gz` file with
 * the column spec derived from the schema, plus the Hive partition columns. A day compacted
 * by `voicelake compact` is read from the Parquet parts its manifest lists instead, and its
 * gzip objects are skipped: per day, one or the other, never both (docs/compaction.md). The
 * `events` view, which the named queries read, is `events_raw` with each `event_id` once.
 *
 * SQL typed by the user (`voicelake query --sql`) runs through `select()`: one SELECT that
 * passes the allow-list of sql-guard.ts. The instance is confined too: it may read the lake
 * directory (and any extra directory the caller allows) and nothing else, and its settings are
 * locked. See docs/security.md.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  DuckDBInstance,
  type DuckDBPreparedStatement,
  type DuckDBResultReader,
  DuckDBTypeId,
  StatementType,
} from '@duckdb/node-api';
import { QueryError } from 'voicelake';
import { ALL_COLUMNS, duckdbColumns, KINDS } from 'voicelake/schema';
import { type CompactedDay, compactedDays } from './compacted.js';
import { sqlString } from './dialect.js';
import type { DayRange } from './source.js';
import { checkSelect } from './sql-guard.js';

export type Row = Record<string, unknown>;

/** The views `openLake` defines: all that `select()` may read. */
export const LAKE_VIEWS = ['events', 'events_raw'] as const;

export interface Lake {
  /** Run voicelake's own SQL; the `events` view is the lake. Several statements run in order; the last one's rows are returned. */
  query(sql: string): Promise<Row[]>;
  /** Run SQL from the user: one SELECT over the lake's views that passes the allow-list (sql-guard.ts), or a `QueryError` naming what was refused. */
  select(sql: string): Promise<Row[]>;
  close(): void;
}

export interface OpenLakeOptions {
  /** Directories the SQL may also read besides the lake (a query cache, for example). */
  readonly allowedDirectories?: readonly string[];
  /** Only these event days: the view filters on the partition columns, so other days' files are skipped. */
  readonly range?: DayRange | undefined;
  /** The columns to read (default: the schema's); a test adds one to see it flow through. */
  readonly columns?: Parameters<typeof duckdbColumns>[0];
}

type Columns = NonNullable<Parameters<typeof duckdbColumns>[0]>;

/** The `events` view when the lake (or the requested days) holds no file yet: the same columns, no rows. */
function emptyEvents(columnList: Columns = ALL_COLUMNS): string {
  const columns = columnList.map((c) => `CAST(NULL AS ${KINDS[c.kind].duckdb}) AS ${c.name}`);
  return `SELECT ${columns.join(', ')}, CAST(NULL AS BIGINT) AS year, CAST(NULL AS BIGINT) AS month, CAST(NULL AS BIGINT) AS day WHERE false`;
}

function hasLakeFiles(dir: string): boolean {
  return readdirSync(dir, { recursive: true }).some((f) =>
    /^year=[^/]+\/month=[^/]+\/day=[^/]+\/[^/]+\.json\.gz$/.test(String(f)),
  );
}

/** A partition filter for `range`, on the Hive columns (DuckDB prunes the files of other days). */
function rangeFilter(range: DayRange | undefined): string {
  if (range === undefined) return '';
  const key = (d: string) => Number(d.replaceAll('-', ''));
  return ` WHERE (CAST(year AS INTEGER) * 10000 + CAST(month AS INTEGER) * 100 + CAST(day AS INTEGER)) BETWEEN ${key(range.from)} AND ${key(range.to)}`;
}

const dayKey = (d: string): number => Number(d.replaceAll('-', ''));

/**
 * The `events` view when some days of the lake are compacted: per day, either the Parquet parts
 * its manifest lists or its gzip objects, never both. The gzip glob is filtered on the partition
 * columns, so DuckDB skips the files of compacted days without opening them.
 */
function mixedEvents(
  dir: string,
  compacted: readonly CompactedDay[],
  range: DayRange | undefined,
  columns: Columns = ALL_COLUMNS,
): string {
  const names = columns.map((c) => c.name);
  const notCompacted = `(CAST(year AS INTEGER) * 10000 + CAST(month AS INTEGER) * 100 + CAST(day AS INTEGER)) NOT IN (${compacted.map((c) => dayKey(c.day)).join(', ')})`;
  const within = rangeFilter(range);
  const branches = [emptyEvents(columns)];
  if (hasLakeFiles(dir))
    branches.push(
      `SELECT * FROM ${lakeSource(dir, columns)}${within === '' ? ' WHERE ' : `${within} AND `}${notCompacted}`,
    );
  const parts = compacted.flatMap((c) => c.parts);
  branches.push(
    `SELECT * FROM read_parquet([${parts.map(sqlString).join(', ')}], hive_partitioning = true, ${HIVE_TYPES}, union_by_name = true)`,
  );
  return `SELECT ${names.join(', ')}, year, month, day FROM (${branches.join('\nUNION ALL BY NAME\n')})`;
}

/**
 * The partition columns' types, fixed. Left to inference, DuckDB reads a value with a leading
 * zero (`day=07`) as VARCHAR, so `day` was a string or a number depending on the dates in the lake.
 */
const HIVE_TYPES = `hive_types = {'year': BIGINT, 'month': BIGINT, 'day': BIGINT}`;

/**
 * `events`: `events_raw` with each `event_id` once. A compacted day's Parquet is unique already
 * (compaction deduplicated it); every other day keeps the first row by `event_time` of each
 * `event_id`, as Athena's `events_unique` does, so a replayed batch with new keys is counted
 * once before compaction as after. Rows without an `event_id` are all kept.
 */
function uniqueEvents(compacted: readonly CompactedDay[]): string {
  const window = 'row_number() OVER (PARTITION BY year, month, day, event_id ORDER BY event_time)';
  if (compacted.length === 0) return `SELECT * FROM events_raw QUALIFY ${window} = 1 OR event_id IS NULL`;
  const isCompacted = `(year * 10000 + month * 100 + day) IN (${compacted.map((c) => dayKey(c.day)).join(', ')})`;
  return `SELECT * FROM events_raw WHERE ${isCompacted}
UNION ALL BY NAME
SELECT * FROM events_raw WHERE NOT ${isCompacted} QUALIFY ${window} = 1 OR event_id IS NULL`;
}

/** SQL that reads the lake under `dir` (a directory of the lake layout). */
export function lakeSource(dir: string, columns?: Parameters<typeof duckdbColumns>[0]): string {
  // Exactly the layout under `dir`: a cache holding several prefixes nests them, and only this one's partitions count.
  const glob = join(dir, 'year=*', 'month=*', 'day=*', '*.json.gz');
  return `read_json(${sqlString(glob)}, format = 'newline_delimited', compression = 'gzip', hive_partitioning = true, ${HIVE_TYPES}, union_by_name = true, columns = ${duckdbColumns(columns)})`;
}

/**
 * Settings fixed when the instance is created. `temp_directory` is off because DuckDB adds
 * its temp directory (`./.tmp` by default) to the allowed directories: queries then
 * run in memory and cannot spill to disk.
 */
const INSTANCE_SETTINGS: Record<string, string> = {
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
  allow_community_extensions: 'false',
  allow_unsigned_extensions: 'false',
  allow_persistent_secrets: 'false',
  temp_directory: '',
};

/** Types whose values `getRowObjectsJson` gives as text to keep every digit. */
const TEXT_NUMBERS = new Set<DuckDBTypeId>([
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
  DuckDBTypeId.DECIMAL,
]);

/**
 * The rows as JSON values, numbers as numbers: a count (BIGINT) or a rounded average (DECIMAL)
 * is a JSON number, so `--format json` prints `"calls": 55`, not `"55"`. An integer beyond
 * 2^53 stays text, to keep every digit.
 */
function typedRows(reader: DuckDBResultReader): Row[] {
  const rows = reader.getRowObjectsJson() as Row[];
  const names = reader.columnNames();
  const numeric = reader
    .columnTypes()
    .map((t, i) => (TEXT_NUMBERS.has(t.typeId) ? names[i] : undefined))
    .filter((n): n is string => n !== undefined);
  if (numeric.length === 0) return rows;
  for (const row of rows)
    for (const name of numeric) {
      const v = row[name];
      if (typeof v !== 'string') continue;
      const n = Number(v);
      if (Number.isFinite(n) && (!/^-?\d+$/.test(v) || Number.isSafeInteger(n))) row[name] = n;
    }
  return rows;
}

/** Open the lake under `dir`. Throws `QueryError` when it holds no data. */
export async function openLake(dir: string, options: OpenLakeOptions = {}): Promise<Lake> {
  if (!existsSync(dir)) throw new QueryError(`no lake at ${dir}: the directory does not exist`);
  const allowed = [dir, ...(options.allowedDirectories ?? [])].map((d) => resolve(d));
  const instance = await DuckDBInstance.create(':memory:', INSTANCE_SETTINGS);
  const connection = await instance.connect();
  const close = (): void => {
    connection.closeSync();
    instance.closeSync();
  };
  try {
    // Order matters: DuckDB accepts allowed_directories only while external access is on,
    // and nothing can be changed once the configuration is locked.
    await connection.run(`SET allowed_directories = [${allowed.map(sqlString).join(', ')}]`);
    await connection.run('SET enable_external_access = false');
    await connection.run('SET lock_configuration = true');
  } catch (error) {
    close();
    throw new QueryError(`cannot confine DuckDB to the lake at ${dir}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    const compacted = await compactedDays(dir, options.range);
    const body =
      compacted.length > 0
        ? mixedEvents(dir, compacted, options.range, options.columns)
        : hasLakeFiles(dir)
          ? `SELECT * FROM ${lakeSource(dir, options.columns)}${rangeFilter(options.range)}`
          : emptyEvents(options.columns);
    await connection.run(`CREATE VIEW events_raw AS ${body}`);
    await connection.run(`CREATE VIEW events AS ${uniqueEvents(compacted)}`);
  } catch (error) {
    close();
    if (error instanceof QueryError) throw error;
    throw new QueryError(`cannot read the lake at ${dir}: ${(error as Error).message}`, { cause: error });
  }
  const outside = `the query tried to reach outside the lake at ${dir} (voicelake query may only read the lake: no other file, no network, no extension, no setting)`;
  const failure = (error: unknown): QueryError => {
    const message = error instanceof Error ? error.message : String(error);
    if (message.startsWith('Permission Error') || message.includes('the configuration has been locked'))
      return new QueryError(`${outside}: ${message}`, { cause: error });
    // What @duckdb/node-api reports for SQL with no statement (only blanks, `;` or comments).
    if (message === 'Error in native callback')
      return new QueryError('query failed: the SQL holds no statement', { cause: error });
    return new QueryError(`query failed: ${message}`, { cause: error });
  };
  /** Run each statement of `sql` in order (each may use what the previous ones created); the last one's rows. */
  const run = async (sql: string, selectOnly = false): Promise<Row[]> => {
    const statements = await connection.extractStatements(sql).catch((error: unknown) => {
      throw failure(error);
    });
    let rows: Row[] = [];
    for (let i = 0; i < statements.count; i++) {
      const prepared: DuckDBPreparedStatement = await statements.prepare(i).catch((error: unknown) => {
        throw failure(error);
      });
      try {
        // The guard passed exactly one SELECT; DuckDB's own statement type must agree before it runs.
        if (selectOnly && (prepared.statementType !== StatementType.SELECT || statements.count !== 1))
          throw new QueryError('the query was refused: DuckDB did not prepare it as one SELECT');
        rows = typedRows(
          await prepared.runAndReadAll().catch((error: unknown) => {
            throw failure(error);
          }),
        );
      } finally {
        prepared.destroySync();
      }
    }
    return rows;
  };
  return {
    query: (sql) => run(sql),
    async select(sql: string): Promise<Row[]> {
      await checkSelect(connection, sql, LAKE_VIEWS);
      return run(sql, true);
    },
    close,
  };
}
