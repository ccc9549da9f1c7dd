/**
 * The `events` a named query (or `--sql`) reads on Athena or Trino: each event once, each day
 * from one table. The CLI lists which days of the range are compacted (their symlink manifests,
 * the same files `<table>_compacted` reads) and filters each table on its own days: the gzip
 * table on the others, deduplicated on `event_id` as `events_unique` does, and
 * `<table>_compacted` on the compacted ones. Partition projection then lists the objects of
 * those days only, so a compacted day's gzip objects are never read, not even to be dropped
 * (`events_unique`, a view, cannot know the days in advance and reads them).
 */

import { ALL_COLUMNS } from 'voicelake/schema';
import { partitionFilter } from './days.js';
import { compactedTables, PARTITION_COLUMNS, q, type SchemaColumn, type TableRef } from './ddl.js';

/**
 * The SQL of `events` over `days` (the range's days), of which `compacted` are read from
 * Parquet: every schema column and the partition columns, each `event_id` once.
 */
export function engineEventsSql(
  ref: TableRef,
  days: readonly string[],
  compacted: ReadonlySet<string>,
  columns: readonly SchemaColumn[] = ALL_COLUMNS,
): string {
  const list = [...columns.map((c) => c.name), ...PARTITION_COLUMNS].map(q).join(', ');
  const gzipDays = days.filter((d) => !compacted.has(d));
  const parquetDays = days.filter((d) => compacted.has(d));
  const window = [...PARTITION_COLUMNS, 'event_id'].map(q).join(', ');
  const branches: string[] = [];
  if (gzipDays.length > 0 || parquetDays.length === 0)
    branches.push(
      [
        `SELECT ${list} FROM (`,
        `  SELECT r.*, row_number() OVER (PARTITION BY ${window} ORDER BY ${q('event_time')}) AS rn`,
        `  FROM ${ref.database}.${ref.table} AS r`,
        `  WHERE ${partitionFilter(gzipDays, 'r')}`,
        `) AS t WHERE rn = 1 OR ${q('event_id')} IS NULL`,
      ].join('\n'),
    );
  if (parquetDays.length > 0)
    branches.push(
      `SELECT ${list} FROM ${ref.database}.${compactedTables(ref.table).parquet} WHERE ${partitionFilter(parquetDays)}`,
    );
  return branches.join('\nUNION ALL\n');
}
