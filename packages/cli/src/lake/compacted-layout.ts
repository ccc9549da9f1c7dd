/**
 * Where compaction writes, inside the lake prefix:
 *
 *     <prefix>compacted/year=YYYY/month=MM/day=DD/part-<run>-<n>.parquet
 *     <prefix>compacted/year=YYYY/month=MM/day=DD/_manifest.json
 *     <prefix>compacted/athena-symlinks/year=YYYY/month=MM/day=DD/symlink.txt     (S3 only: Athena's list of the parts)
 *     <prefix>compacted/athena-runs/<run>/…     (compact --engine athena: a run's scratch tables, deleted at its end)
 *
 * A run id is a UTC timestamp and 12 random hex digits, so the parts of every run have new
 * names: a re-run never overwrites a file a reader may be reading.
 */
import { randomBytes } from 'node:crypto';

/** The prefix under which compaction writes, inside the lake prefix. */
export const COMPACTED_DIR = 'compacted/';

export const MANIFEST_NAME = '_manifest.json';

/** The Parquet parts' shape: rows per part (`--part-rows` default), per row group, and the smallest row group written. */
export const PARQUET_ROWS = { perPart: 5_000_000, perRowGroup: 122_880, minRowGroup: 2048 } as const;

/** A run id: `20261125T031500123Z-0123456789ab`. */
export const RUN_RE = /^\d{8}T\d{9}Z-[0-9a-f]{12}$/;
/** The name of a part: `part-<run>-<n>.parquet`. */
export const PART_NAME_RE = /^part-(\d{8}T\d{9}Z-[0-9a-f]{12})-(\d{1,6})\.parquet$/;

/** A new run id. */
export function newRunId(now: number = Date.now()): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace('.', '');
  return `${stamp}-${randomBytes(6).toString('hex')}`;
}

/** `year=YYYY/month=MM/day=DD/` of a `YYYY-MM-DD` day. */
export const partitionOf = (day: string): string =>
  `year=${day.slice(0, 4)}/month=${day.slice(5, 7)}/day=${day.slice(8, 10)}/`;

/** The key prefix of a day's compacted files: `<prefix>compacted/year=…/month=…/day=…/`. */
export const compactedDayPrefix = (prefix: string, day: string): string =>
  `${prefix}${COMPACTED_DIR}${partitionOf(day)}`;

export const manifestKey = (prefix: string, day: string): string =>
  `${compactedDayPrefix(prefix, day)}${MANIFEST_NAME}`;

/**
 * Athena's view of compaction (S3 lakes only): per compacted day, a Hive symlink manifest
 * (`SymlinkTextInputFormat`) that lists the `s3://` URIs of the day's current parts, one per
 * line. The `<table>_compacted` table reads the Parquet through it, so Athena reads exactly
 * the parts the manifest lists, like the CLI's readers. Outside the `year=` tree, so the
 * readers of `compacted/year=…` never see it. No name in the path starts with `_` or `.`,
 * which Athena treats as hidden (and AWS advises against underscores in table locations).
 */
export const ATHENA_DIR = 'athena-symlinks/';
export const SYMLINK_NAME = 'symlink.txt';

/** The root of the symlink manifests: `<prefix>compacted/athena-symlinks/`. */
export const athenaRoot = (prefix: string): string => `${prefix}${COMPACTED_DIR}${ATHENA_DIR}`;

/** Where an Athena compaction run's scratch objects go, inside the lake prefix: `<prefix>compacted/athena-runs/<run>/`. */
export const runRoot = (prefix: string, run: string): string =>
  `${prefix}${COMPACTED_DIR}athena-runs/${run}/`;

/** `<prefix>compacted/athena-symlinks/year=…/month=…/day=…/symlink.txt`. */
export const symlinkKey = (prefix: string, day: string): string =>
  `${athenaRoot(prefix)}${partitionOf(day)}${SYMLINK_NAME}`;

export const partName = (run: string, n: number): string => `part-${run}-${n}.parquet`;

export const partKey = (prefix: string, day: string, run: string, n: number): string =>
  `${compactedDayPrefix(prefix, day)}${partName(run, n)}`;

/** The file name of a key (after its last `/`). */
export const baseName = (key: string): string => key.slice(key.lastIndexOf('/') + 1);

/**
 * The part name of `key` when it is a part of `day`'s compacted directory (whatever the lake
 * prefix before it), else undefined. Readers resolve parts by this name inside the directory
 * of the manifest that lists them, so a manifest cannot point anywhere else.
 */
export function partNameOf(key: string, day: string): string | undefined {
  const name = baseName(key);
  if (!PART_NAME_RE.test(name)) return undefined;
  const tail = `${COMPACTED_DIR}${partitionOf(day)}${name}`;
  return key === tail || key.endsWith(`/${tail}`) ? name : undefined;
}
