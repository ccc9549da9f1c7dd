/**
 * The day filter Athena and Trino get: exactly the given days, in a handful of terms, whatever
 * the range's length (Trino fails on a few hundred OR terms; the old filter wrote one per day
 * and stopped after 367 days).
 */
import { describe, expect, it } from 'vitest';
import { daysOf, partitionDay, partitionFilter } from '../../packages/cli/src/lake/days.js';

/** Evaluate the filter on a day, in JS: the SQL's own semantics on three integer columns. */
function holds(filter: string, day: string): boolean {
  const [year, month, d] = [Number(day.slice(0, 4)), Number(day.slice(5, 7)), Number(day.slice(8, 10))];
  const js = filter
    .replaceAll('"year"', String(year))
    .replaceAll('"month"', String(month))
    .replaceAll('"day"', String(d))
    .replace(/(\d+) BETWEEN (\d+) AND (\d+)/g, '($2 <= $1 && $1 <= $3)')
    .replaceAll(' = ', ' === ')
    .replaceAll(' AND ', ' && ')
    .replaceAll(' OR ', ' || ');
  return Function(`return ${js};`)() as boolean;
}

describe('partitionFilter', () => {
  it('covers 3 years (1,096 days) in one term, and no day outside', () => {
    // Act
    const days = daysOf({ from: '2024-01-01', to: '2026-12-31' });
    const filter = partitionFilter(days);
    // Assess
    expect(days).toHaveLength(1096);
    expect(filter).toBe('("year" BETWEEN 2024 AND 2026)');
    expect(holds(filter, '2026-12-31')).toBe(true);
    expect(holds(filter, '2027-01-01')).toBe(false);
  });

  it('keeps exactly the given days of a long irregular range: whole months, runs of days, holes', () => {
    // Prepare: 2024-02-10 .. 2026-12-07 without a few days (compacted ones, say)
    const all = daysOf({ from: '2024-02-10', to: '2026-12-07' });
    const holes = new Set(['2024-02-29', '2025-06-01', '2025-06-02', '2025-12-31', '2026-12-06']);
    const days = all.filter((d) => !holes.has(d));
    // Act
    const filter = partitionFilter(days);
    // Assess: every day of the range and a margin around it, evaluated
    const terms = filter.split(' OR ').length;
    expect(terms, filter).toBeLessThanOrEqual(14);
    for (const d of daysOf({ from: '2024-01-01', to: '2027-01-31' }))
      expect(holds(filter, d), d).toBe(days.includes(d));
  });

  it('says false for no day, and qualifies the columns with an alias', () => {
    expect(partitionFilter([])).toBe('false');
    expect(partitionFilter(['2026-12-07'], 'r')).toBe('(r."year" = 2026 AND r."month" = 12 AND r."day" = 7)');
  });
});

describe('partitionDay', () => {
  it('reads the day of a layout key, of a path, and of the unpadded partitions Athena and Trino write', () => {
    expect(partitionDay('voice/year=2026/month=12/day=07/analytics-x.json.gz')).toBe('2026-12-07');
    expect(partitionDay('year=2026/month=12/day=07')).toBe('2026-12-07');
    expect(partitionDay('p/compacted/athena-runs/r/out/year=2026/month=1/day=5/20261207_x')).toBe(
      '2026-01-05',
    );
  });

  it('refuses what is not a day: no partition, a date that does not exist, a segment that only starts alike', () => {
    expect(partitionDay('voice/analytics-x.json.gz')).toBeUndefined();
    expect(partitionDay('year=2026/month=02/day=30/x')).toBeUndefined();
    expect(partitionDay('year=2026/month=13/day=01/x')).toBeUndefined();
    expect(partitionDay('xyear=2026/month=12/day=07/x')).toBeUndefined();
    expect(partitionDay('year=2026/month=12/day=071/x')).toBeUndefined();
  });
});
