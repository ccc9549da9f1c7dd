/**
 * The allow-list of `voicelake query --sql` (lake/sql-allowed.ts, lake/sql-guard.ts) against
 * DuckDB itself: every allowed name is a real DuckDB function of the right kind and none has
 * side effects, every named query passes it, and common reads pass while each kind of node
 * outside it is refused with what was refused named.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlHelpers } from '../../packages/cli/src/lake/dialect.js';
import { LAKE_VIEWS } from '../../packages/cli/src/lake/duckdb.js';
import {
  NAMED_QUERIES,
  type NamedQueryName,
  namedQuerySql,
} from '../../packages/cli/src/lake/named-queries.js';
import { ALLOWED_FUNCTIONS, ALLOWED_TABLE_FUNCTIONS } from '../../packages/cli/src/lake/sql-allowed.js';
import { refusal } from '../../packages/cli/src/lake/sql-guard.js';

type Connection = Awaited<ReturnType<DuckDBInstance['connect']>>;

describe('the --sql allow-list', () => {
  let instance: DuckDBInstance;
  let connection: Connection;
  const rows = async (sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJson();
  const parse = async (sql: string): Promise<unknown> => {
    const reader = await connection.runAndReadAll('SELECT json_serialize_sql($sql::VARCHAR) AS t', { sql });
    return JSON.parse(String(reader.getRowObjectsJson()[0]?.t));
  };
  const views = [...LAKE_VIEWS];

  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
  });
  afterAll(() => {
    connection.closeSync();
    instance.closeSync();
  });

  it('names only real DuckDB scalar, aggregate or macro functions, none with side effects', async () => {
    // Prepare
    const known = await rows(
      `SELECT lower(function_name) AS name, list(DISTINCT function_type) AS kinds, bool_or(has_side_effects) AS effects
       FROM duckdb_functions() GROUP BY 1`,
    );
    const byName = new Map(known.map((r) => [String(r.name), r]));
    // Act
    // The binder rewrites these calls itself (iif into a CASE; unnest in a select list): not catalog scalars.
    const binder = new Set(['iif', 'unnest']);
    const missing = [...ALLOWED_FUNCTIONS].filter((n) => !byName.has(n) && !binder.has(n));
    const notPure = [...ALLOWED_FUNCTIONS].filter((n) => byName.get(n)?.effects === true);
    const notScalar = [...ALLOWED_FUNCTIONS].filter(
      (n) =>
        !binder.has(n) &&
        !(byName.get(n)?.kinds as string[] | undefined)?.some((k) =>
          ['scalar', 'aggregate', 'macro'].includes(k),
        ),
    );
    const tables = [...ALLOWED_TABLE_FUNCTIONS].filter(
      (n) => !(byName.get(n)?.kinds as string[] | undefined)?.includes('table'),
    );
    // Assess
    expect(missing, 'allowed but not a DuckDB function').toEqual([]);
    expect(notPure, 'allowed but DuckDB says it has side effects').toEqual([]);
    expect(notScalar, 'allowed but not a scalar, aggregate or macro').toEqual([]);
    expect(tables, 'allowed table functions that are not table functions').toEqual([]);
    for (const unsafe of [
      'getenv',
      'current_setting',
      'getvariable',
      'write_log',
      'setseed',
      'nextval',
      'query',
    ])
      expect(ALLOWED_FUNCTIONS.has(unsafe), unsafe).toBe(false);
  });

  it.each(Object.keys(NAMED_QUERIES) as NamedQueryName[])('passes the named query %s', async (name) => {
    // Act
    const tree = await parse(namedQuerySql(name, sqlHelpers('duckdb'), { limit: 10 }));
    // Assess
    expect(refusal(tree, views)).toBeUndefined();
  });

  it.each([
    [
      'a CTE, a window and a FILTER',
      'WITH t AS (SELECT * FROM events) SELECT row_number() OVER (ORDER BY event_time), count(*) FILTER (WHERE true) FROM t GROUP BY ALL',
    ],
    [
      'a recursive CTE',
      'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r',
    ],
    ['set operations', 'SELECT call_id FROM events UNION SELECT call_id FROM events_raw EXCEPT SELECT NULL'],
    [
      'a PIVOT with its values listed',
      `PIVOT (SELECT event_type FROM events) ON event_type IN ('a', 'b') USING count(*)`,
    ],
    ['DESCRIBE and SUMMARIZE', 'SUMMARIZE SELECT * FROM events'],
    ['generators', 'SELECT * FROM range(3) AS r(n), unnest([1, 2]) AS u(m)'],
    [
      'operators, lambdas, JSON and dates',
      `SELECT a LIKE 'x%', [y + 1 FOR y IN [1]], {'k': 1}.k, custom->>'$.a', date_trunc('day', now()), list_transform([1], z -> z * 2), coalesce(a, b), CASE WHEN a THEN 1 END FROM events`,
    ],
    [
      'a correlated subquery',
      'SELECT (SELECT count(*) FROM events i WHERE i.call_id = o.call_id) FROM events o',
    ],
  ])('passes %s', async (_, sql) => {
    // Act
    const tree = await parse(sql);
    // Assess
    expect(refusal(tree, views)).toBeUndefined();
  });

  it.each([
    ['a reader', `SELECT * FROM read_text('/etc/passwd')`, 'the table function read_text() is not allowed'],
    ['a reader in a scalar subquery', `SELECT (SELECT content FROM read_text('/x'))`, 'read_text()'],
    ['a file named as a table', `SELECT * FROM '/etc/passwd'`, 'the table "/etc/passwd" is not allowed'],
    [
      'a file path as a WITH name',
      `WITH "/etc/passwd" AS (SELECT 1) SELECT * FROM "/etc/passwd"`,
      'it names a file or URL',
    ],
    [
      'a system table',
      'SELECT * FROM system.main.duckdb_settings',
      'the table "system.main.duckdb_settings"',
    ],
    ['an unknown table', 'SELECT * FROM sqlite_master', 'the table "sqlite_master" is not allowed'],
    [
      'a CTE name used outside its WITH',
      'SELECT * FROM (WITH sqlite_master AS (SELECT 1) SELECT 1), sqlite_master',
      '"sqlite_master"',
    ],
    [
      'a later CTE read by an earlier one',
      'WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a',
      '"b"',
    ],
    [
      'getenv in a lambda',
      `SELECT list_transform(['HOME'], x -> getenv(x))`,
      'the function getenv() is not allowed',
    ],
    [
      'a function of another schema',
      `SELECT pg_catalog.lower('a')`,
      'the function pg_catalog.lower() is not allowed',
    ],
    [
      'a qualified reader',
      `SELECT * FROM system.main.read_text('/x')`,
      'the table function system.main.read_text() is not allowed',
    ],
    ['a parameter', 'SELECT $1', 'a query parameter is not allowed'],
    ['SHOW TABLES', 'SHOW TABLES', 'SHOW'],
    ['time travel', 'SELECT * FROM events AT (VERSION => 1)', 'AT (time travel)'],
    ['two SELECTs', 'SELECT 1; SELECT 2', '2 statements'],
  ])('refuses %s', async (_, sql, named) => {
    // Act
    const tree = await parse(sql);
    // Assess
    expect(refusal(tree, views)).toContain(named);
  });

  it.each([
    [
      'a table reference',
      { from_table: { type: 'NEW_KIND', alias: '', sample: null } },
      'FROM NEW_KIND is not allowed',
    ],
    [
      'a query node',
      {
        from_table: {
          type: 'SUBQUERY',
          alias: '',
          sample: null,
          subquery: { node: { type: 'NEW_NODE', modifiers: [] } },
        },
      },
      'a NEW_NODE is not a read',
    ],
    [
      'an expression',
      { select_list: [{ class: 'NEW_CLASS', type: 'X' }] },
      'a NEW_CLASS expression is not allowed',
    ],
  ])('refuses %s of a kind it does not know (fails closed)', (_, parts, expected) => {
    // Prepare: a made-up kind of node, where DuckDB's tree would hold one.
    const tree = { statements: [{ node: { type: 'SELECT_NODE', modifiers: [], ...parts } }] };
    // Act
    const reason = refusal(tree, views);
    // Assess
    expect(reason).toBe(expected);
  });
});
