/**
 * The Athena (Glue) definition of the lake, derived from the one schema (`voicelake/schema`):
 * - `<table>`: the external table over the GZIP NDJSON files, with partition projection on the
 *   layout's `year=YYYY/month=MM/day=DD/` partitions;
 * - `<table>_compacted`: the compacted days' Parquet, read through the Hive symlink manifests
 *   that compaction writes (`compacted/athena-symlinks/…/symlink.txt`), so exactly the parts a day's
 *   manifest lists, never a stale or unpublished part;
 * - `<table>_compacted_parts`: the same symlink files read as text, one row per current part: a
 *   day with a row here is compacted;
 * - `events_unique`: one row per `event_id`, the compacted days from Parquet and the other days
 *   from gzip, never both;
 * - `calls`: the call summaries.
 * Add a column to the schema and the DDL, the views and `alterAddColumns` follow.
 *
 * Pure: options in, SQL out. Every column list takes the schema's columns as a parameter
 * (default `ALL_COLUMNS`) so tests can derive the DDL of a schema with one more column.
 *
 * Over 300 lines: the three tables and two views are one definition of the lake, sharing its name checks and column rendering (the live-table check is ddl-check.ts).
 */
import { ConfigError } from 'voicelake';
import { ALL_COLUMNS, type ColumnKind, KINDS, SCHEMA_VERSION } from 'voicelake/schema';
import { athenaRoot } from './compacted-layout.js';
import { lakeBucket, lakePrefix } from './location.js';

/** What the DDL needs of a schema column. */
export interface SchemaColumn {
  readonly name: string;
  readonly kind: ColumnKind;
  readonly doc: string;
}

export interface TableRef {
  /** Glue database (Athena schema). */
  readonly database: string;
  readonly table: string;
}

export interface AthenaDdlOptions extends TableRef {
  /** The lake bucket. */
  readonly bucket: string;
  /** The lake prefix (`s3.prefix`), `''` or ending with `/` (normalized when it does not). */
  readonly prefix: string;
}

export const ATHENA_DDL_DEFAULTS = { database: 'voicelake', table: 'events' } as const;

/** The views `athenaDdl` creates next to the table. */
export const ATHENA_VIEWS = { unique: 'events_unique', calls: 'calls' } as const;

/** The compacted tables beside the gzip table `table`. */
export const compactedTables = (table: string) =>
  ({ parquet: `${table}_compacted`, parts: `${table}_compacted_parts` }) as const;

/** The Hive partition columns of the layout (`year=YYYY/month=MM/day=DD/`), in order. */
export const PARTITION_COLUMNS = ['year', 'month', 'day'] as const;

/**
 * The call summary (`call_ended`): the schema's last section, from its first column to its
 * last, plus the columns of other sections the summary fills with per-call totals. Only these
 * anchors are named here; each must exist in the schema (checked when the DDL is built).
 */
const SUMMARY_SECTION = { first: 'call_duration_ms', last: 'usage_json' } as const;
const SUMMARY_ALSO = ['prompt_tokens', 'prompt_cached_tokens', 'completion_tokens', 'message'] as const;

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** Athena database and table names: lower case letters, digits and `_` (Glue lower-cases them anyway). */
export function checkName(option: string, value: string): void {
  if (!IDENTIFIER.test(value) || value.length > 255)
    throw new ConfigError(
      `invalid ${option} ${JSON.stringify(value)}: use lower case letters, digits and _ (not starting with a digit), at most 255 characters`,
    );
}

/** Refuse a database or table name Athena would not take (or that could change the SQL it is put in). */
export function checkTableRef(ref: TableRef): void {
  checkName('--database', ref.database);
  checkName('--table', ref.table);
}

/** The lake's prefix (`lakePrefix`), which also goes into SQL string literals (LOCATION, the projection template). */
function sqlSafePrefix(prefix: string): string {
  // The prefix goes into SQL string literals (LOCATION, storage.location.template).
  if (prefix.includes("'"))
    throw new ConfigError(`invalid --prefix ${JSON.stringify(prefix)}: may not contain '`);
  return lakePrefix(prefix);
}

export function checkColumns(columns: readonly SchemaColumn[]): void {
  const seen = new Set<string>();
  for (const c of columns) {
    if (!IDENTIFIER.test(c.name))
      throw new Error(`schema column ${JSON.stringify(c.name)} is not a plain identifier`);
    if (seen.has(c.name) || (PARTITION_COLUMNS as readonly string[]).includes(c.name))
      throw new Error(`schema column ${c.name} is defined twice (or clashes with a partition column)`);
    seen.add(c.name);
  }
}

/** A SQL string literal for a column doc. Docs are prose: an apostrophe becomes ’ rather than an escape the Hive and Trino parsers read differently. */
export const comment = (doc: string): string => `'${doc.replace(/'/g, '’')}'`;

/** One column of a Hive DDL column list: `` `name` type COMMENT '…' ``. */
export const ddlColumn = (c: SchemaColumn): string =>
  `\`${c.name}\` ${KINDS[c.kind].athena} COMMENT ${comment(c.doc)}`;

/** A (Trino) identifier in a view: double-quoted, so a future column named like a keyword still works. */
export const q = (name: string): string => `"${name}"`;

/** `items` joined by `, `, broken into lines of about 100 characters indented by `indent`. */
export function wrap(items: readonly string[], indent: number): string {
  const lines: string[] = [];
  let line = '';
  for (const item of items) {
    if (line !== '' && line.length + item.length + 2 > 100) {
      lines.push(`${line},`);
      line = item;
    } else line = line === '' ? item : `${line}, ${item}`;
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

/** The schema's call summary columns: its summary section, then the totals it shares with other sections. */
export function summaryColumns(columns: readonly SchemaColumn[] = ALL_COLUMNS): SchemaColumn[] {
  const names = columns.map((c) => c.name);
  const first = names.indexOf(SUMMARY_SECTION.first);
  const last = names.indexOf(SUMMARY_SECTION.last);
  const missing = [SUMMARY_SECTION.first, SUMMARY_SECTION.last, ...SUMMARY_ALSO].filter(
    (n) => !names.includes(n),
  );
  if (first < 0 || last < first || missing.length > 0)
    throw new Error(`the schema has no call summary section (missing: ${missing.join(', ') || 'order'})`);
  const also = new Set<string>(SUMMARY_ALSO);
  const section = columns.slice(first, last + 1);
  return [...section, ...columns.filter((c) => also.has(c.name) && !section.includes(c))];
}

/** The years the tables' partition projection covers: Athena sees no day outside them. */
export const PROJECTION_YEARS = { first: 2024, last: 2099 } as const;

/** Partition projection on year/month/day over `root` (an `s3://…/` location), as TBLPROPERTIES. */
function projection(root: string): [string, string][] {
  const template = `${root}${PARTITION_COLUMNS.map((p) => `${p}=\${${p}}`).join('/')}/`;
  return [
    ['projection.enabled', 'true'],
    ['projection.year.type', 'integer'],
    ['projection.year.range', `${PROJECTION_YEARS.first},${PROJECTION_YEARS.last}`],
    ['projection.month.type', 'integer'],
    ['projection.month.range', '1,12'],
    ['projection.month.digits', '2'],
    ['projection.day.type', 'integer'],
    ['projection.day.range', '1,31'],
    ['projection.day.digits', '2'],
    ['storage.location.template', template],
    ['schema_version', String(SCHEMA_VERSION)],
  ];
}

/** One partitioned external table: its columns, storage lines, location and properties. */
function externalTable(
  name: string,
  columnLines: readonly string[],
  storage: readonly string[],
  root: string,
): string {
  return [
    `CREATE EXTERNAL TABLE IF NOT EXISTS ${name} (`,
    columnLines.map((c) => `  ${c}`).join(',\n'),
    ')',
    `PARTITIONED BY (${PARTITION_COLUMNS.map((p) => `\`${p}\` int`).join(', ')})`,
    ...storage,
    `LOCATION '${root}'`,
    'TBLPROPERTIES (',
    projection(root)
      .map(([k, v]) => `  '${k}'='${v}'`)
      .join(',\n'),
    ')',
  ].join('\n');
}

/** Checks the options and `columns`; returns the lake's root, `s3://bucket/prefix/`, or with `symlinks` the root of compaction's symlink manifests. */
export function checkOptions(
  options: AthenaDdlOptions,
  columns: readonly SchemaColumn[],
  symlinks = false,
): string {
  checkName('--database', options.database);
  checkName('--table', options.table);
  lakeBucket(options.bucket);
  checkColumns(columns);
  const prefix = sqlSafePrefix(options.prefix);
  return `s3://${options.bucket}/${symlinks ? athenaRoot(prefix) : prefix}`;
}

const TEXT_OUTPUT = "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'";

/** `CREATE EXTERNAL TABLE`: every schema column, partition projection on year/month/day. */
export function createTableDdl(
  options: AthenaDdlOptions,
  columns: readonly SchemaColumn[] = ALL_COLUMNS,
): string {
  const root = checkOptions(options, columns);
  return externalTable(
    `${options.database}.${options.table}`,
    columns.map(ddlColumn),
    [
      "ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'",
      "STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'",
      TEXT_OUTPUT,
    ],
    root,
  );
}

/**
 * `<table>_compacted`: the compacted days' Parquet (zstd, the schema's columns) through the
 * symlink manifests (`SymlinkTextInputFormat`): each day's partition location holds one text file
 * listing the `s3://` URIs of its current parts, so Athena reads those parts and no other file.
 * A day without a symlink manifest has no rows here.
 */
export function compactedTableDdl(
  options: AthenaDdlOptions,
  columns: readonly SchemaColumn[] = ALL_COLUMNS,
): string {
  const root = checkOptions(options, columns, true);
  const { parquet } = compactedTables(options.table);
  checkName('--table', parquet);
  return externalTable(
    `${options.database}.${parquet}`,
    columns.map(ddlColumn),
    [
      "ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'",
      "STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'",
      TEXT_OUTPUT,
    ],
    root,
  );
}

/** `<table>_compacted_parts`: the symlink manifests as text, one row (`part`, an `s3://` URI) per current part of a compacted day. */
export function compactedPartsTableDdl(options: AthenaDdlOptions): string {
  const root = checkOptions(options, [], true);
  const { parts } = compactedTables(options.table);
  checkName('--table', parts);
  return externalTable(
    `${options.database}.${parts}`,
    [
      `\`part\` string COMMENT ${comment('s3:// URI of a Parquet part of the compacted day (one line of its symlink manifest)')}`,
    ],
    [
      "ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe'",
      "STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'",
      TEXT_OUTPUT,
    ],
    root,
  );
}

/**
 * `events_unique`: one row per `event_id`, every column. A compacted day (one with a symlink
 * manifest, i.e. rows in `<table>_compacted_parts`) comes from its Parquet, which compaction
 * already made unique; every other day from the gzip table, the first row by `event_time` of
 * each `event_id`. A day is never read from both. A duplicate of an event is the same line
 * written twice, so it has the same event time and partition: the window is also partitioned
 * by year/month/day, which lets Athena push a partition filter on the view down to both tables
 * (and scan only those days). Rows without an `event_id` (never written by voicelake) are all
 * kept, as compaction keeps them.
 */
export function uniqueViewDdl(options: TableRef, columns: readonly SchemaColumn[] = ALL_COLUMNS): string {
  checkName('--database', options.database);
  checkName('--table', options.table);
  checkColumns(columns);
  const { parquet, parts } = compactedTables(options.table);
  const window = [...PARTITION_COLUMNS, 'event_id'].map(q).join(', ');
  const list = wrap([...columns.map((c) => c.name), ...PARTITION_COLUMNS].map(q), 2);
  const sameDay = PARTITION_COLUMNS.map((p) => `c.${q(p)} = r.${q(p)}`).join(' AND ');
  return [
    `CREATE OR REPLACE VIEW ${options.database}.${ATHENA_VIEWS.unique} AS`,
    `SELECT ${list}`,
    'FROM (',
    `  SELECT r.*, row_number() OVER (PARTITION BY ${window} ORDER BY ${q('event_time')}) AS rn`,
    `  FROM ${options.database}.${options.table} AS r`,
    `  WHERE NOT EXISTS (SELECT 1 FROM ${options.database}.${parts} AS c WHERE ${sameDay})`,
    ') AS t',
    `WHERE rn = 1 OR ${q('event_id')} IS NULL`,
    'UNION ALL',
    `SELECT ${list}`,
    `FROM ${options.database}.${parquet}`,
  ].join('\n');
}

/** `calls`: one row per call, from its summary (`call_ended`) in `events_unique`. */
export function callsViewDdl(options: TableRef, columns: readonly SchemaColumn[] = ALL_COLUMNS): string {
  checkName('--database', options.database);
  checkColumns(columns);
  const summary = summaryColumns(columns).map((c) => q(c.name));
  return [
    `CREATE OR REPLACE VIEW ${options.database}.${ATHENA_VIEWS.calls} AS`,
    `SELECT ${wrap([q('call_id'), q('agent_id'), `${q('event_time')} AS ${q('ended_at')}`, ...summary, ...PARTITION_COLUMNS.map(q)], 2)}`,
    `FROM ${options.database}.${ATHENA_VIEWS.unique}`,
    `WHERE ${q('event_type')} = 'call_ended'`,
  ].join('\n');
}

/** The statements that define the lake in Athena, in the order to run them: the tables, then the views. */
export function athenaDdl(
  options: AthenaDdlOptions,
  columns: readonly SchemaColumn[] = ALL_COLUMNS,
): string[] {
  return [
    createTableDdl(options, columns),
    compactedTableDdl(options, columns),
    compactedPartsTableDdl(options),
    uniqueViewDdl(options, columns),
    callsViewDdl(options, columns),
  ];
}
