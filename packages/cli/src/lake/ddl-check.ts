/**
 * The live table against the schema, for `athena ddl --check`: which schema columns the Glue
 * table lacks or types differently, and the `ALTER TABLE … ADD COLUMNS` that adds the missing.
 */
import { ALL_COLUMNS, KINDS } from 'voicelake/schema';
import {
  checkColumns,
  checkName,
  ddlColumn,
  PARTITION_COLUMNS,
  type SchemaColumn,
  type TableRef,
} from './ddl.js';

/** A column as the Glue catalog holds it (`GetTable` → `StorageDescriptor.Columns`). */
export interface LiveColumn {
  readonly name: string;
  readonly type: string;
}

export interface SchemaDiff {
  /** Schema columns the live table lacks. */
  readonly missing: SchemaColumn[];
  /** Columns whose live type differs from the schema's Athena type. */
  readonly mismatched: { readonly name: string; readonly live: string; readonly expected: string }[];
  /** Live columns the schema does not have (left alone). */
  readonly extra: string[];
}

/** The live table's columns against the schema. Names and types compare case-insensitively, as Glue stores them. */
export function schemaDiff(
  live: readonly LiveColumn[],
  columns: readonly SchemaColumn[] = ALL_COLUMNS,
): SchemaDiff {
  const liveByName = new Map(live.map((c) => [c.name.toLowerCase(), c.type.trim().toLowerCase()]));
  const known = new Set(columns.map((c) => c.name));
  const mismatched: SchemaDiff['mismatched'] = [];
  const missing: SchemaColumn[] = [];
  for (const c of columns) {
    const type = liveByName.get(c.name);
    const expected = KINDS[c.kind].athena;
    if (type === undefined) missing.push(c);
    else if (type !== expected) mismatched.push({ name: c.name, live: type, expected });
  }
  const extra = live
    .map((c) => c.name.toLowerCase())
    .filter((n) => !known.has(n) && !(PARTITION_COLUMNS as readonly string[]).includes(n));
  return { missing, mismatched, extra };
}

/**
 * `ALTER TABLE … ADD COLUMNS (…)` for the schema columns the live table lacks, or undefined when
 * it has them all. Type mismatches cannot be fixed by adding columns: see `schemaDiff().mismatched`.
 */
export function alterAddColumns(
  live: readonly LiveColumn[],
  options: TableRef,
  columns: readonly SchemaColumn[] = ALL_COLUMNS,
): string | undefined {
  checkName('--database', options.database);
  checkName('--table', options.table);
  checkColumns(columns);
  const { missing } = schemaDiff(live, columns);
  if (missing.length === 0) return undefined;
  return [
    `ALTER TABLE ${options.database}.${options.table} ADD COLUMNS (`,
    missing.map((c) => `  ${ddlColumn(c)}`).join(',\n'),
    ')',
  ].join('\n');
}
