/**
 * `voicelake/layout`: the lake's object layout, shared by S3, the local lake and every reader:
 * `<prefix>year=YYYY/month=MM/day=DD/analytics-<timestamp>-<random>.json.gz`, by event time in UTC.
 */
import { createHash, randomBytes } from 'node:crypto';

/**
 * A path segment that Hive partitioning reads as a partition column (`year=`, `month=`,
 * `day=`), in any case: DuckDB's and Athena's column names are case-insensitive, so `Year=2020`
 * dates every event below it as 2020.
 */
const PARTITION_SEGMENT = /^(year|month|day)=/i;

/** The first partition-like segment of a `/`-separated path, or undefined. */
function partitionSegment(path: string): string | undefined {
  return path.split(/[\\/]/).find((s) => PARTITION_SEGMENT.test(s));
}

/**
 * Why a user prefix is unsafe, or undefined when it is fine. A prefix may not climb out of
 * the lake (`..`), start at the root, hold control characters, or contain a partition
 * segment (`year=`, in any case), which would make every reader see the wrong partition.
 */
export function prefixProblem(prefix: string): string | undefined {
  if (prefix === '') return undefined;
  if (prefix.startsWith('/')) return 'may not start with /';
  // Unicode's control category: C0, DEL and C1.
  if (/\p{Cc}/u.test(prefix)) return 'may not contain control characters';
  if (prefix.includes('\\')) return 'may not contain \\';
  // IAM policies name the prefix: there these are wildcards and variables.
  if (/[*?$]/.test(prefix)) return 'may not contain *, ? or $, which IAM reads as wildcards or variables';
  const segments = prefix.replace(/\/$/, '').split('/');
  for (const s of segments) {
    if (s === '..' || s === '.') return `may not contain a "${s}" segment`;
    if (s === '') return 'may not contain an empty segment (//)';
    if (PARTITION_SEGMENT.test(s)) return `may not contain a partition segment ("${s}")`;
  }
  return undefined;
}

/**
 * Why a local lake directory (absolute) is unsafe to read as a lake, or undefined when it is
 * fine: a partition-like segment anywhere in its path (`/data/year=1999/lake`, in any case)
 * would date every event in it by that segment.
 */
export function lakeDirProblem(dir: string): string | undefined {
  const segment = partitionSegment(dir);
  return segment === undefined
    ? undefined
    : `may not contain a partition-like segment ("${segment}"): readers would date every event by it`;
}

/**
 * Why a bucket name breaks S3's rules for general purpose buckets, or undefined when it is fine:
 * the one bucket rule of the library and of every CLI command.
 */
export function bucketProblem(bucket: string): string | undefined {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
    return 'must be an S3 bucket name: 3-63 characters, a-z, 0-9, . and -, starting and ending with a letter or digit';
  if (bucket.includes('..')) return 'may not contain two adjacent periods';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(bucket)) return 'may not look like an IP address';
  if (
    /^(xn--|sthree-|amzn-s3-demo-)/.test(bucket) ||
    /(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(bucket)
  )
    return 'uses a prefix or suffix S3 reserves';
  return undefined;
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

/** A writer id: 6 hex digits that begin the 12 of every key a writer makes. */
export const WRITER_RE = /^[0-9a-f]{6}$/;

/** A fresh writer id, for a log that is never replayed (memory only). */
export const newWriterId = (): string => randomBytes(3).toString('hex');

/**
 * The writer id of a spool directory: derived from its device and inode, so the process that
 * reopens or adopts the directory gets the same one, and a key read back from it can be
 * checked to be one its writer made (another writer's object is never overwritten by a replay).
 */
export function writerIdOf(dev: number, ino: number): string {
  return createHash('sha256').update(`voicelake-writer:${dev}:${ino}`).digest('hex').slice(0, 6);
}

/**
 * A new object key for one partition's batch. Decided once per batch, reused on every retry.
 * Its 12 hex digits are the writer's id (6) and 6 random ones.
 */
export function objectKey(
  prefix: string,
  partition: string,
  createdMs: number = Date.now(),
  writer: string = newWriterId(),
): string {
  const stamp = new Date(createdMs).toISOString().replace(/[-:]/g, '').replace('.', '');
  return `${prefix}${partition}analytics-${stamp}-${writer}${randomBytes(3).toString('hex')}.json.gz`;
}

/** The file name part of a key this layout makes. */
const NAME = /^analytics-\d{8}T\d{9}Z-[0-9a-f]{12}\.json\.gz$/;

/**
 * True when `key` is exactly a key this layout would make for `partition` under `prefix`
 * (and, given `writer`, one that writer made). A key read back from disk (a replayed plan) is
 * reused only if this holds.
 */
export function isLayoutKey(key: unknown, prefix: string, partition: string, writer?: string): key is string {
  if (typeof key !== 'string') return false;
  const head = `${prefix}${partition}`;
  const name = key.slice(head.length);
  return key.startsWith(head) && NAME.test(name) && (writer === undefined || name.slice(30, 36) === writer);
}

/** Matches keys of the layout; groups: prefix, year, month, day. */
export const KEY_PATTERN =
  /^(.*?)year=(\d{4})\/month=(\d{2})\/day=(\d{2})\/analytics-\d{8}T\d{9}Z-[0-9a-f]{12}\.json\.gz$/;
