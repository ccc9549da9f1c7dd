/**
 * The SQL voicelake sends to Athena, checked by an independent parser: sqlglot (Python, in
 * `.venv-moto/`, installed on first run by helpers/sqlglot.ts). Every named query rendered for
 * Athena parses in sqlglot's `athena` dialect and calls only functions sqlglot knows there (a
 * DuckDB-only function such as `quantile_cont` or `printf` would be an unknown one); the DuckDB
 * rendering parses in the `duckdb` dialect with the same output columns; the DDL statements
 * parse as a CREATE TABLE with every schema column and the partition projection properties,
 * and as views with the expected columns. A broken statement fails the same check.
 *
 * A parser check: it finds grammar and dialect mistakes, not wrong results (the queries' results
 * are tested against DuckDB elsewhere; nothing here runs Athena).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ALL_COLUMNS } from 'voicelake/schema';
import { athenaDdl, PARTITION_COLUMNS, summaryColumns } from '../../packages/cli/src/lake/ddl.js';
import { alterAddColumns } from '../../packages/cli/src/lake/ddl-check.js';
import { sqlHelpers } from '../../packages/cli/src/lake/dialect.js';
import {
  NAMED_QUERIES,
  type NamedQueryName,
  namedQuerySql,
} from '../../packages/cli/src/lake/named-queries.js';
import { type Parsed, parseSql, type SqlglotDialect } from '../helpers/sqlglot.js';

const NAMES = Object.keys(NAMED_QUERIES) as NamedQueryName[];
const athena = sqlHelpers('athena');
const duckdb = sqlHelpers('duckdb');
const OPTIONS = { bucket: 'my-bucket', prefix: 'voice/', database: 'voicelake', table: 'events' };

/** DuckDB functions sqlglot does not model in its duckdb dialect (they exist in DuckDB). */
const DUCKDB_KNOWN_TO_DUCKDB = new Set(['printf']);

/** Every statement of the file parsed in one batch (one Python process). */
const batch: { key: string; sql: string; dialect: SqlglotDialect }[] = [
  ...NAMES.flatMap((name) => [
    { key: `athena:${name}`, sql: namedQuerySql(name, athena, { limit: 7 }), dialect: 'athena' as const },
    { key: `duckdb:${name}`, sql: namedQuerySql(name, duckdb, { limit: 7 }), dialect: 'duckdb' as const },
  ]),
  ...athenaDdl(OPTIONS).map((sql, i) => ({ key: `ddl:${i}`, sql, dialect: 'athena' as const })),
  {
    key: 'alter',
    sql: alterAddColumns(
      ALL_COLUMNS.slice(0, 5).map((c) => ({ name: c.name, type: 'string' })),
      OPTIONS,
    ) as string,
    dialect: 'athena',
  },
  // Each helper alone, including the ones no named query uses yet.
  {
    key: 'helpers',
    sql: `SELECT ${athena.pct('ttft_ms', 0.9)} AS p, ${athena.day()} AS d, ${athena.tryCast('text', 'DOUBLE')} AS c,
  ${athena.custom('plan')} AS plan, ${athena.eventTime()} AS t, ${athena.round('ttft_ms', 2)} AS r FROM events GROUP BY 2, 3, 4, 5, 6`,
    dialect: 'athena',
  },
  // The check itself: these must fail.
  { key: 'broken:athena', sql: 'SELECT FROM WHERE', dialect: 'athena' },
  { key: 'broken:duckdb', sql: 'SELECT FROM WHERE', dialect: 'duckdb' },
  {
    key: 'broken:ddl',
    sql: athenaDdl(OPTIONS)[0]?.replace(/\)\nPARTITIONED BY/, '\nPARTITIONED BY') ?? '',
    dialect: 'athena',
  },
  { key: 'duckdb-only:athena', sql: namedQuerySql('daily', duckdb), dialect: 'athena' },
];

let parsed: Map<string, Parsed>;

beforeAll(() => {
  const results = parseSql(batch);
  parsed = new Map(batch.map((b, i) => [b.key, results[i] as Parsed]));
}, 300_000);

const result = (key: string): Parsed => {
  const r = parsed.get(key);
  if (!r) throw new Error(`no parse result for ${key}`);
  return r;
};

/** One parsed statement, with the SQL in the failure message. */
function expectParsed(key: string, kind: string): Parsed {
  const r = result(key);
  const sql = batch.find((b) => b.key === key)?.sql;
  expect(r, `${key} does not parse:\n${r.error ?? ''}\n${sql}`).toMatchObject({
    ok: true,
    statements: 1,
    kind,
  });
  return r;
}

describe('the sqlglot check catches broken SQL', () => {
  it.each(['broken:athena', 'broken:duckdb'])('%s: "SELECT FROM WHERE" fails to parse', (key) => {
    expect(result(key).ok).toBe(false);
    expect(result(key).error).toMatch(/Expected table name|Invalid expression|Required keyword/);
  });

  it('a CREATE TABLE missing its closing parenthesis fails to parse', () => {
    expect(result('broken:ddl')).toMatchObject({ ok: false });
  });

  it('the DuckDB rendering read as Athena SQL shows its DuckDB-only functions as unknown', () => {
    expect(result('duckdb-only:athena').unknownFunctions).toEqual(expect.arrayContaining(['printf']));
  });
});

describe('named queries, rendered for Athena, parse as Athena SQL', () => {
  it.each(NAMES)('%s', (name) => {
    const r = expectParsed(`athena:${name}`, 'Select');
    expect(r.unknownFunctions, 'functions sqlglot does not know in Athena').toEqual([]);
  });

  it('the dialect helpers, each alone, render functions Athena has', () => {
    const r = expectParsed('helpers', 'Select');
    expect(r.unknownFunctions).toEqual([]);
    expect(r.columns).toEqual(['p', 'd', 'c', 'plan', 't', 'r']);
  });
});

describe('named queries, rendered for DuckDB, parse as DuckDB SQL with the same columns', () => {
  it.each(NAMES)('%s', (name) => {
    const r = expectParsed(`duckdb:${name}`, 'Select');
    expect(r.unknownFunctions?.filter((f) => !DUCKDB_KNOWN_TO_DUCKDB.has(f))).toEqual([]);
    expect(r.columns).toEqual(result(`athena:${name}`).columns);
  });
});

describe('the Athena DDL parses', () => {
  it('CREATE EXTERNAL TABLE: every schema column, in order, and the partition projection properties', () => {
    const r = expectParsed('ddl:0', 'Create');
    expect(r.columns).toEqual(ALL_COLUMNS.map((c) => c.name));
    expect(r.properties).toMatchObject({
      'projection.enabled': 'true',
      'projection.year.type': 'integer',
      'projection.month.digits': '2',
      'projection.day.digits': '2',
      'storage.location.template': `s3://my-bucket/voice/year=\${year}/month=\${month}/day=\${day}/`,
    });
  });

  it('the compacted table: every schema column, Parquet through the symlink manifests, the same projection under compacted/athena-symlinks/', () => {
    const r = expectParsed('ddl:1', 'Create');
    expect(r.columns).toEqual(ALL_COLUMNS.map((c) => c.name));
    expect(r.properties).toMatchObject({
      'projection.enabled': 'true',
      'storage.location.template': `s3://my-bucket/voice/compacted/athena-symlinks/year=\${year}/month=\${month}/day=\${day}/`,
    });
    const sql = athenaDdl(OPTIONS)[1] as string;
    expect(sql).toContain('voicelake.events_compacted (');
    expect(sql).toContain("SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'");
    expect(sql).toContain("INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'");
  });

  it('the compacted parts table: one text column over the same symlink manifests', () => {
    const r = expectParsed('ddl:2', 'Create');
    expect(r.columns).toEqual(['part']);
    expect(r.properties).toMatchObject({
      'storage.location.template': `s3://my-bucket/voice/compacted/athena-symlinks/year=\${year}/month=\${month}/day=\${day}/`,
    });
  });

  it('events_unique: every schema column and the partitions, not rn', () => {
    const r = expectParsed('ddl:3', 'Create');
    expect(r.columns).toEqual([...ALL_COLUMNS.map((c) => c.name), ...PARTITION_COLUMNS]);
    expect(r.unknownFunctions).toEqual([]);
  });

  it('calls: the call id, agent, end time and every summary column', () => {
    const r = expectParsed('ddl:4', 'Create');
    expect(r.columns).toEqual([
      'call_id',
      'agent_id',
      'ended_at',
      ...summaryColumns().map((c) => c.name),
      ...PARTITION_COLUMNS,
    ]);
  });

  it('ALTER TABLE … ADD COLUMNS: the columns the live table lacks', () => {
    const r = expectParsed('alter', 'Alter');
    expect(r.columns).toEqual(ALL_COLUMNS.slice(5).map((c) => c.name));
  });
});

describe('a column added to the schema', () => {
  it('is read by DuckDB from the lake, as it appears in the Athena DDL and in --check', async () => {
    // Prepare: a lake line written by a newer schema with one more column.
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { gzipSync } = await import('node:zlib');
    const { tempDir } = await import('../helpers/tmp.js');
    const { openLake } = await import('../../packages/cli/src/lake/duckdb.js');
    const { ALL_COLUMNS: columns } = await import('voicelake/schema');
    const extra = { name: 'barge_in_ms', key: 'bargeInMs', kind: 'double', doc: 'Test column.' } as const;
    const dir = tempDir('vl-newcol');
    mkdirSync(join(dir, 'year=2026/month=11/day=24'), { recursive: true });
    const line = {
      event_id: 'e1',
      event_type: 'agent_turn',
      event_time: '2026-11-24T10:00:00.000Z',
      call_id: 'c',
      schema_version: 2,
      barge_in_ms: 420.5,
    };
    writeFileSync(
      join(dir, 'year=2026/month=11/day=24/analytics-20261124T100000000Z-0123456789ab.json.gz'),
      gzipSync(`${JSON.stringify(line)}\n`),
    );
    // Act
    const lake = await openLake(dir, { columns: [...columns, extra] });
    const rows = await lake.query('SELECT barge_in_ms, schema_version FROM events');
    lake.close();
    // Assess
    expect(rows).toEqual([{ barge_in_ms: 420.5, schema_version: 2 }]);
  });
});
