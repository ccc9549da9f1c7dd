/**
 * The review's attacks on `voicelake query --sql` (issue 21, item 4), table-driven: each is
 * refused by the allow-list before DuckDB runs it, with a `VL_ERR_QUERY` naming what, reading
 * nothing outside the lake and writing nothing. Logging (`enable_logging`) also runs as two
 * real local users, and pointed outside the lake it exits with the error, not SIGABRT.
 */
import { execFile } from 'node:child_process';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { voicelake } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { asUser, ensureUser, runsAsRoot, type User } from '../helpers/users.js';

const cli = resolve(import.meta.dirname, '../../packages/cli/bin/voicelake.js');
const run = promisify(execFile);
const CANARY = 'VL-CANARY-7f3a';

/** The review's logging attack: file logging on, then a query to log (before the fix: 0644 `duckdb_log_*.csv` in the lake, or SIGABRT outside it). */
const logThen = (dir: string) =>
  `CALL enable_logging(storage = 'file', storage_path = '${dir}'); SELECT count(*) FROM events`;

/** Every entry under `dir` with its kind, size, mode and mtime, without following symlinks. */
function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((e) => {
      const path = join(e.parentPath, e.name);
      const st = lstatSync(path);
      return `${path} ${st.isSymbolicLink() ? 'l' : st.isDirectory() ? 'd' : 'f'} ${st.size} ${(st.mode & 0o7777).toString(8)} ${st.mtimeMs}`;
    })
    .sort();
}

describe("voicelake query --sql refuses the review's attacks", () => {
  const root = tempDir('vl-attacks');
  const lake = join(root, 'lake');
  const outside = join(root, 'outside');
  const sibling = `${lake}-old`;
  const env = { ...process.env, ANALYTICS_SPOOL_DIR: join(root, 'spool'), ANALYTICS_LOG_LEVEL: 'warn' };
  const query = (sql: string) => voicelake(['query', '--data-dir', lake, '--sql', sql], env);
  let day = '';

  beforeAll(async () => {
    await voicelake(['demo', '--calls', '3', '--data-dir', lake], env);
    day = readdirSync(lake, { recursive: true })
      .map(String)
      .find((f) => /^year=\d+\/month=\d+\/day=\d+$/.test(f)) as string;
    for (const dir of [outside, sibling]) {
      mkdirSync(dir);
      writeFileSync(join(dir, 'secret.csv'), `secret\n${CANARY}\n`);
      writeFileSync(join(dir, 'secret.json'), `{"secret":"${CANARY}"}\n`);
    }
    // Symlinks inside the lake: to a file outside it, and to a directory outside it.
    symlinkSync(join(outside, 'secret.csv'), join(lake, day, 'link.csv'));
    symlinkSync(outside, join(lake, day, 'escape'));
  });

  const A = (): [string, string, string][] => {
    const o = (f: string) => `'${join(outside, f)}'`;
    const inLake = (f: string) => `'${join(lake, day, f)}'`;
    return [
      // Every reader, on a file outside the lake.
      ['read_csv outside', `SELECT * FROM read_csv(${o('secret.csv')})`, 'table function read_csv()'],
      ['read_csv_auto', `SELECT * FROM read_csv_auto(${o('secret.csv')})`, 'table function read_csv_auto()'],
      ['read_json', `SELECT * FROM read_json(${o('secret.json')})`, 'table function read_json()'],
      ['read_json_auto', `SELECT * FROM read_json_auto(${o('secret.json')})`, 'read_json_auto()'],
      ['read_ndjson', `SELECT * FROM read_ndjson(${o('secret.json')})`, 'read_ndjson()'],
      ['read_ndjson_auto', `SELECT * FROM read_ndjson_auto(${o('secret.json')})`, 'read_ndjson_auto()'],
      ['read_json_objects', `SELECT * FROM read_json_objects(${o('secret.json')})`, 'read_json_objects()'],
      [
        'read_ndjson_objects',
        `SELECT * FROM read_ndjson_objects(${o('secret.json')})`,
        'read_ndjson_objects()',
      ],
      ['read_parquet', `SELECT * FROM read_parquet(${o('x.parquet')})`, 'read_parquet()'],
      ['parquet_scan', `SELECT * FROM parquet_scan(${o('x.parquet')})`, 'parquet_scan()'],
      ['parquet_metadata', `SELECT * FROM parquet_metadata(${o('x.parquet')})`, 'parquet_metadata()'],
      ['parquet_schema', `SELECT * FROM parquet_schema(${o('x.parquet')})`, 'parquet_schema()'],
      [
        'parquet_kv_metadata',
        `SELECT * FROM parquet_kv_metadata(${o('x.parquet')})`,
        'parquet_kv_metadata()',
      ],
      ['read_text', `SELECT * FROM read_text('/etc/passwd')`, 'read_text()'],
      ['read_blob', `SELECT * FROM read_blob('/etc/passwd')`, 'read_blob()'],
      ['sniff_csv', `SELECT * FROM sniff_csv(${o('secret.csv')})`, 'sniff_csv()'],
      ['glob', `SELECT * FROM glob('/etc/*')`, 'glob()'],
      ['read_duckdb', `SELECT * FROM read_duckdb(${o('x.db')})`, 'read_duckdb()'],
      [
        'a file named as a table',
        `SELECT * FROM ${o('secret.csv')}`,
        `the table "${join(outside, 'secret.csv')}"`,
      ],
      ['FROM-first on a file', `FROM ${o('secret.json')}`, 'the table'],
      [
        'a reader in a WHERE subquery',
        `SELECT * FROM events WHERE call_id IN (SELECT secret FROM read_csv(${o('secret.csv')}))`,
        'read_csv()',
      ],
      [
        'a reader in a CTE',
        `WITH s AS (SELECT * FROM read_text('/etc/passwd')) SELECT * FROM s`,
        'read_text()',
      ],
      ['a reader joined LATERAL', `SELECT * FROM events, LATERAL read_text('/etc/passwd')`, 'read_text()'],
      ['a reader behind DESCRIBE', `DESCRIBE SELECT * FROM read_csv(${o('secret.csv')})`, 'read_csv()'],
      ['a reader behind SUMMARIZE', `SUMMARIZE SELECT * FROM read_text('/etc/passwd')`, 'read_text()'],
      // Out of the lake by path.
      ['.. out of the lake', `SELECT * FROM read_csv('${lake}/../outside/secret.csv')`, 'read_csv()'],
      [
        '.. from a partition',
        `SELECT * FROM read_text('${join(lake, day)}/../../../../outside/secret.csv')`,
        'read_text()',
      ],
      [
        'a sibling directory sharing the prefix',
        `SELECT * FROM read_csv('${sibling}/secret.csv')`,
        'read_csv()',
      ],
      ['a symlinked file in the lake', `SELECT * FROM read_csv(${inLake('link.csv')})`, 'read_csv()'],
      [
        'a symlinked directory in the lake',
        `SELECT * FROM read_csv('${join(lake, day, 'escape', 'secret.csv')}')`,
        'read_csv()',
      ],
      ['a symlink named as a table', `SELECT * FROM ${inLake('link.csv')}`, 'the table'],
      ['the lake files past the views', `SELECT * FROM read_json('${lake}/**/*.json.gz')`, 'read_json()'],
      ['a glob of the lake', `SELECT * FROM glob('${lake}/**')`, 'glob()'],
      // URLs.
      ['https', `SELECT * FROM read_csv('https://example.com/x.csv')`, 'read_csv()'],
      ['s3', `SELECT * FROM read_parquet('s3://bucket/x.parquet')`, 'read_parquet()'],
      ['a URL named as a table', `SELECT * FROM 'http://169.254.169.254/latest/meta-data/'`, 'the table'],
      // Statements that write, attach, export, install or load.
      ['ATTACH outside', `ATTACH ${o('x.db')}`, 'ATTACH statements'],
      ['ATTACH in the lake', `ATTACH ${inLake('x.db')} AS x`, 'ATTACH statements'],
      ['COPY to a file outside', `COPY (SELECT 1) TO ${o('x.csv')}`, 'COPY statements'],
      ['COPY into the lake', `COPY (SELECT * FROM events) TO ${inLake('x.csv')}`, 'COPY statements'],
      ['COPY FROM DATABASE', 'COPY FROM DATABASE memory TO memory', 'COPY statements'],
      ['EXPORT DATABASE', `EXPORT DATABASE ${o('export')}`, 'EXPORT statements'],
      [
        'EXPORT into the lake behind a comment',
        `/* hidden */ EXPORT DATABASE '${lake}/export'`,
        'EXPORT statements',
      ],
      ['IMPORT DATABASE', `IMPORT DATABASE ${o('export')}`, 'IMPORT statements'],
      ['INSTALL', 'INSTALL httpfs', 'INSTALL statements'],
      ['LOAD', 'LOAD httpfs', 'LOAD statements'],
      // Settings, logging, profiling.
      ['SET external access', 'SET enable_external_access = true', 'SET statements'],
      ['SET allowed directories', `SET allowed_directories = ['/']`, 'SET statements'],
      ['RESET the lock', 'RESET lock_configuration', 'RESET statements'],
      ['PRAGMA profiling', 'PRAGMA enable_profiling', 'PRAGMA statements'],
      ['profile_output', `SET profile_output = ${o('profile.json')}`, 'SET statements'],
      [
        'CALL enable_logging into the lake',
        `CALL enable_logging(storage = 'file', storage_path = '${join(lake, day)}')`,
        'CALL statements',
      ],
      [
        'enable_logging as a table',
        `SELECT * FROM enable_logging(storage = 'file', storage_path = '${lake}')`,
        'enable_logging()',
      ],
      ['enable_profiling as a table', 'FROM enable_profiling()', 'enable_profiling()'],
      ['write_log', `SELECT write_log('x')`, 'the function write_log()'],
      ['duckdb_settings()', 'SELECT * FROM duckdb_settings()', 'duckdb_settings()'],
      ['current_setting', `SELECT current_setting('secret_directory')`, 'the function current_setting()'],
      // Secrets and the environment.
      ['CREATE SECRET', `CREATE SECRET (TYPE s3, KEY_ID 'a', SECRET 'b')`, 'CREATE statements'],
      ['which_secret', `SELECT * FROM which_secret('s3://b/x', 's3')`, 'which_secret()'],
      ['duckdb_secrets()', 'SELECT * FROM duckdb_secrets()', 'duckdb_secrets()'],
      ['getenv', `SELECT getenv('HOME')`, 'the function getenv()'],
      ['getenv in a lambda', `SELECT list_transform(['HOME'], k -> getenv(k))`, 'the function getenv()'],
      // Several statements, and comments hiding one.
      ['two statements', `SELECT 1; COPY (SELECT 2) TO ${inLake('y.csv')}`, '2 statements (SELECT, COPY)'],
      [
        'a second statement after a comment',
        `SELECT 1 -- ;\n; CALL enable_logging(storage = 'file', storage_path = '${lake}')`,
        '2 statements (SELECT, CALL)',
      ],
      // A NUL: DuckDB's C API reads the SQL up to it.
      ['a statement after a NUL', `SELECT 1\0; COPY (SELECT 2) TO ${inLake('z.csv')}`, 'the SQL holds a NUL'],
      // Views, macros, query().
      ['CREATE VIEW', `CREATE TEMP VIEW v AS SELECT * FROM read_text('/etc/passwd')`, 'CREATE statements'],
      [
        'CREATE MACRO',
        `CREATE TEMP MACRO m() AS TABLE SELECT * FROM read_text('/etc/passwd')`,
        'CREATE statements',
      ],
      ['query()', `SELECT * FROM query('SELECT * FROM read_text(''/etc/passwd'')')`, 'query()'],
      ['query_table()', `SELECT * FROM query_table('events')`, 'query_table()'],
    ];
  };

  it.each(A().map(([name], i) => [name, i] as const))(
    'refuses %s, reading and writing nothing',
    async (_, i) => {
      // Prepare
      const [, sql, named] = A()[i] as [string, string, string];
      const before = snapshot(root);
      // Act
      const failure = (await query(sql).catch((e: unknown) => e)) as {
        code: number;
        stdout: string;
        stderr: string;
      };
      // Assess
      expect(failure.code).toBe(1);
      expect(failure.stderr).toMatch(/^voicelake: VL_ERR_QUERY: the query was refused: .*\n$/);
      expect(failure.stderr).toContain(named);
      expect(failure.stdout + failure.stderr).not.toContain(CANARY);
      expect(failure.stdout).not.toContain('root:');
      expect(snapshot(root)).toEqual(before);
    },
  );

  it('exits with VL_ERR_QUERY, not SIGABRT, when enable_logging points outside the lake (the built CLI)', async () => {
    // Act
    const failure = (await run(
      process.execPath,
      [cli, 'query', '--data-dir', lake, '--sql', logThen(outside)],
      { env },
    ).catch((e: unknown) => e)) as { code: number | null; signal: string | null; stderr: string };
    // Assess
    expect({ code: failure.code, signal: failure.signal }).toEqual({ code: 1, signal: null });
    expect(failure.stderr).toContain('VL_ERR_QUERY: the query was refused: 2 statements (CALL, SELECT)');
    expect(readdirSync(outside).sort()).toEqual(['secret.csv', 'secret.json']);
  });
});

describe('enable_logging, as two real local users', () => {
  if (!runsAsRoot()) return;
  let victim: User;
  let attacker: User;
  let work: string;
  let shared: string;
  let lake: string;
  const victimEnv = () => ({
    HOME: victim.home,
    TMPDIR: shared,
    ANALYTICS_LOG_LEVEL: 'warn',
    ANALYTICS_SPOOL_DIR: join(shared, 'spool'),
  });

  beforeAll(async () => {
    victim = ensureUser('vl-victim');
    attacker = ensureUser('vl-attacker');
    work = mkdtempSync('/tmp/vl-sql-');
    chmodSync(work, 0o755);
    // /tmp-like: world-writable and sticky, where the attacker looks for what the victim leaves.
    shared = join(work, 'tmp');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    lake = join(shared, 'lake');
    const demo = await asUser(
      victim,
      [process.execPath, cli, 'demo', '--calls', '2', '--data-dir', lake],
      victimEnv(),
    );
    expect(demo.code, demo.stderr).toBe(0);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it.each([
    ['into a partition of the lake', () => join(lake, readdirSync(lake)[0] ?? '')],
    ['into the shared /tmp-like directory', () => shared],
  ])("the victim's query logging %s is refused, and leaves no duckdb_log_* file", async (_, target) => {
    // Prepare
    const path = target();
    const before = snapshot(work);
    // Act
    const argv = [process.execPath, cli, 'query', '--data-dir', lake, '--sql', logThen(path)];
    const result = await asUser(victim, argv, victimEnv());
    // Assess: refused; nothing new anywhere, and nothing the attacker can find or read.
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('VL_ERR_QUERY: the query was refused: 2 statements (CALL, SELECT)');
    expect(snapshot(work).filter((p) => p.includes('duckdb_log'))).toEqual([]);
    expect(snapshot(work)).toEqual(before);
    const search = await asUser(attacker, ['find', work, '-name', 'duckdb_log*', '-readable'], {});
    expect(search.stdout, 'log files the attacker can read').toBe('');
  });
});
