/**
 * DuckDB counts each event once, compacted or not: a replayed batch with new keys (the same
 * lines in a second object of the day) used to double that day's calls, tool errors and turns
 * until `voicelake compact` removed the copy, so every named query changed its answer on
 * compaction. `events` now deduplicates on `event_id` the days not compacted, as Athena's
 * `events_unique` does; `events_raw` is every line as stored, for `--sql`.
 */
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { NAMED_QUERIES, type NamedQueryName } from '../../packages/cli/src/lake/named-queries.js';
import { voicelake } from '../helpers/cli.js';
import { readLocalLake } from '../helpers/lake.js';
import { expectAnswers, recompute } from '../helpers/recompute.js';
import { tempDir } from '../helpers/tmp.js';

type Row = Record<string, unknown>;
const names = Object.keys(NAMED_QUERIES) as NamedQueryName[];

describe('DuckDB reads each event once, before and after compaction', () => {
  const root = tempDir('vl-duck-unique');
  const lake = join(root, 'lake');
  const env = { ...process.env, ANALYTICS_SPOOL_DIR: join(root, 'spool'), ANALYTICS_LOG_LEVEL: 'warn' };
  const query = async (...args: string[]) =>
    JSON.parse((await voicelake(['query', '--data-dir', lake, '--json', ...args], env)).stdout) as Row[];
  const all = async () => {
    const out: Record<string, Row[]> = {};
    for (const name of names) out[name] = await query(name);
    return out;
  };
  let events: Row[] = [];
  let day = '';
  let dayEvents = 0;

  beforeAll(async () => {
    await voicelake(['demo', '--calls', '80', '--days', '2', '--data-dir', lake], env);
    events = readLocalLake(lake).map((l) => l.event);
    // A replayed batch with new keys: the busiest day's object again, under another layout name.
    const counts = new Map<string, number>();
    for (const e of events)
      counts.set(String(e.event_time).slice(0, 10), (counts.get(String(e.event_time).slice(0, 10)) ?? 0) + 1);
    [day, dayEvents] = [...counts].sort((a, b) => b[1] - a[1])[0] as [string, number];
    const dir = join(lake, `year=${day.slice(0, 4)}`, `month=${day.slice(5, 7)}`, `day=${day.slice(8, 10)}`);
    const [object] = readdirSync(dir).filter((f) => f.endsWith('.json.gz'));
    copyFileSync(
      join(dir, object as string),
      join(dir, 'analytics-20991231T000000000Z-0123456789ab.json.gz'),
    );
  }, 120_000);

  it('every named query equals the recomputation with the replayed batch present, and after compaction', async () => {
    // Prepare
    const expected = recompute(events, 10);
    // Act + Assess
    const before = await all();
    expectAnswers(before, expected, 'a replayed batch, not compacted');
    const raw = await query('--sql', 'SELECT count(*) AS n FROM events_raw');
    const unique = await query('--sql', 'SELECT count(*) AS n FROM events');
    expect(raw).toEqual([{ n: events.length + dayEvents }]);
    expect(unique).toEqual([{ n: events.length }]);
    await voicelake(['compact', '--day', day, '--data-dir', lake], env);
    const after = await all();
    expectAnswers(after, expected, 'after compaction');
    expect(after).toEqual(before);
    expect(await query('--sql', 'SELECT count(*) AS n FROM events_raw')).toEqual([{ n: events.length }]);
  }, 120_000);
});
