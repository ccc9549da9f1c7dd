/**
 * The partition columns are integers on every lake, whatever its dates: DuckDB infers a Hive
 * value with a leading zero (`day=07`) as VARCHAR, so without fixed types `day` was a string on a
 * lake of early-month days and a number on others, and `printf('%02d', day)` failed on the first.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { voicelake } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

describe('the lake view types year, month and day as integers', () => {
  it('reads day=07 of month=01 as numbers, not text', async () => {
    // Arrange: one object in a day whose month and day both have a leading zero
    const root = tempDir('vl-partition-types');
    const lake = join(root, 'lake');
    const dir = join(lake, 'year=2026', 'month=01', 'day=07');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const event = {
      event_id: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
      event_type: 'call_started',
      event_time: '2026-01-07T10:00:00.000Z',
      call_id: 'c1',
      agent_id: 'a1',
      schema_version: 1,
    };
    writeFileSync(join(dir, 'x.json.gz'), gzipSync(`${JSON.stringify(event)}\n`), { mode: 0o600 });
    const env = { ...process.env, ANALYTICS_SPOOL_DIR: join(root, 'spool'), ANALYTICS_LOG_LEVEL: 'warn' };
    // Act
    const { stdout } = await voicelake(
      [
        'query',
        '--data-dir',
        lake,
        '--json',
        '--sql',
        `SELECT typeof(year) AS y, typeof(month) AS m, typeof(day) AS d, printf('%04d-%02d-%02d', year, month, day) AS day FROM events`,
      ],
      env,
    );
    // Assess
    expect(JSON.parse(stdout)).toEqual([{ y: 'BIGINT', m: 'BIGINT', d: 'BIGINT', day: '2026-01-07' }]);
  });
});
