/**
 * The write face of a lake: what compaction writes, reads back and deletes, beside what a
 * `LakeSource` (the read face) reads. `LakeSource.store()` gives the store of the same
 * location, so no caller needs to know which kind of lake it holds. Keys are full keys, the
 * lake prefix included, as `LakeSource.list` returns them.
 */

/** A file of the store. */
export interface StoredFile {
  readonly key: string;
  readonly size: number;
}

export interface LakeStore {
  readonly kind: 'local' | 's3';
  /** Write `body` under `key`, atomically. */
  put(key: string, body: Buffer): Promise<void>;
  /** Store the local file at `path` under `key`, atomically (locally it is moved into place). */
  putFile(key: string, path: string): Promise<void>;
  /** The bytes under `key`, or undefined when there is no such object. */
  get(key: string): Promise<Buffer | undefined>;
  /** The last `bytes` bytes of `key`. */
  tail(key: string, bytes: number): Promise<Buffer>;
  /** Copy `from` to `to` inside the store. */
  copy(from: string, to: string): Promise<void>;
  /** Delete `key` (no error when it is already gone). */
  delete(key: string): Promise<void>;
  /** Every file under the key prefix `prefix` (at any depth), sorted by key. */
  list(prefix: string): Promise<StoredFile[]>;
  /** Every file in `day`'s compacted directory. */
  listCompacted(day: string): Promise<StoredFile[]>;
  /** A new, empty, private directory to write a run's Parquet into before `putFile`. */
  staging(run: string): Promise<string>;
  /** The `s3://bucket/key` URI of `key`, as Athena names it; undefined for a local lake (no Athena). */
  uri(key: string): string | undefined;
}

/** A staging directory this old is a leftover of a run that was killed. */
export const STALE_STAGING_MS = 6 * 3_600_000;

export const byStoredKey = (a: StoredFile, b: StoredFile): number =>
  a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
