/**
 * `voicelake query --sql` reads the lake and nothing else: the built CLI over a small demo
 * lake refuses to read other files, write files (outside the lake or into it), install or
 * load extensions and change DuckDB's settings, and the named queries keep working.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { QueryError } from 'voicelake';
import { openLake } from '../../packages/cli/src/lake/duckdb.js';
import { voicelake as voicelakeInProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const _run = promisify(execFile);
const _cli = resolve(import.meta.dirname, '../../packages/cli/bin/voicelake.js');

describe('voicelake query --sql is confined to the lake', () => {
  const root = tempDir('vl-sandbox');
  const lake = join(root, 'lake');
  const outside = join(root, 'outside');
  const env = { ...process.env, ANALYTICS_SPOOL_DIR: join(root, 'spool'), ANALYTICS_LOG_LEVEL: 'warn' };
  const query = (...args: string[]) => voicelakeInProcess(['query', '--data-dir', lake, ...args], env);

  beforeAll(async () => {
    mkdirSync(outside);
    await voicelakeInProcess(['demo', '--calls', '5', '--data-dir', lake], env);
  });

  const ATTACKS: [string, string][] = [
    ['read a file outside the lake', `SELECT * FROM read_text('/etc/passwd')`],
    ['read it as CSV', `SELECT * FROM read_csv('/etc/passwd', sep = ':')`],
    ['list a directory outside the lake', `SELECT * FROM glob('/etc/*')`],
    ['climb out of the lake with ..', `SELECT * FROM read_text('${lake}/../../../etc/passwd')`],
    ['write a file outside the lake', `COPY (SELECT 1) TO '${outside}/x.csv'`],
    ['attach a database file', `ATTACH '${outside}/x.db'`],
    ['export the database', `EXPORT DATABASE '${outside}/export'`],
    ['install an extension', 'INSTALL httpfs'],
    ['load an extension', 'LOAD httpfs'],
    ['reach the network', `SELECT * FROM read_csv('https://example.com/data.csv')`],
    ['turn external access back on', 'SET enable_external_access = true'],
    ['widen the allowed directories', `SET allowed_directories = ['/']`],
    ['unlock the configuration', 'SET lock_configuration = false'],
    ['write a file into the lake', `COPY (SELECT 1) TO '${lake}/x.csv'`],
    ['write a file into the lake after a harmless statement', `SELECT 1; COPY (SELECT 2) TO '${lake}/y.csv'`],
    ['create a database file in the lake', `ATTACH '${lake}/x.db' AS x`],
    ['export into the lake', `/* hidden? */ EXPORT DATABASE '${lake}/export'`],
  ];

  it.each(ATTACKS)('refuses to %s: non-zero exit, a clear message', async (_, sql) => {
    // Act
    const failure = await query('--sql', sql).catch((e: unknown) => e);
    // Assess
    expect(failure).toMatchObject({ code: 1 });
    const stderr = (failure as { stderr: string }).stderr;
    expect(stderr).toContain(`voicelake: VL_ERR_QUERY: the query tried to reach outside the lake at ${lake}`);
  });

  it('left nothing behind, outside the lake or in it', () => {
    // Assess
    expect(readdirSync(outside)).toEqual([]);
    expect(readdirSync(lake).every((entry) => entry.startsWith('year='))).toBe(true);
    expect(existsSync(join(root, 'x.db'))).toBe(false);
  });

  it('still runs the named queries and SQL over the events view', async () => {
    // Act
    const daily = await query('daily');
    const { stdout } = await query(
      '--json',
      '--sql',
      `SELECT count(DISTINCT call_id) AS calls FROM events; -- a comment`,
    );
    const pivot = await query('--sql', `PIVOT (SELECT event_type FROM events) ON event_type USING count(*)`);
    // Assess
    expect(daily.stdout).toMatch(/^day\s+calls\s+mean_duration_s/);
    expect(daily.stdout).toMatch(/\n\d{4}-\d{2}-\d{2}\s+\d+/);
    expect(JSON.parse(stdout)).toEqual([{ calls: 5 }]);
    expect(pivot.stdout).toContain('call_ended');
  });

  it('refuses SQL that is only a comment with a clear message', async () => {
    // Act
    const failure = await query('--sql', '-- nothing').catch((e: unknown) => e);
    // Assess
    expect((failure as { stderr: string }).stderr).toBe(
      'voicelake: VL_ERR_QUERY: query failed: the SQL holds no statement\n',
    );
  });

  it('reads an extra allowed directory, and still nothing else (in process)', async () => {
    // Prepare
    const cache = join(root, 'cache');
    mkdirSync(cache);
    writeFileSync(join(cache, 'hits.csv'), 'n\n42\n');
    writeFileSync(join(outside, 'secret.csv'), 'n\n7\n');
    const opened = await openLake(lake, { allowedDirectories: [cache] });
    try {
      // Act
      const rows = await opened.query(`SELECT n FROM read_csv('${cache}/hits.csv')`);
      const settings = await opened.query(
        `SELECT current_setting('enable_external_access') AS external, current_setting('lock_configuration') AS locked`,
      );
      const refused = await opened
        .query(`SELECT n FROM read_csv('${outside}/secret.csv')`)
        .catch((e: unknown) => e);
      // Assess
      expect(rows).toEqual([{ n: 42 }]);
      expect(settings).toEqual([{ external: false, locked: true }]);
      expect(refused).toBeInstanceOf(QueryError);
      expect((refused as Error).message).toMatch(/tried to reach outside the lake.*Permission Error/);
    } finally {
      opened.close();
    }
  });
});
