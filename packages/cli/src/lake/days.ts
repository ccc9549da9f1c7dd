/**
 * Days of the lake as the SQL engines see them: a set of event days turned into a filter on the
 * Hive partition columns (`year`, `month`, `day`) that partition projection can prune on, with
 * as few terms as the days allow. Whole years become `year BETWEEN a AND b`, whole months
 * `year = Y AND month BETWEEN a AND b`, and the rest runs of days, `… AND day BETWEEN a AND b`:
 * a range of any length is a handful of terms (Trino fails on a few hundred OR terms), and no
 * day is ever left out.
 */
import { QueryError } from 'voicelake';
import type { DayRange } from './source.js';

const DAY_MS = 86_400_000;
const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Epoch ms of a `YYYY-MM-DD` day (UTC), or undefined when it is not a real calendar day. */
export function dayMs(day: string): number | undefined {
  const m = DAY_RE.exec(day);
  if (!m) return undefined;
  const [, y, mo, d] = m.map(Number) as [number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  return back.getUTCFullYear() === y && back.getUTCMonth() === mo - 1 && back.getUTCDate() === d
    ? ms
    : undefined;
}

/** Every day of `range`, in order. */
export function daysOf(range: DayRange): string[] {
  const from = dayMs(range.from);
  const to = dayMs(range.to);
  if (from === undefined || to === undefined)
    throw new QueryError(`not a day range: ${range.from}..${range.to}`);
  const days: string[] = [];
  for (let ms = from; ms <= to; ms += DAY_MS) days.push(new Date(ms).toISOString().slice(0, 10));
  return days;
}

/** Number of days in `range` (0 when from > to). */
export function dayCount(range: DayRange): number {
  const from = dayMs(range.from);
  const to = dayMs(range.to);
  if (from === undefined || to === undefined)
    throw new QueryError(`not a day range: ${range.from}..${range.to}`);
  return Math.max(0, Math.round((to - from) / DAY_MS) + 1);
}

/** True when `day` is in `range` (always, without a range). `YYYY-MM-DD` strings compare in order. */
export const inRange = (day: string, range: DayRange | undefined): boolean =>
  range === undefined || (day >= range.from && day <= range.to);

const PARTITION = /(?:^|\/)year=(\d{4})\/month=(\d{1,2})\/day=(\d{1,2})(?:\/|$)/;

/**
 * The day, `YYYY-MM-DD`, of a key or path holding a `year=/month=/day=` partition (the
 * layout's zero-padded one, or the unpadded one Athena and Trino write), or undefined when it
 * holds none or the date does not exist. The one parser of a key's day in the CLI.
 */
export function partitionDay(key: string): string | undefined {
  const m = PARTITION.exec(key);
  if (m === null) return undefined;
  const day = `${m[1]}-${(m[2] as string).padStart(2, '0')}-${(m[3] as string).padStart(2, '0')}`;
  const t = Date.parse(`${day}T00:00:00Z`);
  return Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== day ? undefined : day;
}

/** Days in the month `m` (1-12) of year `y`. */
const monthDays = (y: number, m: number): number => new Date(Date.UTC(y, m, 0)).getUTCDate();

/** Consecutive runs of sorted integers: [[1, 3], [5, 5]]. */
function runs(values: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const v of values) {
    const last = out[out.length - 1];
    if (last !== undefined && last[1] === v - 1) last[1] = v;
    else out.push([v, v]);
  }
  return out;
}

const between = (col: string, [a, b]: [number, number]): string =>
  a === b ? `${col} = ${a}` : `${col} BETWEEN ${a} AND ${b}`;

/**
 * A filter on the partition columns that holds exactly for `days` (`YYYY-MM-DD`, any order,
 * duplicates ignored), or `false` when there are none. `alias` qualifies the columns.
 */
export function partitionFilter(days: Iterable<string>, alias?: string): string {
  const col = (c: string) => (alias ? `${alias}."${c}"` : `"${c}"`);
  // year → month → days
  const tree = new Map<number, Map<number, Set<number>>>();
  for (const d of days) {
    const [y, m, dd] = [Number(d.slice(0, 4)), Number(d.slice(5, 7)), Number(d.slice(8, 10))];
    const months = tree.get(y) ?? new Map<number, Set<number>>();
    tree.set(y, months);
    months.set(m, (months.get(m) ?? new Set()).add(dd));
  }
  if (tree.size === 0) return 'false';
  const fullYears: number[] = [];
  const terms: string[] = [];
  for (const y of [...tree.keys()].sort((a, b) => a - b)) {
    const months = tree.get(y) as Map<number, Set<number>>;
    const full = [...months.entries()]
      .filter(([m, ds]) => ds.size === monthDays(y, m))
      .map(([m]) => m)
      .sort((a, b) => a - b);
    if (full.length === 12) {
      fullYears.push(y);
      continue;
    }
    for (const r of runs(full)) terms.push(`(${col('year')} = ${y} AND ${between(col('month'), r)})`);
    for (const m of [...months.keys()].sort((a, b) => a - b)) {
      if (full.includes(m)) continue;
      const ds = [...(months.get(m) as Set<number>)].sort((a, b) => a - b);
      for (const r of runs(ds))
        terms.push(`(${col('year')} = ${y} AND ${col('month')} = ${m} AND ${between(col('day'), r)})`);
    }
  }
  const yearTerms = runs(fullYears).map((r) => `(${between(col('year'), r)})`);
  return [...yearTerms, ...terms].join(' OR ');
}
