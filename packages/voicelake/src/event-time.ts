/**
 * `track()`'s `time` as epoch ms, or NaN when it is not one. An ISO string is read strictly:
 * a real calendar date and a zone (`Z` or `±HH:MM`), because a partition day must never depend
 * on the host's zone, and `Date.parse` rolls `2024-02-30` over to March 1st.
 */

/** `YYYY-MM-DDTHH:MM[:SS[.fraction]]` then `Z` or `±HH[[:]MM]`; `T`/`Z` in either case, or a space for `T`. */
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)$/;

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** Epoch ms of a strict ISO 8601 date-time with a zone, or NaN. Fractions below the millisecond are truncated. */
export function parseIsoTime(text: string): number {
  const m = ISO.exec(text);
  if (m === null) return Number.NaN;
  const [, ys, mos, ds, hs, mis, ss = '0', frac = '', z, sign, ohs = '0', oms = '0'] = m;
  const year = Number(ys);
  const month = Number(mos);
  const day = Number(ds);
  const hour = Number(hs);
  const minute = Number(mis);
  const second = Number(ss);
  const offsetHours = Number(ohs);
  const offsetMinutes = Number(oms);
  if (month < 1 || month > 12) return Number.NaN;
  const monthDays = month === 2 && !isLeap(year) ? 28 : (DAYS_IN_MONTH[month - 1] as number);
  if (day < 1 || day > monthDays) return Number.NaN;
  if (hour > 23 || minute > 59 || second > 59) return Number.NaN;
  if (z === undefined && (offsetHours > 23 || offsetMinutes > 59)) return Number.NaN;
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  const offset = z === undefined ? (sign === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) : 0;
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offset * 60_000;
}

/** `time` as given to `track()` (default `now`), as epoch ms; NaN when it is none. */
export function toTimeMs(time: unknown, now: number): number {
  if (time === undefined) return now;
  if (typeof time === 'number') return time;
  if (time instanceof Date) return time.getTime();
  // An ISO time is at most ~35 characters: a longer string is not parsed (it could be 10 MB).
  if (typeof time === 'string') return time.length <= 64 ? parseIsoTime(time) : Number.NaN;
  return Number.NaN;
}
