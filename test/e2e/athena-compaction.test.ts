/**
 * `voicelake compact --engine athena` end to end: `compactWithAthena` (compact/athena.ts) sends
 * the SQL of compact/athena-sql.ts and publishes what it wrote into a moto bucket; the bucket's
 * listing, pyarrow (an independent Parquet reader) and `voicelake query` check the result.
 *
 * THERE IS NO ATHENA IN THIS TEST. Athena does not run offline, and moto's Athena returns canned
 * results and writes nothing. The `SqlRunner` the orchestration talks to is `DuckAthena`, a
 * stand-in written for this file: a catalog of tables and DuckDB. It executes what it is sent for
 * real, over a local mirror of the bucket refreshed before every statement that reads:
 * - The tables `voicelake athena ddl` creates are registered up front: `voicelake.events`, the
 *   gzip objects read with the CLI's own `read_json` spec (lake/duckdb.ts `lakeSource`), and
 *   `voicelake.events_compacted`, the Parquet files each day's symlink manifest lists, with the
 *   partition values of the manifest's location (SymlinkTextInputFormat; a listed file that is
 *   missing fails the statement, as it fails in Athena). Both expose Athena's hidden `"$path"`.
 * - `CREATE EXTERNAL TABLE` registers a text table (one row per line of its objects) or a Parquet
 *   table (its objects, with Hive partitions). Objects whose names begin with `_` or `.` are
 *   skipped, as Athena skips them. Creating a table that exists fails.
 * - `INSERT INTO t (cols) SELECT …`: the SELECT is translated from Athena's dialect to DuckDB's
 *   by sqlglot (an independent translator) and run; the columns and their types are checked
 *   against the table; more than 100 partitions fail (HIVE_TOO_MANY_OPEN_PARTITIONS); the rows
 *   are written the way Athena's INSERT INTO writes them: new files under the table's location,
 *   `year=2026/month=1/day=5/<name>.parquet` (int partition values, unpadded), compressed as the
 *   table's `parquet.compression` says, else GZIP (Athena's default for Parquet).
 * - `SELECT` is translated and run; `DROP TABLE IF EXISTS` forgets the table, not its objects.
 * It records every statement, and sqlglot checks that each parses as Athena SQL.
 *
 * What this cannot tell: anything of Athena's own planner, limits (but the 100 partitions),
 * permissions or costs (`bytesScanned` here is the size of the objects of the tables a statement
 * names). What it does tell: the SQL compaction sends, run with Athena's table semantics over the
 * objects compaction lists, writes one row per event_id, and the orchestration publishes,
 * verifies, cleans up and deletes as docs/compaction.md says.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ALL_COLUMNS, KINDS } from 'voicelake/schema';
import { compactWithAthena, type SqlRunner } from '../../packages/cli/src/compact/athena.js';
import {
  ATHENA_MAX_PARTITIONS,
  type AthenaRun,
  chunks,
  insertDays,
  runTables,
} from '../../packages/cli/src/compact/athena-sql.js';
import type { DayResult } from '../../packages/cli/src/compact/day.js';
import {
  manifestKey,
  PART_NAME_RE,
  partitionOf,
  symlinkKey,
} from '../../packages/cli/src/lake/compacted-layout.js';
import { sqlString } from '../../packages/cli/src/lake/dialect.js';
import { lakeSource } from '../../packages/cli/src/lake/duckdb.js';
import type { Manifest } from '../../packages/cli/src/lake/manifest.js';
import { NAMED_QUERIES, type NamedQueryName } from '../../packages/cli/src/lake/named-queries.js';
import { S3Source } from '../../packages/cli/src/lake/s3-source.js';
import { S3Store } from '../../packages/cli/src/lake/s3-store.js';
import { awsEnv, clients, createBucket, listKeys, uniqueName, uploadLake } from '../helpers/aws.js';
import { voicelake } from '../helpers/cli.js';
import { readLocalLake } from '../helpers/lake.js';
import { inspectParquet } from '../helpers/pyarrow.js';
import { expectAnswers, recompute } from '../helpers/recompute.js';
import { parseSql, transpileSql } from '../helpers/sqlglot.js';
import { tempDir } from '../helpers/tmp.js';

type Row = Record<string, unknown>;

const endpoint = inject('motoEndpoint');
const { s3 } = clients(endpoint);
const names = Object.keys(NAMED_QUERIES) as NamedQueryName[];
const PREFIX = 'voice/';
const DATABASE = 'voicelake';
const TABLE = 'events';
const env = {
  ...process.env,
  ...awsEnv(endpoint),
  ANALYTICS_LOG_LEVEL: 'warn',
  ANALYTICS_SPOOL_DIR: tempDir('vl-athena-compaction-spool'),
};

// ---------------------------------------------------------------------------------------------
// The Athena stand-in.

/** Athena type → DuckDB type, from the schema's own table (string → VARCHAR, int → INTEGER, …). */
const DUCK_TYPES = new Map<string, string>(Object.values(KINDS).map((k) => [k.athena, k.duckdb]));
const duckType = (athena: string): string => {
  const t = DUCK_TYPES.get(athena.toLowerCase());
  if (t === undefined) throw new Error(`DuckAthena: no DuckDB type for the Athena type ${athena}`);
  return t;
};
const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;
const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface Column {
  readonly name: string;
  /** The Athena type, as declared. */
  readonly type: string;
}

interface Table {
  /** `database.table`, lower case (Glue lower-cases names). */
  readonly name: string;
  /** How Athena reads its objects. */
  readonly kind: 'gzip-json' | 'symlink-parquet' | 'text' | 'parquet';
  readonly columns: readonly Column[];
  readonly partitions: readonly Column[];
  /** Its LOCATION as a key prefix of the bucket, ending with `/`. */
  readonly location: string;
  /** `parquet.compression` of TBLPROPERTIES. */
  readonly compression?: string;
}

const SCHEMA_COLUMNS: Column[] = ALL_COLUMNS.map((c) => ({ name: c.name, type: KINDS[c.kind].athena }));
const INT_PARTITIONS: Column[] = ['year', 'month', 'day'].map((name) => ({ name, type: 'int' }));

/** What the stand-in makes of a `CREATE EXTERNAL TABLE` (only the forms it emulates; anything else fails). */
function parseCreate(sql: string, bucket: string): Table {
  const head =
    /^CREATE EXTERNAL TABLE (?:IF NOT EXISTS )?([a-z0-9_]+\.[a-z0-9_]+) \(\n([\s\S]*?)\n\)\n/i.exec(sql);
  if (!head) throw new Error(`DuckAthena: cannot read the table of ${sql.slice(0, 120)}`);
  const columnDef = (text: string): Column => {
    const m = /^\s*`([a-z0-9_]+)`\s+([a-z]+)\b/i.exec(text);
    if (!m) throw new Error(`DuckAthena: cannot read the column definition ${JSON.stringify(text)}`);
    return { name: (m[1] as string).toLowerCase(), type: (m[2] as string).toLowerCase() };
  };
  const columns = (head[2] as string).split(',\n').map(columnDef);
  const partitionedBy = /\nPARTITIONED BY \(([^)]*)\)/i.exec(sql);
  const partitions = partitionedBy ? (partitionedBy[1] as string).split(',').map(columnDef) : [];
  const location = /\nLOCATION '([^']+)'/.exec(sql)?.[1];
  const root = `s3://${bucket}/`;
  if (location === undefined || !location.startsWith(root) || !location.endsWith('/'))
    throw new Error(`DuckAthena: the LOCATION of ${head[1]} is not a folder of s3://${bucket}/: ${location}`);
  const parquet = /\nSTORED AS PARQUET\n/i.test(sql);
  const text =
    /ROW FORMAT SERDE 'org\.apache\.hadoop\.hive\.serde2\.lazy\.LazySimpleSerDe'/.test(sql) &&
    /STORED AS INPUTFORMAT 'org\.apache\.hadoop\.mapred\.TextInputFormat'/.test(sql);
  if (parquet === text) throw new Error(`DuckAthena: ${head[1]} is neither Parquet nor text`);
  if (text && (columns.length !== 1 || partitions.length > 0))
    throw new Error(`DuckAthena emulates text tables of one column, unpartitioned: ${head[1]}`);
  if (parquet && partitions.length === 0)
    throw new Error(`DuckAthena emulates partitioned Parquet tables only: ${head[1]}`);
  const compression = /'parquet\.compression'\s*=\s*'([a-z0-9_]+)'/i.exec(sql)?.[1];
  return {
    name: (head[1] as string).toLowerCase(),
    kind: parquet ? 'parquet' : 'text',
    columns,
    partitions,
    location: location.slice(root.length),
    ...(compression ? { compression: compression.toUpperCase() } : {}),
  };
}

/** The `year`, `month`, `day` triples an `INSERT INTO` of athena-sql.ts filters on. */
function daysNamed(sql: string): string[] {
  const days = new Set<string>();
  for (const m of sql.matchAll(/"year" = (\d+) AND "month" = (\d+) AND "day" = (\d+)/g))
    days.add(`${m[1]}-${(m[2] as string).padStart(2, '0')}-${(m[3] as string).padStart(2, '0')}`);
  return [...days].sort();
}

interface StandInOptions {
  /** Write one row fewer than the INSERT selected (a broken engine; verification must catch it). */
  readonly dropRowOnInsert?: boolean;
  /** What `"$path"` starts with (default `s3://<bucket>/`): another value stands for a table defined for another location, or keys rendered differently. */
  readonly pathPrefix?: string;
}

/** A DuckDB-backed stand-in for Athena over one moto bucket (see the file's comment). */
class DuckAthena implements SqlRunner {
  /** Every statement received, in order. */
  readonly statements: string[] = [];
  /** Every key an INSERT INTO wrote. */
  readonly written: string[] = [];
  readonly tables = new Map<string, Table>();
  private readonly mirror = tempDir('vl-duckathena-mirror');
  private readonly etags = new Map<string, string>();
  private queries = 0;

  private constructor(
    readonly bucket: string,
    private readonly options: StandInOptions,
    private readonly instance: DuckDBInstance,
    private readonly db: DuckDBConnection,
  ) {
    // What `voicelake athena ddl` created.
    this.register({
      name: `${DATABASE}.${TABLE}`,
      kind: 'gzip-json',
      columns: SCHEMA_COLUMNS,
      partitions: INT_PARTITIONS,
      location: PREFIX,
    });
    this.register({
      name: `${DATABASE}.${TABLE}_compacted`,
      kind: 'symlink-parquet',
      columns: SCHEMA_COLUMNS,
      partitions: INT_PARTITIONS,
      location: `${PREFIX}compacted/athena-symlinks/`,
    });
  }

  static async create(bucket: string, options: StandInOptions = {}): Promise<DuckAthena> {
    const instance = await DuckDBInstance.create(':memory:');
    return new DuckAthena(bucket, options, instance, await instance.connect());
  }

  close(): void {
    this.db.closeSync();
    this.instance.closeSync();
  }

  private register(t: Table): void {
    if (this.tables.has(t.name)) throw new Error(`AlreadyExistsException: Table already exists: ${t.name}`);
    this.tables.set(t.name, t);
  }

  async query(sql: string): Promise<{ rows: Row[]; stats: { bytesScanned: number } }> {
    this.statements.push(sql);
    this.queries++;
    if (/^CREATE EXTERNAL TABLE /i.test(sql)) {
      this.register(parseCreate(sql, this.bucket));
      return { rows: [], stats: { bytesScanned: 0 } };
    }
    const drop = /^DROP TABLE IF EXISTS ([a-z0-9_]+\.[a-z0-9_]+)$/i.exec(sql);
    if (drop) {
      this.tables.delete((drop[1] as string).toLowerCase());
      return { rows: [], stats: { bytesScanned: 0 } };
    }
    if (/^INSERT INTO /i.test(sql)) return this.insert(sql);
    if (/^SELECT /i.test(sql)) {
      const [duck] = transpileSql([sql], 'athena', 'duckdb');
      const bytesScanned = await this.prepare(sql);
      const reader = await this.db.runAndReadAll(duck as string);
      const rows = reader
        .getRowObjectsJS()
        .map((r) =>
          Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])),
        );
      return { rows, stats: { bytesScanned } };
    }
    throw new Error(`DuckAthena does not emulate this statement: ${sql.slice(0, 120)}`);
  }

  /** The mirror of the bucket, as it is now: changed objects fetched, deleted ones removed. Key → size. */
  private async sync(): Promise<Map<string, number>> {
    const listing = new Map<string, { etag: string; size: number }>();
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: this.bucket, ContinuationToken: token }));
      for (const o of page.Contents ?? [])
        if (o.Key) listing.set(o.Key, { etag: o.ETag ?? '', size: o.Size ?? 0 });
      token = page.NextContinuationToken;
    } while (token);
    const stale = [...listing].filter(([key, o]) => this.etags.get(key) !== o.etag);
    for (let i = 0; i < stale.length; i += 16)
      await Promise.all(
        stale.slice(i, i + 16).map(async ([key, o]) => {
          const res = await s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
          const path = join(this.mirror, key);
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, Buffer.from((await res.Body?.transformToByteArray()) ?? new Uint8Array()));
          this.etags.set(key, o.etag);
        }),
      );
    for (const key of [...this.etags.keys()])
      if (!listing.has(key)) {
        rmSync(join(this.mirror, key), { force: true });
        this.etags.delete(key);
      }
    return new Map([...listing].map(([key, o]) => [key, o.size]));
  }

  /** `"$path"` of a file DuckDB read from the mirror: `s3://bucket/key`. */
  private pathColumn(filename = 'filename'): string {
    const head = this.options.pathPrefix ?? `s3://${this.bucket}/`;
    return `(${sqlString(head)} || substr(${filename}, ${this.mirror.length + 2})) AS "$path"`;
  }

  private local = (key: string): string => join(this.mirror, key);

  /** A table with no rows, typed as declared. */
  private static empty(t: Table): string {
    const cols = [...t.columns, ...t.partitions].map(
      (c) => `CAST(NULL AS ${duckType(c.type)}) AS ${ident(c.name)}`,
    );
    return `SELECT ${cols.join(', ')}, CAST(NULL AS VARCHAR) AS "$path" WHERE false`;
  }

  /** The SQL of one table over the mirror, and the bytes of the objects it reads. */
  private tableSql(t: Table, objects: Map<string, number>): { sql: string; bytes: number } {
    const cols = t.columns.map((c) => ident(c.name)).join(', ');
    const parts = t.partitions.map(
      (p) => `CAST(${ident(p.name)} AS ${duckType(p.type)}) AS ${ident(p.name)}`,
    );
    // Athena skips objects whose name (or a folder's, below the location) begins with _ or .
    const visible = [...objects.keys()].filter(
      (k) =>
        k.startsWith(t.location) &&
        k
          .slice(t.location.length)
          .split('/')
          .every((p) => p !== '' && !p.startsWith('_') && !p.startsWith('.')),
    );
    const size = (keys: readonly string[]) => keys.reduce((s, k) => s + (objects.get(k) ?? 0), 0);
    const list = (keys: readonly string[]) => `[${keys.map((k) => sqlString(this.local(k))).join(', ')}]`;
    if (t.kind === 'gzip-json') {
      // Partition projection: <location>year=YYYY/month=MM/day=DD/<object>.
      const day = new RegExp(
        `^${escapeRe(t.location)}year=\\d{4}/month=\\d{2}/day=\\d{2}/[^/]+\\.json\\.gz$`,
      );
      const files = visible.filter((k) => day.test(k));
      if (files.length === 0) return { sql: DuckAthena.empty(t), bytes: 0 };
      // The CLI's own reading spec (every column typed as the schema says), plus the file name.
      const source = lakeSource(this.local(t.location));
      if (!source.endsWith(')')) throw new Error(`DuckAthena: unexpected lakeSource ${source}`);
      return {
        sql: `SELECT ${cols}, ${parts.join(', ')}, ${this.pathColumn()} FROM ${source.slice(0, -1)}, filename = true)`,
        bytes: size(files),
      };
    }
    if (t.kind === 'symlink-parquet') {
      // One symlink manifest per day partition; the partition values come from its location.
      const link = new RegExp(
        `^${escapeRe(t.location)}year=(\\d{4})/month=(\\d{2})/day=(\\d{2})/symlink\\.txt$`,
      );
      const branches: string[] = [];
      let bytes = 0;
      for (const key of visible) {
        const m = link.exec(key);
        if (!m) continue;
        const uris = readFileSync(this.local(key), 'utf8').split('\n').filter(Boolean);
        const keys = uris.map((uri) => {
          const k = uri.slice(`s3://${this.bucket}/`.length);
          if (!uri.startsWith(`s3://${this.bucket}/`) || !objects.has(k))
            throw new Error(
              `HIVE_FILE_NOT_FOUND: ${uri}, listed by s3://${this.bucket}/${key}, does not exist`,
            );
          return k;
        });
        bytes += size([key, ...keys]);
        if (keys.length > 0)
          branches.push(
            `SELECT ${cols}, ${Number(m[1])} AS "year", ${Number(m[2])} AS "month", ${Number(m[3])} AS "day", ${this.pathColumn()} FROM read_parquet(${list(keys)}, filename = true, hive_partitioning = false, union_by_name = true)`,
          );
      }
      if (branches.length === 0) return { sql: DuckAthena.empty(t), bytes };
      const typed = `SELECT ${cols}, ${parts.join(', ')}, "$path" FROM (${branches.join(' UNION ALL ')})`;
      return { sql: typed, bytes };
    }
    if (visible.length === 0) return { sql: DuckAthena.empty(t), bytes: 0 };
    if (t.kind === 'text') {
      const [column] = t.columns as [Column];
      return {
        sql: `SELECT unnest(string_split(rtrim(content, chr(10)), chr(10))) AS ${ident(column.name)}, ${this.pathColumn()} FROM read_text(${list(visible)}) WHERE content <> ''`,
        bytes: size(visible),
      };
    }
    return {
      sql: `SELECT ${cols}, ${parts.join(', ')}, ${this.pathColumn()} FROM read_parquet(${list(visible)}, filename = true, hive_partitioning = true, union_by_name = true)`,
      bytes: size(visible),
    };
  }

  /** Before a statement that reads: the mirror refreshed, every table a view. The bytes of the tables `sql` names. */
  private async prepare(sql: string): Promise<number> {
    const objects = await this.sync();
    const databases = new Set([...this.tables.keys()].map((n) => n.slice(0, n.indexOf('.'))));
    for (const d of databases) {
      await this.db.run(`DROP SCHEMA IF EXISTS ${ident(d)} CASCADE`);
      await this.db.run(`CREATE SCHEMA ${ident(d)}`);
    }
    let bytes = 0;
    for (const t of this.tables.values()) {
      const view = this.tableSql(t, objects);
      const [d, name] = t.name.split('.') as [string, string];
      await this.db.run(`CREATE VIEW ${ident(d)}.${ident(name)} AS ${view.sql}`);
      if (new RegExp(`\\b${escapeRe(t.name)}\\b`, 'i').test(sql)) bytes += view.bytes;
    }
    return bytes;
  }

  private async insert(sql: string): Promise<{ rows: Row[]; stats: { bytesScanned: number } }> {
    const m = /^INSERT INTO ([a-z0-9_]+\.[a-z0-9_]+) \(([^)]*)\)\n(SELECT [\s\S]*)$/i.exec(sql);
    if (!m) throw new Error(`DuckAthena: cannot read the INSERT INTO ${sql.slice(0, 120)}`);
    const t = this.tables.get((m[1] as string).toLowerCase());
    if (t === undefined) throw new Error(`TABLE_NOT_FOUND: Table ${m[1]} does not exist`);
    if (t.kind !== 'parquet') throw new Error(`DuckAthena writes Parquet tables only, not ${t.name}`);
    const targets = (m[2] as string).split(',').map((c) =>
      c
        .trim()
        .replace(/^"(.*)"$/, '$1')
        .toLowerCase(),
    );
    const declared = new Map([...t.columns, ...t.partitions].map((c) => [c.name, c]));
    for (const c of targets)
      if (!declared.has(c))
        throw new Error(`COLUMN_NOT_FOUND: Insert column name does not exist in ${t.name}: ${c}`);
    for (const p of t.partitions)
      if (!targets.includes(p.name))
        throw new Error(`DuckAthena: the INSERT INTO ${t.name} sets no ${p.name}`);
    const [select] = transpileSql([m[3] as string], 'athena', 'duckdb');
    const bytesScanned = await this.prepare(sql);
    await this.db.run(`CREATE OR REPLACE TEMP TABLE vl_insert AS ${select}`);
    try {
      const described = (await this.db.runAndReadAll('DESCRIBE vl_insert')).getRowObjectsJS() as {
        column_name: string;
        column_type: string;
      }[];
      const wanted = targets.map((c) => duckType((declared.get(c) as Column).type));
      const got = described.map((d) => d.column_type);
      if (got.join() !== wanted.join())
        throw new Error(
          `TYPE_MISMATCH: Insert query has mismatched column types: Table: [${wanted.join(', ')}], Query: [${got.join(', ')}]`,
        );
      const source = (c: string) =>
        ident((described[targets.indexOf(c)] as { column_name: string }).column_name);
      const partitionList = t.partitions.map((p) => source(p.name)).join(', ');
      const [open] = (
        await this.db.runAndReadAll(
          `SELECT count(*) AS n FROM (SELECT DISTINCT ${partitionList} FROM vl_insert)`,
        )
      ).getRowObjectsJS();
      if (Number(open?.n) > ATHENA_MAX_PARTITIONS)
        throw new Error(
          `HIVE_TOO_MANY_OPEN_PARTITIONS: Exceeded limit of ${ATHENA_MAX_PARTITIONS} open writers for partitions/buckets`,
        );
      if (this.options.dropRowOnInsert)
        await this.db.run('DELETE FROM vl_insert WHERE rowid = (SELECT min(rowid) FROM vl_insert)');
      const out = tempDir('vl-duckathena-insert');
      const list = described.map((d, i) => `${ident(d.column_name)} AS ${ident(targets[i] as string)}`);
      await this.db.run(
        `COPY (SELECT ${list.join(', ')} FROM vl_insert) TO ${sqlString(out)} (FORMAT parquet, COMPRESSION ${t.compression ?? 'GZIP'}, PARTITION_BY (${t.partitions.map((p) => ident(p.name)).join(', ')}))`,
      );
      // Athena's files: new names under the partition folders, int values unpadded (DuckDB's are too).
      const query = `${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}_${String(this.queries).padStart(5, '0')}_${randomBytes(3).toString('hex')}`;
      for (const rel of readdirSync(out, { recursive: true }).map(String).sort()) {
        if (!rel.endsWith('.parquet')) continue;
        expect(rel, 'Athena writes int partition values unpadded').toMatch(
          /^year=\d+\/month=[1-9]\d?\/day=[1-9]\d?\//,
        );
        const key = `${t.location}${dirname(rel)}/${query}_${randomUUID()}.parquet`;
        await s3.send(
          new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: readFileSync(join(out, rel)) }),
        );
        this.written.push(key);
      }
      rmSync(out, { recursive: true, force: true });
      return { rows: [], stats: { bytesScanned } };
    } finally {
      await this.db.run('DROP TABLE IF EXISTS vl_insert');
    }
  }

  /** The INSERT INTO statements received. */
  inserts(): string[] {
    return this.statements.filter((s) => s.startsWith('INSERT INTO '));
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers.

async function getObject(bucket: string, key: string): Promise<Buffer | undefined> {
  try {
    const o = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from((await o.Body?.transformToByteArray()) ?? new Uint8Array());
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

const manifestOf = async (bucket: string, day: string): Promise<Manifest> =>
  JSON.parse(String(await getObject(bucket, manifestKey(PREFIX, day)))) as Manifest;

/** Every object of the bucket with its ETag: what a failed run must leave exactly as it was. */
async function snapshot(bucket: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key) out[o.Key] = o.ETag ?? '';
    token = page.NextContinuationToken;
  } while (token);
  return out;
}

/** `compactWithAthena` as `voicelake compact --engine athena` calls it, with the stand-in as Athena. */
async function compact(
  bucket: string,
  days: readonly string[],
  athena: SqlRunner,
  deleteSource = false,
): Promise<{ results: DayResult[]; bytesScanned: number; log: string }> {
  const lines: string[] = [];
  const source = new S3Source({
    bucket,
    prefix: PREFIX,
    client: s3,
    cacheDir: tempDir('vl-athena-compaction-list'),
  });
  try {
    const out = await compactWithAthena(days, {
      bucket,
      prefix: PREFIX,
      list: (day) => source.list({ from: day, to: day }),
      store: new S3Store(s3, bucket, PREFIX),
      athena,
      database: DATABASE,
      table: TABLE,
      deleteSource,
      log: (line) => lines.push(line),
    });
    return { ...out, log: lines.join('\n') };
  } finally {
    source.close();
  }
}

/**
 * A day as published: its manifest and symlink manifest agree, its parts are named as the layout
 * says, nothing else is in its directory, and pyarrow reads `rows` rows, one per event_id, zstd.
 */
async function expectPublished(bucket: string, day: string, rows: number): Promise<Manifest> {
  const manifest = await manifestOf(bucket, day);
  expect(manifest, `${day}: manifest`).toMatchObject({ version: 1, day, rows, distinctEventIds: rows });
  const symlink = String(await getObject(bucket, symlinkKey(PREFIX, day)));
  expect(symlink, `${day}: the symlink manifest lists the manifest's parts`).toBe(
    `${manifest.parts.map((k) => `s3://${bucket}/${k}`).join('\n')}\n`,
  );
  expect(manifest.parts.length).toBeGreaterThan(0);
  manifest.parts.forEach((key, i) => {
    expect(key).toBe(`${PREFIX}compacted/${partitionOf(day)}part-${manifest.run}-${i}.parquet`);
    expect(key.slice(key.lastIndexOf('/') + 1)).toMatch(PART_NAME_RE);
  });
  const inDir = (await listKeys(s3, bucket)).filter((k) =>
    k.startsWith(`${PREFIX}compacted/${partitionOf(day)}`),
  );
  expect(inDir.sort(), `${day}: the manifest and its parts, nothing else`).toEqual(
    [manifestKey(PREFIX, day), ...manifest.parts].sort(),
  );
  const dir = tempDir('vl-athena-compaction-parts');
  const paths = await Promise.all(
    manifest.parts.map(async (key, i) => {
      const path = join(dir, `${i}.parquet`);
      writeFileSync(path, (await getObject(bucket, key)) as Buffer);
      return path;
    }),
  );
  const pa = inspectParquet(paths);
  expect(pa.rows, `${day}: pyarrow rows`).toBe(rows);
  expect(pa.distinctEventIds, `${day}: pyarrow distinct event_ids`).toBe(rows);
  expect(pa.nullEventIds).toBe(0);
  for (const f of pa.files) {
    expect(f.magic, `${day}: ${f.path} is Parquet`).toBe(true);
    expect(f.codecs, `${day}: zstd`).toEqual(['ZSTD']);
    expect(
      f.columns.map((c) => c.name),
      'the schema columns, no partition columns',
    ).toEqual(ALL_COLUMNS.map((c) => c.name));
  }
  return manifest;
}

/** Every named query through `voicelake query … --bucket --prefix --format json` (in process, a fresh cache). */
async function cliAnswers(
  bucket: string,
  days: readonly string[],
): Promise<{ answers: Record<string, Row[]>; fetched: string }> {
  const where = [
    '--bucket',
    bucket,
    '--prefix',
    PREFIX,
    '--from',
    days[0] as string,
    '--to',
    days[days.length - 1] as string,
  ];
  const queryEnv = { ...env, XDG_CACHE_HOME: tempDir('vl-athena-compaction-cache') };
  const answers: Record<string, Row[]> = {};
  let fetched = '';
  for (const name of names) {
    const r = await voicelake(['query', name, ...where, '--format', 'json'], queryEnv);
    answers[name] = JSON.parse(r.stdout) as Row[];
    fetched ||= r.stderr;
  }
  return { answers, fetched };
}

/** Every statement parses as Athena SQL (sqlglot), as a real statement (not an opaque `Command`). */
function expectAthenaSql(statements: readonly string[]): void {
  const parsed = parseSql(statements.map((sql) => ({ sql, dialect: 'athena' as const })));
  parsed.forEach((p, i) => {
    const what = (statements[i] as string).slice(0, 80);
    expect(p.error, what).toBeUndefined();
    expect(p.ok, what).toBe(true);
    expect(p.statements, what).toBe(1);
    expect(p.kind, what).not.toBe('Command');
  });
}

/** The scratch tables of `run` were dropped, and its objects are gone. */
async function expectCleanedUp(bucket: string, athena: DuckAthena, run: string): Promise<void> {
  const r: AthenaRun = { bucket, prefix: PREFIX, run, database: DATABASE, table: TABLE };
  const t = runTables(r);
  expect(athena.statements).toContain(`DROP TABLE IF EXISTS ${t.out}`);
  expect(athena.statements).toContain(`DROP TABLE IF EXISTS ${t.sources}`);
  expect(athena.statements.some((s) => s.startsWith(`CREATE EXTERNAL TABLE ${t.out} (`))).toBe(true);
  expect([...athena.tables.keys()].sort(), 'only the tables of `athena ddl` are left').toEqual([
    `${DATABASE}.${TABLE}`,
    `${DATABASE}.${TABLE}_compacted`,
  ]);
  expect((await listKeys(s3, bucket)).filter((k) => k.startsWith(`${PREFIX}compacted/athena-runs/`))).toEqual(
    [],
  );
}

// ---------------------------------------------------------------------------------------------

describe('voicelake compact --engine athena (compactWithAthena against a DuckDB stand-in for Athena)', () => {
  const base = tempDir('vl-athena-compaction-base');
  let events: Row[] = [];
  let days: string[] = [];
  let perDay = new Map<string, number>();
  let busiest = '';
  const standIns: DuckAthena[] = [];
  const standIn = async (bucket: string, options?: StandInOptions) => {
    const a = await DuckAthena.create(bucket, options);
    standIns.push(a);
    return a;
  };

  /** The demo lake in a new bucket under PREFIX. */
  const upload = async (): Promise<string> => {
    const bucket = uniqueName('vl-athena-compaction');
    await createBucket(s3, bucket);
    await uploadLake(s3, base, bucket, PREFIX);
    return bucket;
  };
  /** One gzip object of `lines` for `day`, under a new key. */
  const putObject = async (bucket: string, day: string, lines: Row[]): Promise<string> => {
    const key = `${PREFIX}${partitionOf(day)}analytics-20991231T235959000Z-${randomBytes(6).toString('hex')}.json.gz`;
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: gzipSync(`${lines.map((l) => JSON.stringify(l)).join('\n')}\n`),
      }),
    );
    return key;
  };
  const gzipKeys = async (bucket: string, day: string): Promise<string[]> =>
    (await listKeys(s3, bucket)).filter((k) => k.startsWith(`${PREFIX}${partitionOf(day)}`)).sort();

  beforeAll(async () => {
    await voicelake(['demo', '--calls', '150', '--data-dir', base, '--days', '3'], env);
    events = readLocalLake(base).map((l) => l.event);
    days = [...new Set(events.map((e) => String(e.event_time).slice(0, 10)))].sort();
    perDay = new Map(days.map((d) => [d, events.filter((e) => String(e.event_time).startsWith(d)).length]));
    busiest = [...perDay].sort((a, b) => b[1] - a[1])[0]?.[0] as string;
  }, 180_000);

  afterAll(() => {
    for (const a of standIns) a.close();
  });

  it('compacts every day with a replayed batch to one row per event_id; every named query answers as the recomputation', async () => {
    // Prepare: the demo lake in a bucket, and a replayed batch of the busiest day (its objects again under new keys).
    const bucket = await upload();
    for (const key of await gzipKeys(bucket, busiest))
      await s3.send(
        new CopyObjectCommand({
          Bucket: bucket,
          CopySource: `${bucket}/${key}`,
          Key: `${PREFIX}${partitionOf(busiest)}analytics-20991231T000000000Z-${randomBytes(6).toString('hex')}.json.gz`,
        }),
      );
    const gzipBefore = (await listKeys(s3, bucket)).filter((k) => k.endsWith('.json.gz')).sort();
    const athena = await standIn(bucket);
    // Act
    const out = await compact(bucket, days, athena);
    const cli = await cliAnswers(bucket, days);
    // Assess: each day published, one row per event_id (pyarrow), zstd.
    expect(out.results.map((r) => [r.day, r.status, r.rows])).toEqual(
      days.map((d) => [d, 'compacted', perDay.get(d)]),
    );
    const manifests: Manifest[] = [];
    for (const d of days) manifests.push(await expectPublished(bucket, d, perDay.get(d) as number));
    const [run] = new Set(manifests.map((m) => m.run));
    expect(new Set(manifests.map((m) => m.run)).size, 'one run for the three days').toBe(1);
    const replayed = out.results.find((r) => r.day === busiest) as DayResult;
    expect(replayed).toMatchObject({ duplicates: perDay.get(busiest), deletedSources: 0, previousParts: 0 });
    expect(out.log).toContain(`${busiest}: ${(await gzipKeys(bucket, busiest)).length} gzip objects`);
    expect(out.log).toMatch(/written by Athena\), [\d,]+ rows, [\d,]+ duplicates removed; verified/);
    // Every gzip object is a source of its day's manifest, and none was deleted.
    expect(manifests.flatMap((m) => m.sources.map((s) => s.key)).sort()).toEqual(gzipBefore);
    expect((await listKeys(s3, bucket)).filter((k) => k.endsWith('.json.gz')).sort()).toEqual(gzipBefore);
    // The readers: the recomputation's answers, from Parquet only (each day's manifest and parts fetched, no gzip).
    expectAnswers(cli.answers, recompute(events, 10), 'after compaction with Athena');
    const fetchedObjects = manifests.reduce((s, m) => s + 1 + m.parts.length, 0);
    expect(cli.fetched).toContain(`: ${fetchedObjects} objects fetched`);
    // Athena's side: one INSERT naming the three days; Athena wrote unpadded partitions; scratch state gone.
    expect(athena.inserts().map(daysNamed)).toEqual([days]);
    expect(athena.written.length).toBeGreaterThanOrEqual(days.length);
    for (const key of athena.written)
      expect(key).toMatch(
        /compacted\/athena-runs\/[^/]+\/out\/year=\d{4}\/month=[1-9]\d?\/day=[1-9]\d?\/[^/]+\.parquet$/,
      );
    await expectCleanedUp(bucket, athena, run as string);
    expect(out.bytesScanned).toBeGreaterThan(0);
    expectAthenaSql(athena.statements);
  }, 300_000);

  it('late data is counted once after a re-compaction with deleteSource; the old parts and the sources are deleted', async () => {
    // Prepare: compacted, then one late object for the busiest day (a new event).
    const bucket = await upload();
    const athena = await standIn(bucket);
    await compact(bucket, days, athena);
    const first = await manifestOf(bucket, busiest);
    const late = {
      ...(events.find(
        (e) => String(e.event_time).startsWith(busiest) && e.event_type === 'call_ended',
      ) as Row),
      event_id: randomUUID(),
      event_type: 'custom',
      call_id: 'late-call',
    };
    const lateKey = await putObject(bucket, busiest, [late]);
    const otherGzip = (await listKeys(s3, bucket)).filter(
      (k) => k.endsWith('.json.gz') && !k.startsWith(`${PREFIX}${partitionOf(busiest)}`),
    );
    // Act
    const again = await compact(bucket, [busiest], athena, true);
    const cli = await cliAnswers(bucket, days);
    // Assess
    const rows = (perDay.get(busiest) as number) + 1;
    const [result] = again.results;
    expect(result).toMatchObject({
      day: busiest,
      status: 'compacted',
      objectsRead: 1,
      previousParts: first.parts.length,
      rows,
      duplicates: 0,
    });
    const second = await expectPublished(bucket, busiest, rows);
    expect(second.run).not.toBe(first.run);
    expect(second.sources.map((s) => s.key)).toEqual([...first.sources.map((s) => s.key), lateKey].sort());
    for (const key of first.parts) expect(await getObject(bucket, key), `${key} deleted`).toBeUndefined();
    expect(await gzipKeys(bucket, busiest), 'the sources of the day are deleted').toEqual([]);
    expect(result?.deletedSources).toBe(first.sources.length + 1);
    expect(again.log).toContain(`${busiest}: deleted ${first.sources.length + 1} source objects`);
    expect(
      (await listKeys(s3, bucket)).filter((k) => k.endsWith('.json.gz')).sort(),
      'the other days keep their sources',
    ).toEqual(otherGzip.sort());
    expectAnswers(cli.answers, recompute([...events, late], 10), 'after the late event is compacted');
    // Only the late object was read from gzip: the INSERT's sources table listed it alone.
    expect(athena.inserts().map(daysNamed).at(-1)).toEqual([busiest]);
    await expectCleanedUp(bucket, athena, second.run);

    // And once more, with no gzip object left: the day is rewritten from its Parquet alone.
    const third = await compact(bucket, [busiest], athena, true);
    expect(third.results[0]).toMatchObject({
      status: 'compacted',
      objectsRead: 0,
      previousParts: second.parts.length,
      rows,
    });
    await expectPublished(bucket, busiest, rows);
    expectAthenaSql(athena.statements);
  }, 300_000);

  it('a compacted day without a symlink manifest keeps its rows when it is compacted again', async () => {
    // Prepare: the busiest day compacted with deleteSource, then its symlink manifest gone (a lake
    // compacted before compaction wrote them, or compacted locally and copied to S3), then a late event.
    const bucket = await upload();
    const athena = await standIn(bucket);
    await compact(bucket, [busiest], athena, true);
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: symlinkKey(PREFIX, busiest) }));
    const late = {
      ...(events[0] as Row),
      event_id: randomUUID(),
      event_time: `${busiest}T23:59:59.000Z`,
      call_id: 'late-call',
    };
    await putObject(bucket, busiest, [late]);
    // Act
    const again = await compact(bucket, [busiest], athena, true);
    // Assess: every event of the day is still there, plus the late one.
    expect(again.results[0]).toMatchObject({
      status: 'compacted',
      rows: (perDay.get(busiest) as number) + 1,
    });
    expect(again.log).toContain(`${busiest}: its symlink manifest did not list the parts of its manifest`);
    await expectPublished(bucket, busiest, (perDay.get(busiest) as number) + 1);
    expectAnswers(
      (await cliAnswers(bucket, days)).answers,
      recompute([...events, late], 10),
      'no symlink manifest',
    );
  }, 300_000);

  it('Athena reading fewer objects than listed ("$path" not matching the keys) fails verification: nothing published or deleted', async () => {
    // Prepare: an Athena whose "$path" values are not the listed URIs (as when keys are rendered
    // differently, or the table points elsewhere): it reads no listed gzip object, consistently.
    const bucket = await upload();
    const elsewhere = await standIn(bucket, { pathPrefix: `s3://${bucket}-other/` });
    const before = await snapshot(bucket);
    // Act
    const failure = await compact(bucket, [busiest], elsewhere, true).then(
      () => 'resolved',
      (error: Error) => error.message,
    );
    // Assess
    expect(failure).toMatch(
      new RegExp(
        `^verification failed: ${busiest}: Athena read rows from 0 of the [\\d,]+ gzip objects listed`,
      ),
    );
    expect(failure).toContain('voicelake athena ddl --check');
    expect(await snapshot(bucket)).toEqual(before);
  }, 300_000);

  it('a symlink manifest without a manifest (a first compaction killed midway) is removed: rows without an event_id are kept once', async () => {
    // Prepare: two rows without an event_id on the busiest day; the day compacted, then its
    // manifest gone: the state a first compaction leaves when killed between its two switches.
    const bucket = await upload();
    const noId = (i: number): Row => ({
      ...(events[0] as Row),
      event_id: undefined,
      event_time: `${busiest}T12:00:0${i}.000Z`,
    });
    await putObject(bucket, busiest, [noId(1), noId(2)]);
    const athena = await standIn(bucket);
    const first = await compact(bucket, [busiest], athena);
    expect(first.results[0]).toMatchObject({ rows: (perDay.get(busiest) as number) + 2 });
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: manifestKey(PREFIX, busiest) }));
    // Act
    const again = await compact(bucket, [busiest], athena);
    // Assess: the same rows, not the killed run's parts beside the gzip they came from.
    expect(again.log).toContain(`${busiest}: removed a symlink manifest that no manifest backs`);
    expect(again.results[0]).toMatchObject({
      status: 'compacted',
      rows: (perDay.get(busiest) as number) + 2,
    });
    const manifest = await manifestOf(bucket, busiest);
    expect(manifest).toMatchObject({
      rows: (perDay.get(busiest) as number) + 2,
      distinctEventIds: perDay.get(busiest) as number,
    });
  }, 300_000);

  it('a failed verification publishes nothing and deletes nothing, and the scratch state is cleaned up', async () => {
    // Prepare: an Athena that writes one row fewer than it selected.
    const bucket = await upload();
    const broken = await standIn(bucket, { dropRowOnInsert: true });
    const before = await snapshot(bucket);
    // Act
    const failure = await compact(bucket, days, broken, true).then(
      () => 'resolved',
      (error: Error) => error.message,
    );
    // Assess
    expect(failure).toMatch(
      /^verification failed: \d{4}-\d{2}-\d{2}: the sources hold [\d,]+ distinct event_ids, Athena wrote [\d,]+ rows/,
    );
    expect(failure).toContain('Nothing was published and nothing was deleted');
    expect(await snapshot(bucket), 'no manifest, symlink manifest or part; every source kept').toEqual(
      before,
    );
    const run = /athena-runs\/([^/]+)\//.exec(broken.written[0] as string)?.[1];
    await expectCleanedUp(bucket, broken, run as string);

    // A re-compaction that fails keeps the previous state too (its manifest, symlink manifest and parts).
    await compact(bucket, [busiest], await standIn(bucket));
    await putObject(bucket, busiest, [
      { ...(events[0] as Row), event_id: randomUUID(), event_time: `${busiest}T12:00:00.000Z` },
    ]);
    const compacted = await snapshot(bucket);
    const again = await compact(bucket, [busiest], broken, true).then(
      () => 'resolved',
      (error: Error) => error.message,
    );
    expect(again).toMatch(new RegExp(`^verification failed: ${busiest}: `));
    expect(await snapshot(bucket)).toEqual(compacted);
    expectAthenaSql(broken.statements);
  }, 300_000);

  it('more than 100 days: one INSERT INTO per 100 days at most, each day compacted once', async () => {
    // Prepare: 105 days (2026-01-01 to 2026-04-15), events on all but 2026-04-11 and 2026-04-15;
    // on 2026-01-05 a replayed line and two lines without an event_id.
    const range = Array.from({ length: 105 }, (_, i) =>
      new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10),
    );
    const empty = new Set(['2026-04-11', '2026-04-15']);
    const bucket = uniqueName('vl-athena-compaction-100');
    await createBucket(s3, bucket);
    const line = (day: string, n: number, id: string | null = randomUUID()): Row => ({
      ...(id === null ? {} : { event_id: id }),
      event_type: 'custom',
      event_time: `${day}T12:00:0${n}.000Z`,
      call_id: `call-${day}`,
      schema_version: 1,
    });
    const synthetic: Row[] = [];
    for (const day of range.filter((d) => !empty.has(d))) {
      const lines = [line(day, 1), line(day, 2)];
      synthetic.push(...lines);
      await putObject(bucket, day, lines);
    }
    const odd = '2026-01-05';
    const replayed = synthetic.find((e) => String(e.event_time).startsWith(odd)) as Row;
    await putObject(bucket, odd, [replayed, line(odd, 3, null), line(odd, 4, null)]);
    const athena = await standIn(bucket);
    // Act
    const out = await compact(bucket, range, athena);
    // Assess: two runs, the first of exactly 100 days.
    expect(chunks(range).map((c) => c.length)).toEqual([100, 5]);
    expect(athena.inserts().map((s) => daysNamed(s).length)).toEqual([100, 3]);
    for (const s of athena.inserts()) expect(daysNamed(s).length).toBeLessThanOrEqual(ATHENA_MAX_PARTITIONS);
    expect(athena.inserts().flatMap(daysNamed)).toEqual(range.filter((d) => !empty.has(d)));
    expect(out.results.map((r) => r.day)).toEqual(range);
    expect(out.results.filter((r) => r.status === 'empty').map((r) => r.day)).toEqual([...empty]);
    for (const d of empty) {
      expect(out.log).toContain(`${d}: no gzip objects and not compacted: nothing to do`);
      expect(await getObject(bucket, manifestKey(PREFIX, d))).toBeUndefined();
    }
    // Single-digit months and days: Athena wrote month=1/day=5, the parts are under month=01/day=05.
    expect(athena.written.some((k) => k.includes('/out/year=2026/month=1/day=5/'))).toBe(true);
    const keys = await listKeys(s3, bucket);
    expect(keys.filter((k) => k.endsWith('/_manifest.json'))).toHaveLength(103);
    expect(keys.filter((k) => k.endsWith('/symlink.txt'))).toHaveLength(103);
    expect(keys.filter((k) => k.includes('/athena-runs/'))).toEqual([]);
    for (const r of out.results.filter((x) => x.status === 'compacted'))
      expect(r, r.day).toMatchObject({ rows: r.day === odd ? 4 : 2, duplicates: r.day === odd ? 1 : 0 });
    const oddManifest = await manifestOf(bucket, odd);
    expect(oddManifest).toMatchObject({ rows: 4, distinctEventIds: 2 });
    expect(oddManifest.parts[0]).toMatch(new RegExp(`^${PREFIX}compacted/year=2026/month=01/day=05/part-`));
    await expectPublished(bucket, '2026-04-10', 2);
    const pa = inspectParquet(
      await Promise.all(
        oddManifest.parts.map(async (key, i) => {
          const path = join(tempDir('vl-athena-compaction-odd'), `${i}.parquet`);
          writeFileSync(path, (await getObject(bucket, key)) as Buffer);
          return path;
        }),
      ),
    );
    expect(pa).toMatchObject({ rows: 4, distinctEventIds: 2, nullEventIds: 2 });
    expectAthenaSql(athena.statements);

    // insertDays itself: 1 to 100 days.
    const r: AthenaRun = {
      bucket,
      prefix: PREFIX,
      run: '20261125T031500123Z-0123456789ab',
      database: DATABASE,
      table: TABLE,
    };
    expect(() => insertDays(r, [])).toThrow('an INSERT INTO writes 1 to 100 days, not 0');
    const days101 = Array.from({ length: 101 }, (_, i) =>
      new Date(Date.UTC(2025, 0, 1 + i)).toISOString().slice(0, 10),
    );
    expect(() => insertDays(r, days101)).toThrow('an INSERT INTO writes 1 to 100 days, not 101');
    expect(daysNamed(insertDays(r, days101.slice(0, 100)))).toEqual(days101.slice(0, 100));
    expect(chunks(days101.concat(days101, days101.slice(0, 48))).map((c) => c.length)).toEqual([
      100, 100, 50,
    ]);
  }, 300_000);
});
