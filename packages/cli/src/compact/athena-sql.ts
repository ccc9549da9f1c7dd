/**
 * The SQL of `voicelake compact --engine athena`, pure: days and names in, statements out.
 * One run creates two scratch tables under `<prefix>compacted/athena-runs/<run>/`, fills the second
 * with `INSERT INTO … SELECT` in statements of at most 100 days (Athena writes at most 100
 * partitions per INSERT INTO), counts both sides per day to verify, then drops them. See
 * docs/compaction.md, "Athena".
 */
import { ALL_COLUMNS, KINDS } from 'voicelake/schema';
import { runRoot } from '../lake/compacted-layout.js';
import {
  comment,
  compactedTables,
  PARTITION_COLUMNS,
  q,
  type SchemaColumn,
  type TableRef,
} from '../lake/ddl.js';

/** Athena: "The INSERT INTO statement supports writing a maximum of 100 partitions to the destination table." One day is one partition. */
export const ATHENA_MAX_PARTITIONS = 100;

export interface AthenaRun extends TableRef {
  readonly bucket: string;
  /** The lake prefix, `''` or ending with `/`. */
  readonly prefix: string;
  /** The run id (compact/layout.ts `RUN_RE`). */
  readonly run: string;
}

/** The run's two scratch tables: the source objects to read, and the Parquet written. */
export function runTables(r: AthenaRun): { sources: string; out: string } {
  const id = r.run.toLowerCase().replace(/[^a-z0-9]/g, '_');
  return { sources: `${r.database}.vl_run_${id}_sources`, out: `${r.database}.vl_run_${id}_out` };
}

/** `s3://bucket/<prefix>compacted/athena-runs/<run>/<what>/`. */
export const runLocation = (r: AthenaRun, what: 'sources' | 'out'): string =>
  `s3://${r.bucket}/${runRoot(r.prefix, r.run)}${what}/`;

/** `(year = 2026 AND month = 11 AND day = 24) OR (…)`, on a table's partition columns. */
export function daysFilter(days: readonly string[], alias?: string): string {
  const col = (p: string) => (alias ? `${alias}.${q(p)}` : q(p));
  return days
    .map((d) => {
      const [y, m, dd] = d.split('-').map(Number);
      return `(${col('year')} = ${y} AND ${col('month')} = ${m} AND ${col('day')} = ${dd})`;
    })
    .join(' OR ');
}

/** `days` in statements of at most `ATHENA_MAX_PARTITIONS` days each, in order. */
export function chunks(days: readonly string[], size = ATHENA_MAX_PARTITIONS): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < days.length; i += size) out.push(days.slice(i, i + size));
  return out;
}

/**
 * The scratch tables: the list of source objects (one `s3://` URI per line), and the Parquet
 * (zstd) output. In Hive's DDL for Athena, or in Trino's (`trino`: the same two tables; Trino
 * takes the Parquet codec from the session, which the Trino engine sets to ZSTD for compaction).
 */
export function createRunTables(
  r: AthenaRun,
  columns: readonly SchemaColumn[] = ALL_COLUMNS,
  dialect: 'athena' | 'trino' = 'athena',
): string[] {
  const t = runTables(r);
  if (dialect === 'trino')
    return [
      `CREATE TABLE ${t.sources} (${q('path')} varchar) WITH (format = 'TEXTFILE', external_location = '${runLocation(r, 'sources')}')`,
      [
        `CREATE TABLE ${t.out} (`,
        [
          ...columns.map((c) => `${q(c.name)} ${KINDS[c.kind].trino}`),
          ...PARTITION_COLUMNS.map((p) => `${q(p)} integer`),
        ]
          .map((c) => `  ${c}`)
          .join(',\n'),
        ')',
        `WITH (format = 'PARQUET', external_location = '${runLocation(r, 'out')}', partitioned_by = ARRAY[${PARTITION_COLUMNS.map((p) => `'${p}'`).join(', ')}])`,
      ].join('\n'),
    ];
  return [
    [
      `CREATE EXTERNAL TABLE ${t.sources} (`,
      `  \`path\` string COMMENT ${comment('s3:// URI of a gzip object this run compacts')}`,
      ')',
      "ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe'",
      "STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'",
      "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'",
      `LOCATION '${runLocation(r, 'sources')}'`,
    ].join('\n'),
    [
      `CREATE EXTERNAL TABLE ${t.out} (`,
      columns.map((c) => `  \`${c.name}\` ${KINDS[c.kind].athena}`).join(',\n'),
      ')',
      `PARTITIONED BY (${PARTITION_COLUMNS.map((p) => `\`${p}\` int`).join(', ')})`,
      'STORED AS PARQUET',
      `LOCATION '${runLocation(r, 'out')}'`,
      "TBLPROPERTIES ('parquet.compression'='ZSTD')",
    ].join('\n'),
  ];
}

/**
 * The inputs of `days`: the rows of the days' current Parquet (through the symlink manifests)
 * and of the gzip objects listed in the sources table, with which side (`src`, the Parquet
 * first) and object each row came from.
 */
function inputs(r: AthenaRun, days: readonly string[], columns: readonly SchemaColumn[]): string {
  const t = runTables(r);
  const list = [...columns.map((c) => c.name), ...PARTITION_COLUMNS].map(q).join(', ');
  const { parquet } = compactedTables(r.table);
  return [
    `SELECT ${list}, 0 AS src, "$path" AS obj FROM ${r.database}.${parquet} WHERE ${daysFilter(days)}`,
    'UNION ALL',
    `SELECT ${list}, 1 AS src, "$path" AS obj FROM ${r.database}.${r.table}`,
    `WHERE (${daysFilter(days)}) AND "$path" IN (SELECT ${q('path')} FROM ${t.sources})`,
  ].join('\n');
}

/**
 * `INSERT INTO` the output table the rows of `days` (at most `ATHENA_MAX_PARTITIONS`): one row
 * per `event_id`, the first by `event_time`, then the Parquet before gzip, then by object (as
 * the DuckDB compaction keeps them); rows without an `event_id` all kept; sorted by `call_id`,
 * `event_time`, `event_id`.
 */
export function insertDays(
  r: AthenaRun,
  days: readonly string[],
  columns: readonly SchemaColumn[] = ALL_COLUMNS,
): string {
  if (days.length === 0 || days.length > ATHENA_MAX_PARTITIONS)
    throw new Error(`an INSERT INTO writes 1 to ${ATHENA_MAX_PARTITIONS} days, not ${days.length}`);
  const list = [...columns.map((c) => c.name), ...PARTITION_COLUMNS].map(q).join(', ');
  const window = [...PARTITION_COLUMNS, 'event_id'].map(q).join(', ');
  return [
    `INSERT INTO ${runTables(r).out} (${list})`,
    `SELECT ${list}`,
    'FROM (',
    `  SELECT *, row_number() OVER (PARTITION BY ${window} ORDER BY ${q('event_time')}, src, obj) AS rn`,
    '  FROM (',
    inputs(r, days, columns)
      .split('\n')
      .map((l) => `    ${l}`)
      .join('\n'),
    '  ) AS i',
    ') AS t',
    `WHERE rn = 1 OR ${q('event_id')} IS NULL`,
    `ORDER BY ${q('call_id')}, ${q('event_time')}, ${q('event_id')}`,
  ].join('\n');
}

/**
 * Per day of `days`: the inputs' distinct event_ids, rows without one, and rows; and what each
 * side contributed (the previous Parquet's rows and distinct event_ids, and how many distinct
 * gzip objects produced rows), so that verification can check Athena read what it was meant to,
 * not only that it wrote what it read.
 */
export function countInputs(
  r: AthenaRun,
  days: readonly string[],
  columns: readonly SchemaColumn[] = ALL_COLUMNS,
): string {
  return [
    `SELECT ${q('year')}, ${q('month')}, ${q('day')}, count(DISTINCT ${q('event_id')}) AS ids,`,
    `  count_if(${q('event_id')} IS NULL) AS nulls, count(*) AS "rows",`,
    `  count_if(src = 0) AS parquet_rows,`,
    `  count(DISTINCT CASE WHEN src = 0 THEN ${q('event_id')} END) AS parquet_ids,`,
    '  count(DISTINCT CASE WHEN src = 1 THEN obj END) AS gzip_objects',
    `FROM (\n${inputs(r, days, columns)}\n) AS i`,
    'GROUP BY 1, 2, 3',
  ].join('\n');
}

/** Per day written: the output's rows and distinct event_ids. */
export function countOutput(r: AthenaRun): string {
  return [
    `SELECT ${q('year')}, ${q('month')}, ${q('day')}, count(*) AS "rows", count(DISTINCT ${q('event_id')}) AS ids`,
    `FROM ${runTables(r).out}`,
    'GROUP BY 1, 2, 3',
  ].join('\n');
}

/** Drop the scratch tables (external: their objects stay, and compaction deletes them itself). */
export function dropRunTables(r: AthenaRun): string[] {
  const t = runTables(r);
  return [`DROP TABLE IF EXISTS ${t.out}`, `DROP TABLE IF EXISTS ${t.sources}`];
}
