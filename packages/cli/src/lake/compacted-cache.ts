/**
 * The compacted days in the S3 query cache. `S3Source.sync` calls `syncCompacted` first: for
 * every day of the range with a manifest in S3, the cache gets the parts it lists, then the
 * manifest itself (so a cached manifest never names a part the cache lacks); the gzip objects
 * the manifest covers are then not fetched at all (readers take that day from Parquet), only
 * the day's late objects are (the next compaction needs them). Days whose manifest is gone
 * from S3 lose theirs from the cache. Parts are immutable (a run's names are new), so a cached
 * part of the right size is never fetched again; a manifest is fetched again when its ETag
 * changes (the ETag is kept beside it, in `.manifest.etag`).
 *
 * This module does not import the S3 source: it gets the client and the cache's safe file
 * operations from it (no import cycle).
 */
import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { QueryError } from 'voicelake';
import { progress } from '../format.js';
import {
  athenaRoot,
  COMPACTED_DIR,
  MANIFEST_NAME,
  partitionOf,
  partNameOf,
  SYMLINK_NAME,
} from './compacted-layout.js';
import { inRange, partitionDay } from './days.js';
import { coverage, type Manifest, parseManifest } from './manifest.js';
import { readNoFollow, walkPartitions } from './partitions.js';
import { listPages, pool, s3Failure, stripQuotes } from './s3.js';
import type { DayRange, LakeObject } from './source.js';

export interface CompactedCacheContext {
  readonly client: S3Client;
  readonly bucket: string;
  /** The lake prefix (empty or ending with `/`). */
  readonly prefix: string;
  readonly range: DayRange | undefined;
  /** The cache directory of the prefix, in the lake layout. */
  readonly root: string;
  /** Create a directory inside the cache, privately. */
  ensureDir(dir: string): Promise<void>;
  /** Write a cache file atomically, privately. */
  write(path: string, data: Uint8Array | string): Promise<void>;
  readonly concurrency: number;
}

export interface CompactedCacheResult {
  readonly fetched: number;
  readonly fetchedBytes: number;
  readonly cached: number;
  /** True when the gzip object `o` is in its day's manifest: readers never read it. */
  covers(o: LakeObject): boolean;
}

const ETAG_FILE = '.manifest.etag';
const STALE_TMP_MS = 3_600_000;

interface Listed {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
}

interface DayListing {
  manifest?: Listed;
  readonly files: Map<string, Listed>;
}

/**
 * Every compacted file of the range in S3, by day: one listing of `<prefix>compacted/` from
 * the range's first day on (keys sort by day), stopped after its last day. Usually a single
 * request, whatever the number of days.
 */
async function listCompacted(ctx: CompactedCacheContext): Promise<Map<string, DayListing>> {
  const base = `${ctx.prefix}${COMPACTED_DIR}`;
  const re = /^year=(\d{4})\/month=(\d{2})\/day=(\d{2})\/([^/]+)$/;
  const days = new Map<string, DayListing>();
  const from = ctx.range ? `${base}${partitionOf(ctx.range.from).slice(0, -1)}` : undefined;
  // StartAfter only matters for the first request: the paginator's continuation tokens take over.
  const pages = listPages(ctx.client, {
    Bucket: ctx.bucket,
    Prefix: base,
    ...(from ? { StartAfter: from } : {}),
  });
  for await (const page of pages) {
    let past = false;
    for (const o of page.Contents ?? []) {
      const m = o.Key?.startsWith(base) ? re.exec(o.Key.slice(base.length)) : null;
      if (!m) continue;
      const day = `${m[1]}-${m[2]}-${m[3]}`;
      if (ctx.range && day > ctx.range.to) past = true;
      if (!inRange(day, ctx.range)) continue;
      const listing = days.get(day) ?? { files: new Map<string, Listed>() };
      days.set(day, listing);
      const entry = { key: o.Key as string, size: o.Size ?? 0, etag: stripQuotes(o.ETag) };
      if (m[4] === MANIFEST_NAME) listing.manifest = entry;
      else listing.files.set(m[4] as string, entry);
    }
    // Keys sort by day: once past the range's last day, no later page can hold one of its days.
    if (past) break;
  }
  return days;
}

async function get(ctx: CompactedCacheContext, key: string): Promise<Buffer> {
  try {
    const res = await ctx.client.send(new GetObjectCommand({ Bucket: ctx.bucket, Key: key }));
    return Buffer.from((await res.Body?.transformToByteArray()) ?? new Uint8Array());
  } catch (error) {
    throw s3Failure('read', `s3://${ctx.bucket}/${key}`, error);
  }
}

/** The size of a regular file (not a symlink), or undefined. */
async function sizeOf(path: string): Promise<number | undefined> {
  const st = await lstat(path).catch(() => undefined);
  return st?.isFile() ? st.size : undefined;
}

/** Remove the files of a cached day directory that `keep` does not name (recent temporary files stay). */
async function prune(dir: string, keep: ReadonlySet<string>): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const now = Date.now();
  // The manifest first: a reader must never see a manifest whose parts are gone.
  entries.sort((a, b) => (a.name === MANIFEST_NAME ? -1 : b.name === MANIFEST_NAME ? 1 : 0));
  for (const e of entries) {
    if (keep.has(e.name)) continue;
    const path = join(dir, e.name);
    if (e.name.endsWith('.tmp')) {
      const st = await lstat(path).catch(() => undefined);
      if (st && now - st.mtimeMs < STALE_TMP_MS) continue;
    }
    await rm(path, { recursive: true, force: true });
  }
}

/** Bring the compacted days of the range into the cache; see the module comment. */
export async function syncCompacted(ctx: CompactedCacheContext): Promise<CompactedCacheResult> {
  const listing = await listCompacted(ctx);
  const cacheBase = join(ctx.root, ...COMPACTED_DIR.split('/').filter(Boolean));
  const manifests = new Map<string, Manifest>();
  const toFetch: { day: string; listed: Listed; path: string }[] = [];
  const fresh = new Map<string, { body: Buffer; etag: string }>();
  let cached = 0;

  for (const [day, l] of [...listing].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (l.manifest === undefined) continue; // parts of a run killed before its manifest: not data yet
    const dayDir = join(cacheBase, ...partitionOf(day).split('/').filter(Boolean));
    const manifestPath = join(dayDir, MANIFEST_NAME);
    const cachedEtag = (await readNoFollow(join(dayDir, ETAG_FILE)).catch(() => undefined))
      ?.toString()
      .trim();
    let text: string | undefined;
    if (cachedEtag === l.manifest.etag)
      text = (await readNoFollow(manifestPath).catch(() => undefined))?.toString('utf8');
    if (text === undefined) {
      const body = await get(ctx, l.manifest.key);
      fresh.set(day, { body, etag: l.manifest.etag });
      text = body.toString('utf8');
    } else cached++;
    const manifest = parseManifest(text, day, `s3://${ctx.bucket}/${l.manifest.key}`);
    manifests.set(day, manifest);
    for (const key of manifest.parts) {
      const name = partNameOf(key, day) as string;
      const listed = l.files.get(name);
      if (listed === undefined)
        throw new QueryError(
          `day ${day} is compacted but s3://${ctx.bucket}/${key}, a part its manifest lists, is missing (a compaction may be running: retry; else re-run \`voicelake compact --day ${day}\`)`,
        );
      const path = join(dayDir, name);
      if ((await sizeOf(path)) === listed.size) cached++;
      else toFetch.push({ day, listed, path });
    }
  }

  let fetched = 0;
  let fetchedBytes = 0;
  const totalBytes = toFetch.reduce((n, f) => n + f.listed.size, 0);
  const bar = progress(
    `syncing compacted days of s3://${ctx.bucket}/${ctx.prefix}`,
    toFetch.length,
    totalBytes,
  );
  await pool(toFetch, ctx.concurrency, async (f) => {
    const body = await get(ctx, f.listed.key);
    await ctx.ensureDir(join(f.path, '..'));
    await ctx.write(f.path, body);
    fetched++;
    fetchedBytes += body.length;
    bar.tick(fetched, fetchedBytes);
  });
  if (toFetch.length > 0) bar.done();

  // Manifests after their parts; then what the cache holds of compacted days that S3 does not.
  for (const [day, { body, etag }] of fresh) {
    const dayDir = join(cacheBase, ...partitionOf(day).split('/').filter(Boolean));
    await ctx.ensureDir(dayDir);
    await ctx.write(join(dayDir, MANIFEST_NAME), body);
    await ctx.write(join(dayDir, ETAG_FILE), etag);
    fetched++;
    fetchedBytes += body.length;
  }
  const cachedDays = new Set(
    (await walkPartitions(cacheBase, ctx.range)).map((rel) => rel.slice(0, rel.lastIndexOf('/'))),
  );
  for (const rel of cachedDays) {
    const manifest = manifests.get(partitionDay(`${rel}/`) ?? '');
    const keep = new Set<string>(
      manifest
        ? [MANIFEST_NAME, ETAG_FILE, ...manifest.parts.map((k) => k.slice(k.lastIndexOf('/') + 1))]
        : [],
    );
    await prune(join(cacheBase, ...rel.split('/')), keep);
  }

  const covered = new Map([...manifests].map(([day, m]) => [day, coverage(m.sources)]));
  return {
    fetched,
    fetchedBytes,
    cached,
    covers: (o) => covered.get(o.day)?.(o) ?? false,
  };
}

/** The compacted days of `range` in an S3 lake: those with a symlink manifest (`compacted/athena-symlinks/…/symlink.txt`). */
export async function compactedDaysInS3(
  client: S3Client,
  bucket: string,
  prefix: string,
  range: DayRange,
): Promise<Set<string>> {
  const root = athenaRoot(prefix);
  const days = new Set<string>();
  for await (const page of listPages(client, { Bucket: bucket, Prefix: root }))
    for (const o of page.Contents ?? []) {
      const key = o.Key ?? '';
      const day = partitionDay(key.slice(root.length));
      if (day === undefined || !key.endsWith(`/${SYMLINK_NAME}`) || (o.Size ?? 0) === 0) continue;
      if (day >= range.from && day <= range.to) days.add(day);
    }
  return days;
}
