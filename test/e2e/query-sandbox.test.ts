/**
 * `voicelake query --sql` reads the lake and nothing else, and ordinary reads keep working:
 * the named queries and SELECTs over the views (the attacks it refuses are in
 * query-attacks.test.ts); the DuckDB instance itself is confined and locked.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { QueryError } from 'voicelake';
import { openLake } from '../../packages/cli/src/lake/duckdb.js';
import { voicelake as voicelakeInProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

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

  it('still runs the named queries and SQL over the events view', async () => {
    // Act
    const daily = await query('daily');
    const { stdout } = await query(
      '--json',
      '--sql',
      `SELECT count(DISTINCT call_id) AS calls FROM events; -- a comment`,
    );
    const pivot = await query(
      '--sql',
      `PIVOT (SELECT event_type FROM events) ON event_type IN ('call_ended', 'user_turn') USING count(*)`,
    );
    const forms = await query(
      '--json',
      '--sql',
      `WITH c AS (SELECT call_id, row_number() OVER (ORDER BY call_id) AS n FROM events_raw GROUP BY call_id)
       SELECT count(*) AS calls, max(n) AS last, list_sort(list(DISTINCT upper(left(call_id, 0)))) AS empty,
              (SELECT count(*) FROM range(3)) AS three
       FROM c`,
    );
    const described = await query('--sql', 'DESCRIBE events');
    // Assess
    expect(daily.stdout).toMatch(/^day\s+calls\s+mean_duration_s/);
    expect(daily.stdout).toMatch(/\n\d{4}-\d{2}-\d{2}\s+\d+/);
    expect(JSON.parse(stdout)).toEqual([{ calls: 5 }]);
    expect(pivot.stdout).toMatch(/call_ended\s+user_turn\n/);
    expect(JSON.parse(forms.stdout)).toEqual([{ calls: 5, last: 5, empty: [''], three: 3 }]);
    expect(described.stdout).toMatch(/\nevent_id\s+VARCHAR/);
  });

  it('refuses a PIVOT without its values, saying how to write it', async () => {
    // Act
    const failure = await query('--sql', 'PIVOT events ON event_type USING count(*)').catch(
      (e: unknown) => e,
    );
    // Assess
    expect((failure as { stderr: string }).stderr).toMatch(
      /^voicelake: VL_ERR_QUERY: the query was refused: it is not a single SELECT \(a PIVOT needs its values listed: PIVOT … ON col IN \(…\)\)/,
    );
  });

  it('refuses SQL that is only a comment with a clear message', async () => {
    // Act
    const failure = await query('--sql', '-- nothing').catch((e: unknown) => e);
    // Assess
    expect((failure as { stderr: string }).stderr).toBe(
      'voicelake: VL_ERR_QUERY: query failed: the SQL holds no statement\n',
    );
  });

  it("voicelake's own SQL reads an extra allowed directory and nothing else; the user's SELECT reads neither (in process)", async () => {
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
        `SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access', 'lock_configuration',
           'autoinstall_known_extensions', 'autoload_known_extensions', 'allow_community_extensions',
           'allow_unsigned_extensions', 'allow_persistent_secrets', 'temp_directory') ORDER BY name`,
      );
      const refused = await opened
        .query(`SELECT n FROM read_csv('${outside}/secret.csv')`)
        .catch((e: unknown) => e);
      const selected = await opened
        .select(`SELECT n FROM read_csv('${cache}/hits.csv')`)
        .catch((e: unknown) => e);
      // Assess
      expect(rows).toEqual([{ n: 42 }]);
      expect(Object.fromEntries(settings.map((r) => [r.name, r.value]))).toEqual({
        allow_community_extensions: 'false',
        allow_persistent_secrets: 'false',
        allow_unsigned_extensions: 'false',
        autoinstall_known_extensions: 'false',
        autoload_known_extensions: 'false',
        enable_external_access: 'false',
        lock_configuration: 'true',
        temp_directory: '',
      });
      expect(refused).toBeInstanceOf(QueryError);
      expect((refused as Error).message).toMatch(/tried to reach outside the lake.*Permission Error/);
      expect(selected).toBeInstanceOf(QueryError);
      expect((selected as Error).message).toMatch(
        /^the query was refused: the table function read_csv\(\) is not allowed/,
      );
    } finally {
      opened.close();
    }
  });
});
