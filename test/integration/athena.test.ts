/**
 * Athena and the `voicelake athena` command against moto.
 *
 * MOTO RETURNS CANNED RESULTS: it does not run SQL. These tests check the request flow (the
 * exact query string and context sent, polling until the query ends, paging through results,
 * typing values, errors and statistics), not Athena's SQL engine; the SQL itself is checked by
 * athena-sql.test.ts (sqlglot). Results are queued through moto's API
 * (`POST /moto-api/static/athena/query-results`), and moto's state manager makes a query go
 * QUEUED → RUNNING → SUCCEEDED over several polls.
 *
 * What moto cannot do is done by a small rewriting proxy in this file, between the SDK and
 * moto, and each test using it says so in its name: moto only ever ends a query in SUCCEEDED
 * (no FAILED or CANCELLED), always reports 0 bytes scanned and 0 ms, and ignores MaxResults and
 * NextToken (one page). The proxy turns a SUCCEEDED into FAILED or CANCELLED, fills in
 * statistics, and splits moto's one page into pages of MaxResults rows, as Athena does.
 *
 * The Athena tests use their own region (moto keeps one result queue per account and region)
 * so they cannot take results another test file queued. Requests are recorded by
 * helpers/proxy.ts. The CLI tests run the built CLI (`npm run build` first).
 */
import { execFile } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { AthenaClient, CreateWorkGroupCommand } from '@aws-sdk/client-athena';
import { CreateDatabaseCommand, CreateTableCommand, GlueClient } from '@aws-sdk/client-glue';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { QueryError } from 'voicelake';
import { ALL_COLUMNS, KINDS, SCHEMA_VERSION } from 'voicelake/schema';
import { checkTable, renderCheck } from '../../packages/cli/src/commands/athena.js';
import {
  AthenaEngine,
  type AthenaEngineOptions,
  AthenaQueryError,
} from '../../packages/cli/src/lake/athena.js';
import { athenaDdl, type SchemaColumn } from '../../packages/cli/src/lake/ddl.js';
import { sqlHelpers } from '../../packages/cli/src/lake/dialect.js';
import { namedQuerySql } from '../../packages/cli/src/lake/named-queries.js';
import { voicelake as voicelakeInProcess } from '../helpers/cli.js';
import { type InspectingProxy, type Recorded, startProxy } from '../helpers/proxy.js';

const _run = promisify(execFile);
const _cli = resolve(import.meta.dirname, '../../packages/cli/bin/voicelake.js');
const moto = inject('motoEndpoint');
const REGION = 'eu-west-3';
const ACCOUNT = '123456789012';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

// ---------------------------------------------------------------------------------------------
// moto's API: canned results and state transitions

interface CannedColumn {
  name: string;
  type: string;
}

/** Queue one canned result in moto: the header row (as Athena sends for a SELECT), then `rows`; null is SQL NULL. */
async function queueResult(columns: CannedColumn[], rows: (string | null)[][]): Promise<void> {
  const cell = (v: string | null) => (v === null ? {} : { VarCharValue: v });
  const response = await fetch(`${moto}/moto-api/static/athena/query-results`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      account_id: ACCOUNT,
      region: REGION,
      results: [
        {
          rows: [{ Data: columns.map((c) => cell(c.name)) }, ...rows.map((r) => ({ Data: r.map(cell) }))],
          column_info: columns.map((c) => ({
            CatalogName: 'hive',
            SchemaName: '',
            TableName: '',
            Name: c.name,
            Label: c.name,
            Type: c.type,
            Precision: 0,
            Scale: 0,
            Nullable: 'UNKNOWN',
            CaseSensitive: c.type === 'varchar',
          })),
        },
      ],
    }),
  });
  expect(response.status).toBe(201);
}

/** moto's state manager: each query execution moves one state every `times` GetQueryExecution calls. */
async function setExecutionTransition(transition: { progression: 'manual'; times: number } | undefined) {
  const path = transition ? 'set-transition' : 'unset-transition';
  const response = await fetch(`${moto}/moto-api/state-manager/${path}`, {
    method: 'POST',
    body: JSON.stringify({ model_name: 'athena::execution', ...(transition && { transition }) }),
  });
  expect(response.status).toBe(201);
}

// ---------------------------------------------------------------------------------------------
// A rewriting proxy, for what moto cannot do (see the header)

type Json = Record<string, unknown>;
/** Return a replacement response body, or undefined to pass moto's through. */
type Rewrite = (operation: string, request: Json, response: Json) => Json | undefined;

interface Rewriter {
  readonly endpoint: string;
  rewrite: Rewrite | undefined;
  close(): Promise<void>;
}

async function startRewriter(upstream: string): Promise<Rewriter> {
  const target = new URL(upstream);
  const state: { rewrite: Rewrite | undefined } = { rewrite: undefined };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const forward = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
        },
        (up) => {
          const parts: Buffer[] = [];
          up.on('data', (c: Buffer) => parts.push(c));
          up.on('end', () => {
            let out = Buffer.concat(parts);
            const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
            if (state.rewrite && up.statusCode === 200 && operation !== '') {
              const replaced = state.rewrite(
                operation,
                JSON.parse(body.toString() || '{}') as Json,
                JSON.parse(out.toString() || '{}') as Json,
              );
              if (replaced !== undefined) out = Buffer.from(JSON.stringify(replaced));
            }
            const headers: Record<string, string | string[] | undefined> = {
              ...up.headers,
              'content-length': String(out.length),
            };
            delete headers['x-amz-crc32'];
            res.writeHead(up.statusCode ?? 502, headers);
            res.end(out);
          });
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get rewrite() {
      return state.rewrite;
    },
    set rewrite(r: Rewrite | undefined) {
      state.rewrite = r;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Athena's paging, which moto lacks: MaxResults rows a page (the header counts in the first), NextToken to go on. */
const paginate: Rewrite = (operation, req, res) => {
  if (operation !== 'GetQueryResults') return undefined;
  const set = res.ResultSet as { Rows: unknown[] } & Json;
  const start = typeof req.NextToken === 'string' ? Number(req.NextToken.replace('page-from-', '')) : 0;
  const end = start + Number(req.MaxResults ?? 1000);
  return {
    ...res,
    ResultSet: { ...set, Rows: set.Rows.slice(start, end) },
    ...(end < set.Rows.length && { NextToken: `page-from-${end}` }),
  };
};

/** A query that ends in `state` with Athena's reason and error, instead of moto's SUCCEEDED. */
const endIn =
  (state: 'FAILED' | 'CANCELLED', reason: string, error?: Json): Rewrite =>
  (operation, _req, res) => {
    if (operation !== 'GetQueryExecution') return undefined;
    const execution = res.QueryExecution as Json & { Status: Json };
    if (execution.Status.State !== 'SUCCEEDED') return undefined;
    return {
      QueryExecution: {
        ...execution,
        Status: {
          ...execution.Status,
          State: state,
          StateChangeReason: reason,
          ...(error && { AthenaError: error }),
        },
      },
    };
  };

/** Statistics as Athena reports them, instead of moto's zeros. */
const withStatistics =
  (bytes: number, ms: number): Rewrite =>
  (operation, _req, res) => {
    if (operation !== 'GetQueryExecution') return undefined;
    const execution = res.QueryExecution as Json;
    return {
      QueryExecution: {
        ...execution,
        Statistics: {
          ...(execution.Statistics as Json),
          DataScannedInBytes: bytes,
          EngineExecutionTimeInMillis: ms,
        },
      },
    };
  };

// ---------------------------------------------------------------------------------------------

const json = (r: Recorded): Json => JSON.parse(r.body.toString()) as Json;
const operations = (proxy: InspectingProxy): string[] =>
  proxy.requests.map((r) => r.target?.split('.')[1] ?? `${r.method} ${r.path}`);
const only = (proxy: InspectingProxy, operation: string): Json[] =>
  proxy.requests.filter((r) => r.target?.endsWith(`.${operation}`)).map(json);

describe('AthenaEngine against moto', () => {
  let recorder: InspectingProxy;
  let rewriter: Rewriter;
  const engines: AthenaEngine[] = [];
  /** An engine through the rewriter and the recorder to moto; polls fast. */
  const engine = (options: AthenaEngineOptions = {}): AthenaEngine => {
    const e = new AthenaEngine({
      endpoint: rewriter.endpoint,
      region: REGION,
      database: 'voicelake_test',
      pollMs: { first: 5, max: 20 },
      ...options,
    });
    engines.push(e);
    return e;
  };

  beforeAll(async () => {
    recorder = await startProxy(moto);
    rewriter = await startRewriter(recorder.endpoint);
  });
  beforeEach(() => {
    recorder.requests.length = 0;
    rewriter.rewrite = undefined;
  });
  afterEach(() => {
    for (const e of engines.splice(0)) e.close();
  });
  afterAll(async () => {
    await setExecutionTransition(undefined);
    await rewriter.close();
    await recorder.close();
  });

  it('sends the query string exactly, with the database, workgroup and output location; drops the header row', async () => {
    // Arrange
    const sql = "SELECT call_id, turns FROM events WHERE event_type = 'call_ended' -- ünïcode ✓\nLIMIT 2";
    await queueResult(
      [
        { name: 'call_id', type: 'varchar' },
        { name: 'turns', type: 'bigint' },
      ],
      [
        ['call-1', '12'],
        ['call-2', null],
      ],
    );
    // Act
    const result = await engine({ outputLocation: 's3://athena-results/voicelake/' }).query(sql);
    // Assess
    const [start, ...rest] = only(recorder, 'StartQueryExecution');
    expect(rest).toEqual([]);
    expect(start).toMatchObject({
      QueryString: sql,
      QueryExecutionContext: { Database: 'voicelake_test' },
      WorkGroup: 'primary',
      ResultConfiguration: { OutputLocation: 's3://athena-results/voicelake/' },
    });
    expect(operations(recorder)).toEqual(['StartQueryExecution', 'GetQueryExecution', 'GetQueryResults']);
    expect(only(recorder, 'GetQueryResults')[0]).toMatchObject({
      QueryExecutionId: result.stats.queryExecutionId,
      MaxResults: 1000,
    });
    expect(result.columns).toEqual([
      { name: 'call_id', type: 'varchar' },
      { name: 'turns', type: 'bigint' },
    ]);
    expect(result.rows).toEqual([
      { call_id: 'call-1', turns: 12 },
      { call_id: 'call-2', turns: null },
    ]);
    // moto reports no statistics: zeros, read as they are.
    expect(result.stats).toMatchObject({ state: 'SUCCEEDED', bytesScanned: 0, executionMs: 0 });
  });

  it('without an output location, sends no ResultConfiguration (the workgroup manages results)', async () => {
    // Act
    await engine().query('SELECT 1');
    // Assess
    const [start] = only(recorder, 'StartQueryExecution');
    expect(start).not.toHaveProperty('ResultConfiguration');
  });

  it('reads the workgroup, database and output location from ANALYTICS_ATHENA_*', async () => {
    // Arrange
    const athena = new AthenaClient({ endpoint: moto, region: REGION, credentials });
    await athena
      .send(new CreateWorkGroupCommand({ Name: 'voicelake-analytics', Configuration: {} }))
      .catch(() => {});
    athena.destroy();
    const vars = {
      ANALYTICS_ATHENA_WORKGROUP: 'voicelake-analytics',
      ANALYTICS_ATHENA_DATABASE: 'lake_from_env',
      ANALYTICS_ATHENA_OUTPUT: 's3://results-from-env/q/',
    };
    Object.assign(process.env, vars);
    try {
      const e = new AthenaEngine({
        endpoint: rewriter.endpoint,
        region: REGION,
        pollMs: { first: 5, max: 5 },
      });
      engines.push(e);
      // Act
      await e.query('SELECT 2');
    } finally {
      for (const name of Object.keys(vars)) delete process.env[name];
    }
    // Assess
    expect(only(recorder, 'StartQueryExecution')[0]).toMatchObject({
      WorkGroup: 'voicelake-analytics',
      QueryExecutionContext: { Database: 'lake_from_env' },
      ResultConfiguration: { OutputLocation: 's3://results-from-env/q/' },
    });
  });

  it('an output location that is not s3:// is refused before any request', () => {
    expect(() => engine({ outputLocation: 'athena-results/' })).toThrow(/must be an s3:\/\/bucket/);
  });

  it('a query Athena refuses (unknown workgroup) is a QueryError', async () => {
    // Act
    const failure = await engine({ workgroup: 'no-such-workgroup' })
      .query('SELECT 1')
      .catch((e: unknown) => e);
    // Assess
    expect(failure).toBeInstanceOf(QueryError);
    expect((failure as Error).message).toMatch(/Athena refused the query: WorkGroup does not exist/);
  });

  it('polls GetQueryExecution with doubling waits until SUCCEEDED (moto: QUEUED → RUNNING → SUCCEEDED)', async () => {
    // Arrange: each state lasts two polls.
    await setExecutionTransition({ progression: 'manual', times: 2 });
    const waits: number[] = [];
    const states: string[] = [];
    await queueResult([{ name: 'n', type: 'integer' }], [['1']]);
    try {
      // Act
      const result = await engine({
        pollMs: { first: 10, max: 40 },
        sleep: async (ms) => {
          waits.push(ms);
        },
      }).query('SELECT 1 AS n', { onPoll: (s) => states.push(s) });
      // Assess
      expect(states).toEqual(['QUEUED', 'RUNNING', 'RUNNING', 'SUCCEEDED']);
      expect(waits).toEqual([10, 20, 40, 40]);
      expect(operations(recorder)).toEqual([
        'StartQueryExecution',
        ...states.map(() => 'GetQueryExecution'),
        'GetQueryResults',
      ]);
      expect(result.rows).toEqual([{ n: 1 }]);
    } finally {
      await setExecutionTransition(undefined);
    }
  });

  it('aborting while the query runs stops it in Athena (StopQueryExecution) and rejects', async () => {
    // Arrange: the query stays QUEUED for many polls.
    await setExecutionTransition({ progression: 'manual', times: 1000 });
    const controller = new AbortController();
    try {
      // Act
      const failure = await engine({ pollMs: { first: 5, max: 5 } })
        .query('SELECT 1', { signal: controller.signal, onPoll: () => controller.abort() })
        .catch((e: unknown) => e);
      // Assess
      expect(failure).toBeInstanceOf(AthenaQueryError);
      expect(failure).toMatchObject({ state: 'CANCELLED' });
      const id = (failure as AthenaQueryError).queryExecutionId;
      expect(only(recorder, 'StopQueryExecution')).toEqual([{ QueryExecutionId: id }]);
      expect(operations(recorder)).not.toContain('GetQueryResults');
    } finally {
      await setExecutionTransition(undefined);
    }
  });

  it('pages through GetQueryResults with NextToken and types every value (paging emulated by the proxy: moto returns one page)', async () => {
    // Arrange: 2,500 rows + the header: pages of 1000, 1000 and 501 rows.
    rewriter.rewrite = paginate;
    const columns: CannedColumn[] = [
      { name: 'id', type: 'bigint' },
      { name: 'big', type: 'bigint' },
      { name: 'small', type: 'tinyint' },
      { name: 'n', type: 'integer' },
      { name: 'ratio', type: 'double' },
      { name: 'price', type: 'decimal' },
      { name: 'real_value', type: 'real' },
      { name: 'ok', type: 'boolean' },
      { name: 'name', type: 'varchar' },
      { name: 'code', type: 'char' },
      { name: 'day', type: 'date' },
      { name: 'at', type: 'timestamp' },
    ];
    const rows = Array.from({ length: 2500 }, (_, i) => [
      String(i),
      '9007199254740993', // 2^53 + 1: not exact as a number
      String(-(i % 100)),
      i % 3 === 0 ? null : String(i * 2),
      (i / 4).toString(),
      '12.50',
      '1.5',
      i % 2 === 0 ? 'true' : 'false',
      `call-${i}`,
      'ab',
      '2026-11-24',
      '2026-11-24 10:11:12.345',
    ]);
    await queueResult(columns, rows);
    // Act
    const result = await engine().query('SELECT * FROM typed');
    // Assess
    const pages = only(recorder, 'GetQueryResults');
    expect(pages.map((p) => p.NextToken)).toEqual([undefined, 'page-from-1000', 'page-from-2000']);
    expect(pages.every((p) => p.MaxResults === 1000)).toBe(true);
    expect(result.rows).toHaveLength(2500);
    expect(result.columns).toEqual(columns);
    expect(result.rows[0]).toEqual({
      id: 0,
      big: '9007199254740993',
      small: 0,
      n: null,
      ratio: 0,
      price: 12.5,
      real_value: 1.5,
      ok: true,
      name: 'call-0',
      code: 'ab',
      day: '2026-11-24',
      at: '2026-11-24 10:11:12.345',
    });
    expect(result.rows[2498]).toMatchObject({ id: 2498, n: 4996, ratio: 624.5, ok: true, name: 'call-2498' });
    expect(result.rows[2499]).toMatchObject({
      id: 2499,
      n: null,
      ratio: 624.75,
      ok: false,
      name: 'call-2499',
    });
    expect(result.rows.map((r) => r.id)).toEqual(rows.map((_, i) => i));
  });

  it('FAILED is a QueryError with Athena’s reason and the execution id (FAILED injected by the proxy: moto cannot fail a query)', async () => {
    // Arrange
    const reason = "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved";
    rewriter.rewrite = endIn('FAILED', reason, {
      ErrorCategory: 2,
      ErrorType: 1006,
      Retryable: false,
      ErrorMessage: `${reason} or requester is not authorized to access requested resources`,
    });
    // Act
    const failure = await engine()
      .query('SELECT nope FROM events')
      .catch((e: unknown) => e);
    // Assess
    expect(failure).toBeInstanceOf(QueryError);
    expect(failure).toBeInstanceOf(AthenaQueryError);
    const error = failure as AthenaQueryError;
    const polled = only(recorder, 'GetQueryExecution');
    expect(error.queryExecutionId).toBe(polled[0]?.QueryExecutionId);
    expect(error).toMatchObject({
      code: 'VL_ERR_QUERY',
      state: 'FAILED',
      reason,
      athenaError: { category: 2, type: 1006, retryable: false },
    });
    expect(error.message).toContain(`Athena query ${error.queryExecutionId} failed: ${reason}`);
    expect(error.message).toContain('or requester is not authorized');
    expect(operations(recorder)).not.toContain('GetQueryResults');
  });

  it('CANCELLED is a QueryError with the reason (CANCELLED injected by the proxy)', async () => {
    // Arrange
    rewriter.rewrite = endIn('CANCELLED', 'Query cancelled by user');
    // Act
    const failure = await engine()
      .query('SELECT 1')
      .catch((e: unknown) => e);
    // Assess
    expect(failure).toBeInstanceOf(AthenaQueryError);
    expect(failure).toMatchObject({ state: 'CANCELLED', reason: 'Query cancelled by user' });
    expect((failure as Error).message).toMatch(/^Athena query \S+ cancelled: Query cancelled by user$/);
  });

  it('reports bytes scanned and engine time from the statistics (values injected by the proxy: moto reports zeros)', async () => {
    // Arrange
    rewriter.rewrite = withStatistics(123_456_789_012, 4321);
    // Act
    const { stats } = await engine().query('SELECT count(*) FROM events');
    // Assess
    const id = only(recorder, 'GetQueryResults')[0]?.QueryExecutionId;
    expect(stats).toEqual({
      id,
      queryExecutionId: id,
      bytesScanned: 123_456_789_012,
      executionMs: 4321,
      state: 'SUCCEEDED',
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The CLI

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function voicelake(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await voicelakeInProcess(args, {
      ...process.env,
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      ...env,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const PROJECTION = [
  "'projection.enabled'='true'",
  "'projection.year.type'='integer'",
  "'projection.year.range'='2024,2099'",
  "'projection.month.type'='integer'",
  "'projection.month.range'='1,12'",
  "'projection.month.digits'='2'",
  "'projection.day.type'='integer'",
  "'projection.day.range'='1,31'",
  "'projection.day.digits'='2'",
];

describe('voicelake athena ddl', () => {
  it('prints the table with every schema column, its Athena type and doc, and partition projection', async () => {
    // Act
    const { code, stdout } = await voicelake([
      'athena',
      'ddl',
      '--bucket',
      'my-bucket',
      '--prefix',
      'voice/',
    ]);
    // Assess
    expect(code).toBe(0);
    for (const c of ALL_COLUMNS)
      expect(stdout).toContain(`\`${c.name}\` ${KINDS[c.kind].athena} COMMENT '${c.doc}'`);
    for (const p of PROJECTION) expect(stdout).toContain(p);
    expect(stdout).toContain('CREATE EXTERNAL TABLE IF NOT EXISTS voicelake.events (');
    expect(stdout).toContain(
      "PARTITIONED BY (`year` int, `month` int, `day` int)\nROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'",
    );
    expect(stdout).toContain("LOCATION 's3://my-bucket/voice/'");
    expect(stdout).toContain(
      `'storage.location.template'='s3://my-bucket/voice/year=\${year}/month=\${month}/day=\${day}/'`,
    );
    expect(stdout).toContain(`'schema_version'='${SCHEMA_VERSION}'`);
    expect(stdout).toContain('CREATE OR REPLACE VIEW voicelake.events_unique AS');
    expect(stdout).toContain('CREATE OR REPLACE VIEW voicelake.calls AS');
    // The script is exactly the statements, each ended by ;
    expect(stdout).toBe(
      `${athenaDdl({ bucket: 'my-bucket', prefix: 'voice/', database: 'voicelake', table: 'events' })
        .map((s) => `${s};`)
        .join('\n\n')}\n`,
    );
  });

  it('takes the bucket and prefix from ANALYTICS_S3_BUCKET and ANALYTICS_S3_PREFIX (normalized), and --database/--table', async () => {
    // Act
    const { code, stdout } = await voicelake(
      ['athena', 'ddl', '--database', 'lake', '--table', 'voice_events'],
      {
        ANALYTICS_S3_BUCKET: 'env-bucket',
        ANALYTICS_S3_PREFIX: 'team/voice',
      },
    );
    // Assess
    expect(code).toBe(0);
    expect(stdout).toContain("LOCATION 's3://env-bucket/team/voice/'");
    expect(stdout).toContain('CREATE EXTERNAL TABLE IF NOT EXISTS lake.voice_events (');
    expect(stdout).toContain('FROM lake.voice_events AS r\n');
    expect(stdout).toContain('FROM lake.voice_events_compacted;');
    expect(stdout).toContain('FROM lake.voice_events_compacted_parts AS c');
    expect(stdout).toContain("LOCATION 's3://env-bucket/team/voice/compacted/athena-symlinks/'");
    expect(stdout).toContain('FROM lake.events_unique\n');
  });

  it.each([
    [
      ['--bucket', 'b-b-b', '--prefix', '../up/'],
      'VL_ERR_CONFIG: invalid --prefix "../up/": may not contain a ".." segment',
    ],
    [['--bucket', 'b-b-b', '--prefix', 'voice/year=2026/'], 'may not contain a partition segment'],
    [['--bucket', 'b-b-b', '--prefix', "it's/"], "may not contain '"],
    [['--bucket', 'Bad_Bucket'], 'invalid --bucket'],
    [['--bucket', 'b-b-b', '--table', 'events; DROP TABLE x'], 'invalid --table'],
    [[], 'no bucket: pass --bucket or set ANALYTICS_S3_BUCKET'],
  ])('refuses %j', async (args, message) => {
    // Act
    const { code, stdout, stderr } = await voicelake(['athena', 'ddl', ...args], {
      ANALYTICS_S3_BUCKET: undefined,
    });
    // Assess
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
  });
});

describe('voicelake athena ddl --check (Glue in moto)', () => {
  const glue = new GlueClient({ endpoint: moto, region: REGION, credentials });
  const database = `vl_check_${process.pid}_${Date.now().toString(36)}`;
  const EXTRA: SchemaColumn = { name: 'sentiment_score', kind: 'double', doc: 'Caller sentiment, -1 to 1.' };

  async function createGlueTable(table: string, columns: { name: string; type: string }[]): Promise<void> {
    await glue.send(
      new CreateTableCommand({
        DatabaseName: database,
        TableInput: {
          Name: table,
          TableType: 'EXTERNAL_TABLE',
          PartitionKeys: ['year', 'month', 'day'].map((p) => ({ Name: p, Type: 'int' })),
          StorageDescriptor: {
            Columns: columns.map((c) => ({ Name: c.name, Type: c.type })),
            Location: 's3://my-bucket/voice/',
          },
          Parameters: { 'projection.enabled': 'true', schema_version: '1' },
        },
      }),
    );
  }
  const typed = (columns: readonly SchemaColumn[]) =>
    columns.map((c) => ({ name: c.name, type: KINDS[c.kind].athena }));

  beforeAll(async () => {
    await glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: database } }));
    await createGlueTable('current', typed(ALL_COLUMNS));
    await createGlueTable('current_compacted', typed(ALL_COLUMNS));
    await createGlueTable('current_compacted_parts', [{ name: 'part', type: 'string' }]);
    await createGlueTable('upgraded', typed(ALL_COLUMNS));
    await createGlueTable('upgraded_compacted', typed(ALL_COLUMNS.slice(0, -1)));
    await createGlueTable('old', typed(ALL_COLUMNS.slice(0, -3)));
    await createGlueTable('drifted', [
      ...typed(ALL_COLUMNS).map((c) => (c.name === 'ttft_ms' ? { ...c, type: 'string' } : c)),
      { name: 'legacy_field', type: 'string' },
    ]);
  });
  afterAll(() => glue.destroy());
  /** `voicelake athena ddl --check` of one table of the test database. */
  const check = (table: string) =>
    voicelake(['athena', 'ddl', '--check', '--database', database, '--table', table]);

  it('a table with every schema column: "matches schema vN", exit 0', async () => {
    // Act
    const { code, stdout } = await check('current');
    // Assess
    expect(stdout).toBe(
      `table ${database}.current matches schema v${SCHEMA_VERSION}\ntable ${database}.current_compacted matches schema v${SCHEMA_VERSION}\n`,
    );
    expect(code).toBe(0);
  });

  it('a table missing columns: the ALTER TABLE … ADD COLUMNS to run, exit 2', async () => {
    // Act
    const { code, stdout } = await check('old');
    // Assess
    expect(code).toBe(2);
    const missing = ALL_COLUMNS.slice(-3);
    expect(stdout).toContain(
      `ALTER TABLE ${database}.old ADD COLUMNS (\n${missing.map((c) => `  \`${c.name}\` ${KINDS[c.kind].athena} COMMENT '${c.doc}'`).join(',\n')}\n);`,
    );
    for (const c of ALL_COLUMNS.slice(0, -3)) expect(stdout).not.toContain(`\`${c.name}\``);
  });

  it('a column of another type is reported (ADD COLUMNS cannot fix it), extra columns are listed, exit 2', async () => {
    // Act
    const { code, stdout } = await check('drifted');
    // Assess
    expect(code).toBe(2);
    expect(stdout).toContain('-- column ttft_ms is string in the table but double in the schema');
    expect(stdout).toContain('-- columns not in the schema (left as they are): legacy_field');
    expect(stdout).not.toContain('ADD COLUMNS (');
  });

  it('a lake without (current) compacted tables: says so, and not to delete sources, exit 2', async () => {
    // Act
    const { code, stdout } = await check('upgraded');
    // Assess
    expect(code).toBe(2);
    expect(stdout).toContain(`table ${database}.upgraded matches schema v${SCHEMA_VERSION}\n`);
    const last = ALL_COLUMNS[ALL_COLUMNS.length - 1] as SchemaColumn;
    expect(stdout).toContain(`ALTER TABLE ${database}.upgraded_compacted ADD COLUMNS (\n  \`${last.name}\``);
    expect(stdout).toContain(`table ${database}.upgraded_compacted_parts does not exist`);
    expect(stdout).toContain('do not compact with --delete-source');
  });

  it('no such table: says how to create it, exit 2', async () => {
    // Act
    const { code, stdout } = await check('nope');
    // Assess
    expect(code).toBe(2);
    expect(stdout).toContain(
      `table ${database}.nope does not exist: create it with \`voicelake athena create\``,
    );
  });

  it('a schema with one more column: the column is in the DDL, the views and the ALTER TABLE of --check', async () => {
    // Arrange: the live table has the current schema; the new schema adds one column.
    const columns = [...ALL_COLUMNS, EXTRA];
    const ref = { database, table: 'current' };
    // Act
    const [table, compacted, , unique] = athenaDdl(
      { ...ref, bucket: 'my-bucket', prefix: 'voice/' },
      columns,
    );
    const check = await checkTable(glue, ref, columns);
    const rendered = renderCheck(check, ref);
    // Assess
    expect(table).toContain("`sentiment_score` double COMMENT 'Caller sentiment, -1 to 1.'\n)");
    expect(compacted).toContain("`sentiment_score` double COMMENT 'Caller sentiment, -1 to 1.'\n)");
    expect(unique).toContain('"sentiment_score"');
    expect(check).toMatchObject({ status: 'differs', diff: { missing: [EXTRA], mismatched: [], extra: [] } });
    expect(check.status === 'differs' && check.alter).toBe(
      `ALTER TABLE ${database}.current ADD COLUMNS (\n  \`sentiment_score\` double COMMENT 'Caller sentiment, -1 to 1.'\n)`,
    );
    expect(rendered.exitCode).toBe(2);
    expect(rendered.text).toContain('then re-run `voicelake athena create` to refresh the views');
    // And the current schema still matches that table.
    expect(await checkTable(glue, ref)).toMatchObject({ status: 'matches' });
  });
});

describe('voicelake athena create (Athena in moto)', () => {
  let recorder: InspectingProxy;
  beforeAll(async () => {
    recorder = await startProxy(moto);
  });
  afterAll(() => recorder.close());

  it('runs each DDL statement, exactly, in order, and prints progress and each execution id', async () => {
    // Act
    const { code, stdout, stderr } = await voicelake(
      [
        'athena',
        'create',
        '--bucket',
        'my-bucket',
        '--prefix',
        'voice/',
        '--database',
        'voicelake_create',
        '--workgroup',
        'primary',
        '--output-location',
        's3://athena-results/ddl/',
      ],
      { AWS_ENDPOINT_URL: recorder.endpoint },
    );
    // Assess
    expect(stderr).not.toContain('voicelake:');
    expect(code).toBe(0);
    const statements = athenaDdl({
      bucket: 'my-bucket',
      prefix: 'voice/',
      database: 'voicelake_create',
      table: 'events',
    });
    const starts = only(recorder, 'StartQueryExecution');
    expect(starts.map((s) => s.QueryString)).toEqual(statements);
    for (const s of starts)
      expect(s).toMatchObject({
        QueryExecutionContext: { Database: 'voicelake_create' },
        WorkGroup: 'primary',
        ResultConfiguration: { OutputLocation: 's3://athena-results/ddl/' },
      });
    const ids = [...stdout.matchAll(/SUCCEEDED in [\d.]+ s, query execution id (\S+)/g)].map((m) => m[1]);
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
    const polled = new Set(only(recorder, 'GetQueryExecution').map((g) => g.QueryExecutionId));
    for (const id of ids) expect(polled.has(id)).toBe(true);
    expect(stdout).toContain('[1/5] CREATE EXTERNAL TABLE IF NOT EXISTS voicelake_create.events\n');
    expect(stdout).toContain('[2/5] CREATE EXTERNAL TABLE IF NOT EXISTS voicelake_create.events_compacted\n');
    expect(stdout).toContain(
      '[3/5] CREATE EXTERNAL TABLE IF NOT EXISTS voicelake_create.events_compacted_parts\n',
    );
    expect(stdout).toContain('[4/5] CREATE OR REPLACE VIEW voicelake_create.events_unique\n');
    expect(stdout).toContain('[5/5] CREATE OR REPLACE VIEW voicelake_create.calls\n');
    expect(stdout).toContain(
      `created voicelake_create.events (schema v${SCHEMA_VERSION}) and its views in workgroup primary`,
    );
  });
});

describe('voicelake query --engine athena (Athena in moto)', () => {
  let recorder: InspectingProxy;
  beforeAll(async () => {
    recorder = await startProxy(moto);
  });
  afterAll(() => recorder.close());

  it('sends the named query rendered for Athena over the deduplicated view of the requested days, and prints typed rows and the scan', async () => {
    // Prepare
    await queueResult(
      [
        { name: 'agent_id', type: 'varchar' },
        { name: 'agent_turns', type: 'bigint' },
        { name: 'interrupted', type: 'bigint' },
        { name: 'interrupted_pct', type: 'double' },
      ],
      [
        ['billing', '125', '10', '8.0'],
        ['sales', '88', '10', '11.4'],
      ],
    );
    // Act
    const { code, stdout, stderr } = await voicelake(
      [
        'query',
        'interruptions',
        '--engine',
        'athena',
        '--database',
        'lake_db',
        '--from',
        '2026-11-24',
        '--to',
        '2026-11-25',
        '--format',
        'json',
      ],
      { AWS_ENDPOINT_URL: recorder.endpoint },
    );
    // Assess
    expect(code, stderr).toBe(0);
    const [start] = only(recorder, 'StartQueryExecution');
    expect(start?.QueryString).toBe(
      `WITH events AS (\nSELECT * FROM lake_db.events_unique WHERE ("year" = 2026 AND "month" = 11 AND "day" BETWEEN 24 AND 25)\n)\n${namedQuerySql('interruptions', sqlHelpers('athena'), { limit: 10 })}`,
    );
    expect(start).toMatchObject({ QueryExecutionContext: { Database: 'lake_db' } });
    expect(JSON.parse(stdout)).toEqual([
      { agent_id: 'billing', agent_turns: 125, interrupted: 10, interrupted_pct: 8 },
      { agent_id: 'sales', agent_turns: 88, interrupted: 10, interrupted_pct: 11.4 },
    ]);
    expect(stderr).toMatch(
      /athena \S+: 0 B scanned in 0\.\d\d s \(2026-11-24\.\.2026-11-25, workgroup primary\)/,
    );
  });
});
