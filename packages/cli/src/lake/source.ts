/**
 * Where a lake lives: a local directory, or S3 read through a local query cache. Every command
 * takes a `LakeSource`: its read face (`list`, `read`, `sync`, `compactedDays`), its write face
 * (`store()`, for compaction) and its `location`, so each works the same against both and none
 * needs to know which class it holds.
 */
import type { LakeLocation } from './location.js';
import type { LakeStore } from './store.js';

export type { LakeLocation };

/** Inclusive range of event days, `YYYY-MM-DD`. */
export interface DayRange {
  readonly from: string;
  readonly to: string;
}

/** One object of the lake (a `.json.gz` file). */
export interface LakeObject {
  /** Key relative to the lake root, prefix included, e.g. `team/year=2026/month=11/day=24/analytics-….json.gz`. */
  readonly key: string;
  /** Its partition's day, `YYYY-MM-DD`. */
  readonly day: string;
  readonly size: number;
  readonly lastModified: Date | undefined;
  /** S3 ETag (quotes stripped); for local files, size and mtime. */
  readonly etag: string;
}

/** What making a local copy of a range cost: objects fetched now, and those already cached. */
export interface SyncResult {
  /** A directory in the lake layout holding (at least) every object of the range. */
  readonly dir: string;
  readonly fetched: number;
  readonly fetchedBytes: number;
  readonly cached: number;
}

export interface LakeSource {
  readonly kind: LakeLocation['kind'];
  /** Where the lake is: a directory or a bucket, and the prefix. */
  readonly location: LakeLocation;
  /** For messages: `./voicelake-data` or `s3://bucket/prefix`. */
  readonly description: string;
  /** The key prefix inside the source (may be empty). */
  readonly prefix: string;
  /** Objects whose day is in `range` (every object without one), sorted by key. */
  list(range?: DayRange): Promise<LakeObject[]>;
  /** The raw (gzip) bytes of one object, by key (as `list` returns it) or, for local, by path. */
  read(key: string): Promise<Buffer>;
  /**
   * A local directory with the objects of `range`, for DuckDB: the lake itself, or the S3 query
   * cache. `listed`: the range's `list`, when the caller has just made it (S3: spares a listing).
   */
  sync(range?: DayRange, listed?: readonly LakeObject[]): Promise<SyncResult>;
  /**
   * The days of `range` that are compacted. S3: those with a symlink manifest, the files
   * Athena's and Trino's `<table>_compacted` read; local: those with a compaction manifest.
   */
  compactedDays(range: DayRange): Promise<ReadonlySet<string>>;
  /** The write face of the same lake (compaction writes, reads back and deletes through it). */
  store(): LakeStore;
  close(): void;
}

/** `YYYY-MM-DD` of an epoch-ms time, UTC. */
export const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The last `days` days up to today (UTC), inclusive. */
export function lastDays(days: number, now: number = Date.now()): DayRange {
  return { from: isoDay(now - (days - 1) * 86_400_000), to: isoDay(now) };
}
