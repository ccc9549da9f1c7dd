/**
 * Local SQL over the lake with DuckDB. The `events` view reads every `.json.gz` file with
 * the column spec derived from the schema, plus the Hive partition columns.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { QueryError } from 'voicelake';
import { duckdbColumns } from 'voicelake/schema';

export type Row = Record<string, unknown>;

export interface Lake {
  /** Run SQL; the `events` view is the lake. */
  query(sql: string): Promise<Row[]>;
  close(): void;
}

const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** SQL that reads the lake under `dir` (a directory of the lake layout). */
export function lakeSource(dir: string): string {
  const glob = join(dir, '**', '*.json.gz');
  return `read_json(${quote(glob)}, format = 'newline_delimited', compression = 'gzip', hive_partitioning = true, union_by_name = true, columns = ${duckdbColumns()})`;
}

/** Open the lake under `dir`. Throws `QueryError` when it holds no data. */
export async function openLake(dir: string): Promise<Lake> {
  if (!existsSync(dir)) throw new QueryError(`no lake at ${dir}: the directory does not exist`);
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(`CREATE VIEW events AS SELECT * FROM ${lakeSource(dir)}`);
  } catch (error) {
    connection.closeSync();
    throw new QueryError(`cannot read the lake at ${dir}: ${(error as Error).message}`, { cause: error });
  }
  return {
    async query(sql: string): Promise<Row[]> {
      try {
        const reader = await connection.runAndReadAll(sql);
        return reader.getRowObjectsJson() as Row[];
      } catch (error) {
        throw new QueryError(`query failed: ${(error as Error).message}`, { cause: error });
      }
    },
    close(): void {
      connection.closeSync();
      instance.closeSync();
    },
  };
}
