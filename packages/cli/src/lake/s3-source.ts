/**
 * The S3 lake as a `LakeSource`, read through an incremental local query cache.
 *
 * Listing prunes partitions: a range of a few weeks lists one `year=/month=/day=` prefix per
 * day, so a query of one day lists and fetches that day only. `sync` mirrors the objects of a
 * range into the per-user cache, `<cache>/s3/<bucket>/<prefix>` in the lake layout, fetching
 * only what is new or changed (by ETag) and removing what S3 no longer has. The cache holds
 * transcripts: directories are 0700, files 0600, written via a temporary file and a rename,
 * and no symlink is ever followed.
 */
import { lstat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { QueryError } from 'voicelake';
import { progress } from '../format.js';
import { compactedDaysInS3, syncCompacted } from './compacted-cache.js';
import { dayCount, daysOf, inRange } from './days.js';
import { type LakeLocation, lakeBucket, lakePrefix } from './location.js';
import { byKey, parseKey, walkPartitions } from './partitions.js';
import { writeAtomic } from './private-files.js';
import { listPages, pool, s3ClientFromEnv, s3Failure, stripQuotes } from './s3.js';
import { cacheDir, type Entry, ensureCacheTree, loadManifest, saveManifest } from './s3-cache.js';
import { S3Store } from './s3-store.js';
import type { DayRange, LakeObject, LakeSource, SyncResult } from './source.js';
import type { LakeStore } from './store.js';

type Env = Record<string, string | undefined>;

// ---------------------------------------------------------------------------------------------
// The source

/** Up to this many days, one listing per day; up to MAX_MONTHS months, one per month; else the whole prefix. */
const MAX_DAY_LISTINGS = 62;
const MAX_MONTH_LISTINGS = 60;
/** A temporary file this old is a leftover of an interrupted sync. */
const STALE_TMP_MS = 3_600_000;

export interface S3SourceOptions {
  readonly bucket: string;
  /** Key prefix before `year=`; normalized to end with `/`. Default none. */
  readonly prefix?: string | undefined;
  /** Environment for the endpoint, region and cache directory. Default `process.env`. */
  readonly env?: Env | undefined;
  /** A client to use instead of one built from the environment (not destroyed by `close`). */
  readonly client?: S3Client | undefined;
  /** The cache root. Default `cacheDir(env)`. */
  readonly cacheDir?: string | undefined;
  /** Parallel GetObject/ListObjectsV2 requests. Default 8. */
  readonly concurrency?: number | undefined;
  /** Keys per ListObjectsV2 page (S3's maximum is 1000). */
  readonly pageSize?: number | undefined;
}

export class S3Source implements LakeSource {
  readonly kind = 's3' as const;
  readonly description: string;
  readonly prefix: string;
  readonly bucket: string;
  /** Where `sync` keeps this bucket's objects (its manifest is here too). */
  readonly bucketCacheDir: string;
  private readonly cacheRoot: string;
  readonly location: LakeLocation;
  private readonly client: S3Client;
  private readonly ownClient: boolean;
  private readonly concurrency: number;
  private readonly pageSize: number | undefined;

  constructor(options: S3SourceOptions) {
    const env = options.env ?? process.env;
    this.bucket = lakeBucket(options.bucket);
    const prefix = lakePrefix(options.prefix ?? '');
    this.prefix = prefix;
    this.description = `s3://${this.bucket}/${this.prefix}`;
    this.location = { kind: 's3', bucket: this.bucket, prefix };
    this.cacheRoot = options.cacheDir ?? cacheDir(env);
    this.bucketCacheDir = join(this.cacheRoot, 's3', this.bucket);
    this.concurrency = options.concurrency ?? 8;
    this.pageSize = options.pageSize;
    this.ownClient = options.client === undefined;
    if (options.client) {
      this.client = options.client;
    } else {
      this.client = s3ClientFromEnv(env);
    }
  }

  /** The key prefixes to list for `range`: per day, per month, or the whole prefix for long ranges. */
  listingPrefixes(range?: DayRange): string[] {
    if (range === undefined) return [this.prefix];
    const n = dayCount(range);
    if (n === 0) return [];
    const days = n <= MAX_DAY_LISTINGS ? daysOf(range) : [];
    if (days.length > 0)
      return days.map(
        (d) => `${this.prefix}year=${d.slice(0, 4)}/month=${d.slice(5, 7)}/day=${d.slice(8, 10)}/`,
      );
    const months: string[] = [];
    let [y, m] = [Number(range.from.slice(0, 4)), Number(range.from.slice(5, 7))];
    const last = range.to.slice(0, 7);
    for (;;) {
      const ym = `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}`;
      if (ym > last || months.length > MAX_MONTH_LISTINGS) break;
      months.push(`${this.prefix}year=${ym.slice(0, 4)}/month=${ym.slice(5, 7)}/`);
      [y, m] = m === 12 ? [y + 1, 1] : [y, m + 1];
    }
    return months.length > MAX_MONTH_LISTINGS ? [this.prefix] : months;
  }

  async list(range?: DayRange): Promise<LakeObject[]> {
    const objects: LakeObject[] = [];
    await pool(this.listingPrefixes(range), this.concurrency, async (prefix) => {
      const pages = listPages(
        this.client,
        { Bucket: this.bucket, Prefix: prefix },
        { pageSize: this.pageSize },
      );
      for await (const page of pages) {
        for (const o of page.Contents ?? []) {
          const parsed = o.Key === undefined ? undefined : parseKey(o.Key);
          if (parsed === undefined || parsed.prefix !== this.prefix || !inRange(parsed.day, range)) continue;
          objects.push({
            key: o.Key as string,
            day: parsed.day,
            size: o.Size ?? 0,
            lastModified: o.LastModified,
            etag: stripQuotes(o.ETag),
          });
        }
      }
    });
    return objects.sort(byKey);
  }

  /** The key of `keyOrUrl`: a key as `list` returns it, the same without the prefix, or `s3://<this bucket>/<key>`. */
  resolveKey(keyOrUrl: string): string {
    let key = keyOrUrl;
    const url = /^s3:\/\/([^/]+)\/(.+)$/.exec(key);
    if (url) {
      if (url[1] !== this.bucket) throw new QueryError(`${keyOrUrl} is not in the bucket ${this.bucket}`);
      key = url[2] as string;
    }
    if (parseKey(key)?.prefix === this.prefix) return key;
    if (parseKey(`${this.prefix}${key}`)?.prefix === this.prefix) return `${this.prefix}${key}`;
    return key;
  }

  private async get(key: string): Promise<{ body: Buffer; etag: string | undefined }> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (res.Body === undefined) throw new QueryError(`s3://${this.bucket}/${key} has no body`);
      const body = Buffer.from(await res.Body.transformToByteArray());
      return { body, etag: res.ETag === undefined ? undefined : stripQuotes(res.ETag) };
    } catch (error) {
      throw s3Failure('read', `s3://${this.bucket}/${key}`, error);
    }
  }

  async read(keyOrUrl: string): Promise<Buffer> {
    return (await this.get(this.resolveKey(keyOrUrl))).body;
  }

  async sync(range?: DayRange, listing?: readonly LakeObject[]): Promise<SyncResult> {
    const bucketDir = this.bucketCacheDir;
    const root = join(bucketDir, ...this.prefix.split('/').filter(Boolean));
    await ensureCacheTree(this.cacheRoot, root);
    // Compacted days first (compact/cache.ts): their parts and manifests; the gzip objects a
    // manifest covers are then neither fetched nor kept, since readers take those days from Parquet.
    const compacted = await syncCompacted({
      client: this.client,
      bucket: this.bucket,
      prefix: this.prefix,
      range,
      root,
      ensureDir: (dir) => ensureCacheTree(this.cacheRoot, dir),
      write: writeAtomic,
      concurrency: this.concurrency,
    });
    const objects = (listing ?? (await this.list(range))).filter((o) => !compacted.covers(o));
    const manifest = await loadManifest(bucketDir);
    const changes = new Map<string, Entry | null>();
    const listed = new Set(objects.map((o) => o.key));
    const fileOf = (key: string): string => join(bucketDir, ...key.split('/'));

    // Gone from S3: drop from the cache (only this prefix, only this range).
    for (const key of manifest.keys()) {
      const parsed = parseKey(key);
      if (
        parsed === undefined ||
        parsed.prefix !== this.prefix ||
        !inRange(parsed.day, range) ||
        listed.has(key)
      )
        continue;
      await unlink(fileOf(key)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
      changes.set(key, null);
    }

    // New or changed (or the cached file is missing or truncated): fetch.
    const toFetch: LakeObject[] = [];
    let cached = 0;
    for (const o of objects) {
      const entry = manifest.get(o.key);
      const st = entry ? await lstat(fileOf(o.key)).catch(() => undefined) : undefined;
      if (entry && entry.etag === o.etag && entry.size === o.size && st?.isFile() && st.size === o.size)
        cached++;
      else toFetch.push(o);
    }

    let fetched = 0;
    let fetchedBytes = 0;
    const totalBytes = toFetch.reduce((n, o) => n + o.size, 0);
    const bar = progress(`syncing ${this.description}`, toFetch.length, totalBytes);
    const madeDirs = new Set<string>();
    try {
      await pool(toFetch, this.concurrency, async (o) => {
        const { body, etag } = await this.get(o.key);
        const path = fileOf(o.key);
        const dir = dirname(path);
        if (!madeDirs.has(dir)) {
          await ensureCacheTree(this.cacheRoot, dir);
          madeDirs.add(dir);
        }
        await writeAtomic(path, body);
        // The object may have changed since it was listed: record what was actually fetched.
        changes.set(o.key, { etag: etag ?? o.etag, size: body.length });
        fetched++;
        fetchedBytes += body.length;
        bar.tick(fetched, fetchedBytes);
      });
    } finally {
      if (toFetch.length > 0) bar.done();
      await saveManifest(bucketDir, changes);
    }

    // Anything else in the range's partitions (files of an older manifest, leftovers) is not part of the cache.
    const now = Date.now();
    for (const rel of await walkPartitions(root, range)) {
      const key = `${this.prefix}${rel}`;
      const name = rel.slice(rel.lastIndexOf('/') + 1);
      if (name.startsWith('.') && name.endsWith('.tmp')) {
        const st = await lstat(fileOf(key)).catch(() => undefined);
        if (st && now - st.mtimeMs < STALE_TMP_MS) continue; // another sync may be writing it
      } else if (listed.has(key)) continue;
      await unlink(fileOf(key)).catch(() => undefined);
    }
    return {
      dir: root,
      fetched: fetched + compacted.fetched,
      fetchedBytes: fetchedBytes + compacted.fetchedBytes,
      cached: cached + compacted.cached,
    };
  }

  compactedDays(range: DayRange): Promise<ReadonlySet<string>> {
    return compactedDaysInS3(this.client, this.bucket, this.prefix, range);
  }

  /** Compaction writes through the source's client. */
  store(): LakeStore {
    return new S3Store(this.client, this.bucket, this.prefix);
  }

  close(): void {
    if (this.ownClient) this.client.destroy();
  }
}
