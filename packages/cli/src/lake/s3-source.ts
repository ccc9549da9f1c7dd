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
import { randomBytes } from 'node:crypto';
import { constants, lstatSync } from 'node:fs';
import { lstat, mkdir, open, rename, unlink } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { QueryError } from 'voicelake';
import { prefixProblem } from 'voicelake/layout';
import { nonEmpty } from '../env.js';
import { progress } from '../format.js';
import { syncCompacted } from './compacted-cache.js';
import { byKey, dayCount, daysOf, inRange, parseKey, readNoFollow, walkPartitions } from './local-source.js';
import { lakeBucket, lakePrefix } from './location.js';
import { listPages, pool, s3ClientFromEnv, s3Failure, stripQuotes } from './s3.js';
import type { DayRange, LakeObject, LakeSource, SyncResult } from './source.js';

type Env = Record<string, string | undefined>;

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY } = constants;

const myUid = (): number | undefined => (typeof process.getuid === 'function' ? process.getuid() : undefined);

// ---------------------------------------------------------------------------------------------
// The per-user cache directory

/**
 * The per-user cache directory of voicelake: `$XDG_CACHE_HOME/voicelake`, else
 * `~/.cache/voicelake`, else (no usable home) `<tmp>/voicelake-<uid>/cache`.
 */
export function cacheDir(env: Env = process.env): string {
  const xdg = nonEmpty(env.XDG_CACHE_HOME);
  if (xdg && isAbsolute(xdg)) return join(xdg, 'voicelake');
  let home = '';
  try {
    home = env.HOME ?? homedir();
  } catch {
    home = '';
  }
  if (home && isAbsolute(home) && home !== '/') {
    try {
      const st = lstatSync(home);
      const uid = myUid();
      if (st.isDirectory() && (uid === undefined || st.uid === uid)) return join(home, '.cache', 'voicelake');
    } catch {
      // no usable home: fall through
    }
  }
  return join(tmpdir(), `voicelake-${myUid() ?? 0}`, 'cache');
}

/**
 * Make `dir` a private directory of this user (creating it 0700 when missing): refused when it
 * is a symlink, not a directory, or another user's; group and other bits are removed.
 */
async function privateDir(dir: string): Promise<void> {
  await mkdir(dir, { mode: DIR_MODE }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'ENOTDIR')
      throw new QueryError(`cache directory ${dir} is a symlink or not a directory; remove it`);
    throw error;
  }
  try {
    const st = await handle.stat();
    const uid = myUid();
    if (uid !== undefined && st.uid !== uid)
      throw new QueryError(`cache directory ${dir} belongs to uid ${st.uid}, not to this user (uid ${uid})`);
    if ((st.mode & 0o077) !== 0) await handle.chmod(DIR_MODE);
  } finally {
    await handle.close();
  }
}

/**
 * Create (privately) every directory from the cache root down to `dir`, one level at a time,
 * so that a symlink planted anywhere on the way is refused rather than followed. The root's
 * parents (`$XDG_CACHE_HOME`, `~/.cache`) are created 0700 when missing.
 */
export async function ensureCacheTree(root: string, dir: string): Promise<void> {
  const rel = relative(root, dir);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new QueryError(`${dir} is not inside the cache ${root}`);
  const parent = dirname(root);
  if (root === join(tmpdir(), `voicelake-${myUid() ?? 0}`, 'cache')) {
    // The shared temp directory: its per-user directory must be ours and private too.
    await privateDir(parent);
  } else {
    await mkdir(parent, { recursive: true, mode: DIR_MODE });
  }
  let at = root;
  await privateDir(at);
  for (const part of rel.split(sep).filter(Boolean)) {
    at = join(at, part);
    await privateDir(at);
  }
}

/** Write `data` to `path` atomically: a new 0600 temporary file beside it, then a rename. */
async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = join(
    dirname(path),
    `.${path.slice(dirname(path).length + 1)}.${randomBytes(6).toString('hex')}.tmp`,
  );
  const handle = await open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, FILE_MODE);
  try {
    try {
      await handle.writeFile(data);
    } finally {
      await handle.close();
    }
    await rename(tmp, path); // replaces a file (or a planted symlink itself), never writes through one
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// The manifest: key -> ETag and size of each cached object of a bucket

interface Entry {
  readonly etag: string;
  readonly size: number;
}

const MANIFEST = '.manifest.json';

/** The manifest of a bucket's cache; entries that are not valid are dropped (their objects are fetched again). */
async function loadManifest(bucketDir: string): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>();
  let raw: Buffer;
  try {
    raw = await readNoFollow(join(bucketDir, MANIFEST));
  } catch {
    return out; // missing, a symlink, unreadable: start over
  }
  let doc: unknown;
  try {
    doc = JSON.parse(raw.toString('utf8'));
  } catch {
    return out;
  }
  const objects = (doc as { version?: unknown; objects?: unknown } | null)?.objects;
  if ((doc as { version?: unknown }).version !== 1 || typeof objects !== 'object' || objects === null)
    return out;
  for (const [key, value] of Object.entries(objects)) {
    const parsed = parseKey(key);
    const e = value as Partial<Entry> | null;
    if (
      parsed === undefined ||
      prefixProblem(parsed.prefix) !== undefined ||
      typeof e?.etag !== 'string' ||
      typeof e.size !== 'number' ||
      !Number.isSafeInteger(e.size) ||
      e.size < 0
    )
      continue;
    out.set(key, { etag: e.etag, size: e.size });
  }
  return out;
}

/** Apply `changes` to the manifest as it is on disk now (another process may have synced meanwhile), atomically. */
async function saveManifest(bucketDir: string, changes: ReadonlyMap<string, Entry | null>): Promise<void> {
  if (changes.size === 0) return;
  const current = await loadManifest(bucketDir);
  for (const [key, entry] of changes) {
    if (entry === null) current.delete(key);
    else current.set(key, entry);
  }
  const objects: Record<string, Entry> = {};
  for (const key of [...current.keys()].sort()) objects[key] = current.get(key) as Entry;
  await writeAtomic(join(bucketDir, MANIFEST), `${JSON.stringify({ version: 1, objects })}\n`);
}

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
  /** The S3 client (compaction writes through it too: compact/store.ts). */
  readonly client: S3Client;
  private readonly ownClient: boolean;
  private readonly concurrency: number;
  private readonly pageSize: number | undefined;

  constructor(options: S3SourceOptions) {
    const env = options.env ?? process.env;
    this.bucket = lakeBucket(options.bucket);
    const prefix = lakePrefix(options.prefix ?? '');
    this.prefix = prefix;
    this.description = `s3://${this.bucket}/${this.prefix}`;
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

  close(): void {
    if (this.ownClient) this.client.destroy();
  }
}
