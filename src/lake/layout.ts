/**
 * The lake's object layout, shared by S3 and the local lake:
 * `<prefix>year=YYYY/month=MM/day=DD/analytics-<timestamp>-<random>.json.gz`, by event time in UTC.
 */
import { randomBytes } from 'node:crypto';

/** Normalize a user prefix: empty stays empty, otherwise it ends with exactly one `/`. */
export function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, '').replace(/\/+$/, '');
  return trimmed === '' ? '' : `${trimmed}/`;
}

const DAY_MS = 86_400_000;
let cachedDay = Number.NaN;
let cachedPartition = '';

/** `year=YYYY/month=MM/day=DD/` for an epoch-ms event time (the last day is cached: batches are mostly one day). */
export function partitionPath(timeMs: number): string {
  const day = Math.floor(timeMs / DAY_MS);
  if (day !== cachedDay) {
    const iso = new Date(day * DAY_MS).toISOString();
    cachedPartition = `year=${iso.slice(0, 4)}/month=${iso.slice(5, 7)}/day=${iso.slice(8, 10)}/`;
    cachedDay = day;
  }
  return cachedPartition;
}

/** A new object key for one partition's batch. Decided once per batch, reused on every retry. */
export function objectKey(prefix: string, partition: string, createdMs: number = Date.now()): string {
  const stamp = new Date(createdMs).toISOString().replace(/[-:]/g, '').replace('.', '');
  return `${prefix}${partition}analytics-${stamp}-${randomBytes(6).toString('hex')}.json.gz`;
}

/** Matches keys of the layout; groups: prefix, year, month, day. */
export const KEY_PATTERN =
  /^(.*?)year=(\d{4})\/month=(\d{2})\/day=(\d{2})\/analytics-\d{8}T\d{9}Z-[0-9a-f]{12}\.json\.gz$/;
