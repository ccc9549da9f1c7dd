/**
 * The DuckDB side of compacting one day: load the inputs (gzip objects, and the parts of the
 * day's previous compaction) into a table, write them deduplicated and sorted as Parquet, and
 * read the Parquet back to verify it.
 *
 * The instance is confined like the query one (lake/duckdb.ts): it may read the lake (or the
 * query cache) and write only the run's staging directory, where it may also spill.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { QueryError } from 'voicelake';
import { ALL_COLUMNS, duckdbColumns, KINDS } from 'voicelake/schema';
import { PARQUET_ROWS } from '../lake/compacted-layout.js';
import { sqlString } from '../lake/dialect.js';

const list = (paths: readonly string[]): string => `[${paths.map(sqlString).join(', ')}]`;
const COLUMNS = ALL_COLUMNS.map((c) => c.name);
const TYPES = new Map(ALL_COLUMNS.map((c) => [c.name as string, KINDS[c.kind].duckdb as string]));
/** The input table: the schema's columns and where each row came from (for the tie-break). */
const SOURCE_COLUMN = '_voicelake_source';

export interface SourceStats {
  readonly rows: number;
  /** Distinct non-null event_id values. */
  readonly distinctEventIds: number;
  /** Rows without an event_id: kept as they are (nothing says two of them are the same event). */
  readonly nullIds: number;
}

export interface Verification extends SourceStats {
  /** Distinct event_ids of the sources missing from the Parquet. */
  readonly missing: number;
  readonly compression: readonly string[];
  /** Columns whose name or type is not the schema's, as `name type`. */
  readonly wrongColumns: readonly string[];
}

export interface WriteOptions {
  readonly run: string;
  /** Upper bound of rows per part (rounded to row groups of at least 2,048 rows). */
  readonly partRows: number;
  /** Test hook: leave one row out. */
  readonly dropRow: boolean;
}

const num = (v: unknown): number => Number(v ?? 0);

export class CompactionEngine {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly outDir: string,
  ) {}

  /** An engine that reads `readDir` and writes under `stagingDir`. */
  static async open(readDir: string, stagingDir: string): Promise<CompactionEngine> {
    const outDir = join(stagingDir, 'parts');
    const spill = join(stagingDir, 'spill');
    await mkdir(outDir, { recursive: true, mode: 0o700 });
    const instance = await DuckDBInstance.create(':memory:', {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      allow_community_extensions: 'false',
      temp_directory: spill,
      preserve_insertion_order: 'false',
    });
    const connection = await instance.connect();
    const engine = new CompactionEngine(instance, connection, outDir);
    try {
      const allowed = [readDir, stagingDir].map((d) => sqlString(resolve(d)));
      await connection.run(`SET allowed_directories = [${allowed.join(', ')}]`);
      await connection.run('SET enable_external_access = false');
      await connection.run('SET lock_configuration = true');
      const defs = ALL_COLUMNS.map((c) => `${c.name} ${KINDS[c.kind].duckdb}`);
      await connection.run(`CREATE TABLE src (${defs.join(', ')}, ${SOURCE_COLUMN} VARCHAR)`);
    } catch (error) {
      engine.close();
      throw new QueryError(`cannot start DuckDB for compaction: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return engine;
  }

  private async rows(sql: string): Promise<Record<string, unknown>[]> {
    try {
      return (await this.connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
    } catch (error) {
      throw new QueryError(`compaction failed: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Add the events of gzip objects (local paths). */
  async loadGzip(paths: readonly string[]): Promise<void> {
    if (paths.length === 0) return;
    await this.rows(
      `INSERT INTO src BY NAME SELECT * EXCLUDE (filename), filename AS ${SOURCE_COLUMN} FROM read_json(${list(paths)}, format = 'newline_delimited', compression = 'gzip', hive_partitioning = false, filename = true, columns = ${duckdbColumns()})`,
    );
  }

  /** Add the rows of earlier Parquet parts; refused when they hold columns this schema does not know. */
  async loadParquet(paths: readonly string[]): Promise<void> {
    if (paths.length === 0) return;
    const described = await this.rows(
      `DESCRIBE SELECT * FROM read_parquet(${list(paths)}, union_by_name = true, hive_partitioning = false)`,
    );
    const unknown = described.map((r) => String(r.column_name)).filter((n) => !TYPES.has(n));
    if (unknown.length > 0)
      throw new QueryError(
        `the day's earlier Parquet holds columns this voicelake does not know (${unknown.join(', ')}): compact it with the newer voicelake-cli that wrote it`,
      );
    await this.rows(
      `INSERT INTO src BY NAME SELECT * EXCLUDE (filename), filename AS ${SOURCE_COLUMN} FROM read_parquet(${list(paths)}, union_by_name = true, hive_partitioning = false, filename = true)`,
    );
  }

  /** What the inputs hold: the numbers the Parquet must match. */
  async sourceStats(): Promise<SourceStats> {
    const [r] = await this.rows(
      'SELECT count(*) AS n, count(DISTINCT event_id) AS ids, count(*) FILTER (WHERE event_id IS NULL) AS nulls FROM src',
    );
    return { rows: num(r?.n), distinctEventIds: num(r?.ids), nullIds: num(r?.nulls) };
  }

  /**
   * Write one row per event_id (the first by event_time, then by the object it came from: a
   * previous compaction's part sorts before any gzip object), sorted by call_id and event_time,
   * as zstd Parquet files `part-<run>-<n>.parquet`. Returns their paths, in order.
   *
   * Duplicates are rare (a replayed batch), so they are found with a hash aggregate and only
   * their rows are ranked; the others go straight to the sort.
   */
  async write(options: WriteOptions): Promise<string[]> {
    await this.rows(`CREATE OR REPLACE TEMP TABLE losers AS
  SELECT rowid AS r FROM src
  WHERE event_id IN (SELECT event_id FROM src WHERE event_id IS NOT NULL GROUP BY event_id HAVING count(*) > 1)
  QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY event_time NULLS LAST, ${SOURCE_COLUMN}) > 1`);
    const rowGroup = Math.max(PARQUET_ROWS.minRowGroup, Math.min(PARQUET_ROWS.perRowGroup, options.partRows));
    const groupsPerFile = Math.max(1, Math.floor(options.partRows / rowGroup));
    const sql = `COPY (
  SELECT ${COLUMNS.map((c) => `src.${c}`).join(', ')} FROM src ANTI JOIN losers ON src.rowid = losers.r
  ORDER BY call_id NULLS LAST, event_time NULLS LAST, event_id NULLS LAST${options.dropRow ? '\n  OFFSET 1' : ''}
) TO ${sqlString(this.outDir)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${rowGroup}, ROW_GROUPS_PER_FILE ${groupsPerFile}, FILENAME_PATTERN ${sqlString(`part-${options.run}-{i}`)}, PER_THREAD_OUTPUT false, RETURN_FILES true)`;
    const [r] = await this.rows(sql);
    const files = (r?.Files as string[] | undefined) ?? [];
    const index = (f: string): number => Number(/-(\d+)\.parquet$/.exec(f)?.[1] ?? 0);
    return [...files].sort((a, b) => index(a) - index(b));
  }

  /** Read the written Parquet back and compare it with the sources. */
  async verify(files: readonly string[]): Promise<Verification> {
    if (files.length === 0)
      return { rows: 0, distinctEventIds: 0, nullIds: 0, missing: 0, compression: [], wrongColumns: [] };
    const p = `read_parquet(${list(files)}, hive_partitioning = false)`;
    const [r] = await this.rows(
      `SELECT count(*) AS n, count(DISTINCT event_id) AS ids, count(*) FILTER (WHERE event_id IS NULL) AS nulls FROM ${p}`,
    );
    const [m] = await this.rows(
      `SELECT count(*) AS missing FROM (SELECT DISTINCT event_id FROM src WHERE event_id IS NOT NULL EXCEPT SELECT event_id FROM ${p})`,
    );
    const codecs = await this.rows(`SELECT DISTINCT compression FROM parquet_metadata(${list(files)})`);
    const described = await this.rows(`DESCRIBE SELECT * FROM ${p}`);
    const wrongColumns = described
      .filter((c) => TYPES.get(String(c.column_name)) !== String(c.column_type))
      .map((c) => `${String(c.column_name)} ${String(c.column_type)}`);
    if (described.length !== COLUMNS.length)
      wrongColumns.push(`${described.length} columns, not ${COLUMNS.length}`);
    return {
      rows: num(r?.n),
      distinctEventIds: num(r?.ids),
      nullIds: num(r?.nulls),
      missing: num(m?.missing),
      compression: codecs.map((c) => String(c.compression)),
      wrongColumns,
    };
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
