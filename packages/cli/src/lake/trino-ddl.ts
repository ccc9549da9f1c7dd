/**
 * The lake's tables in Trino's own DDL, for a team's Trino (or Starburst) with a Hive catalog
 * over the S3 lake: the same tables as `athena ddl`, from the same schema and the same
 * partition projection, then the very same views (`events_unique`, `calls`), so Athena and
 * Trino answer the same SQL.
 *
 * Hive's `CREATE EXTERNAL TABLE` does not run on Trino, and Trino cannot create a
 * `SymlinkTextInputFormat` table, so `<table>_compacted` is a view here: the Parquet files under
 * `compacted/` (`<table>_compacted_files`) joined to the symlink manifests' lines
 * (`<table>_compacted_parts`) on the day and the file's `"$path"`. It reads exactly the parts a
 * day's manifest lists, like Athena's symlink table, and exposes `"$path"` as a column so the
 * compaction SQL reads it the same way. The join is on the partition columns, so a filter on
 * the days reaches both tables: Trino lists the partitions of those days only.
 *
 * Trino's projection needs `hive.partition-projection-enabled=true` in the catalog (Trino 436+).
 */
import { ALL_COLUMNS, KINDS, SCHEMA_VERSION } from 'voicelake/schema';
import { athenaRoot, COMPACTED_DIR } from './compacted-layout.js';
import {
  type AthenaDdlOptions,
  callsViewDdl,
  checkName,
  checkOptions,
  comment,
  compactedTables,
  PARTITION_COLUMNS,
  PROJECTION_YEARS,
  q,
  type SchemaColumn,
  uniqueViewDdl,
  wrap,
} from './ddl.js';

/** The table of every Parquet file under `compacted/`, which the `<table>_compacted` view filters. */
export const compactedFilesTable = (table: string): string => `${table}_compacted_files`;

const PROJECTION: Record<(typeof PARTITION_COLUMNS)[number], string> = {
  year: `partition_projection_type = 'integer', partition_projection_range = ARRAY['${PROJECTION_YEARS.first}', '${PROJECTION_YEARS.last}']`,
  month: `partition_projection_type = 'integer', partition_projection_range = ARRAY['1', '12'], partition_projection_digits = 2`,
  day: `partition_projection_type = 'integer', partition_projection_range = ARRAY['1', '31'], partition_projection_digits = 2`,
};

/** One partitioned external table with partition projection over `root` (`s3://…/`). */
function trinoTable(name: string, columns: readonly string[], format: string, root: string): string {
  const template = `${root}${PARTITION_COLUMNS.map((p) => `${p}=\${${p}}`).join('/')}/`;
  return [
    `CREATE TABLE IF NOT EXISTS ${name} (`,
    [...columns, ...PARTITION_COLUMNS.map((p) => `${q(p)} integer WITH (${PROJECTION[p]})`)]
      .map((c) => `  ${c}`)
      .join(',\n'),
    ')',
    'WITH (',
    [
      `format = '${format}'`,
      `external_location = '${root}'`,
      `partitioned_by = ARRAY[${PARTITION_COLUMNS.map((p) => `'${p}'`).join(', ')}]`,
      'partition_projection_enabled = true',
      `partition_projection_location_template = '${template}'`,
      `extra_properties = MAP(ARRAY['schema_version'], ARRAY['${SCHEMA_VERSION}'])`,
    ]
      .map((p) => `  ${p}`)
      .join(',\n'),
    ')',
  ].join('\n');
}

const trinoColumn = (c: SchemaColumn): string =>
  `${q(c.name)} ${KINDS[c.kind].trino} COMMENT ${comment(c.doc)}`;

/** The statements that define the lake in Trino, in the order to run them: the schema, the tables, then the views. */
export function trinoDdl(
  options: AthenaDdlOptions,
  columns: readonly SchemaColumn[] = ALL_COLUMNS,
): string[] {
  const root = checkOptions(options, columns);
  const links = `${root}${athenaRoot('')}`;
  const compactedRoot = `${root}${COMPACTED_DIR}`;
  const { parquet, parts } = compactedTables(options.table);
  const files = compactedFilesTable(options.table);
  for (const name of [parquet, parts, files]) checkName('--table', name);
  const db = options.database;
  const list = wrap(
    [...columns.map((c) => c.name), ...PARTITION_COLUMNS].map((c) => `f.${q(c)}`),
    2,
  );
  const sameDay = PARTITION_COLUMNS.map((p) => `p.${q(p)} = f.${q(p)}`).join(' AND ');
  return [
    `CREATE SCHEMA IF NOT EXISTS ${db}`,
    trinoTable(`${db}.${options.table}`, columns.map(trinoColumn), 'JSON', root),
    trinoTable(`${db}.${files}`, columns.map(trinoColumn), 'PARQUET', compactedRoot),
    trinoTable(
      `${db}.${parts}`,
      [
        `${q('part')} varchar COMMENT ${comment('s3:// URI of a Parquet part of the compacted day (one line of its symlink manifest)')}`,
      ],
      'TEXTFILE',
      links,
    ),
    [
      `CREATE OR REPLACE VIEW ${db}.${parquet} AS`,
      `SELECT ${list}, f."$path" AS "$path"`,
      `FROM ${db}.${files} AS f`,
      `JOIN ${db}.${parts} AS p ON ${sameDay} AND p.${q('part')} = f."$path"`,
    ].join('\n'),
    uniqueViewDdl(options, columns),
    callsViewDdl(options, columns),
  ];
}
