/**
 * Compacting one day, the protocol (docs/compaction.md):
 *
 * 1. Inputs: the parts of the day's current manifest (if any) and every gzip object of the day
 *    that manifest does not cover (all of them the first time; late objects afterwards), read
 *    through `source.sync` (the lake itself, or the S3 query cache).
 * 2. Write Parquet (one row per event_id, sorted by call_id, event_time) into a staging
 *    directory, and verify it by reading it back: distinct event_ids of the inputs = rows
 *    written, none missing, zstd, the schema's columns and types. A failure stops here:
 *    nothing was published and nothing is deleted.
 * 3. Store the parts under new names (readers ignore them: no manifest lists them yet).
 * 4. On S3, store Athena's symlink manifest (the parts' URIs): Athena's switch. Then store the
 *    manifest, atomically: from now on the CLI's readers see the new parts, and only them.
 * 5. Delete the parts no manifest lists any more (the previous run's, a killed run's).
 * 6. Report; then, with `deleteSource`, delete the gzip objects the manifest covers.
 *
 * A process killed anywhere leaves either the old state (before 4) or the new one (after 4),
 * plus at most some unlisted parts that the next run deletes.
 *
 * Over 300 lines: one day's compaction protocol, step by step (read, write, verify, publish, delete), kept in order in one file so each crash point reads next to the step it guards.
 */
import { lstat, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { QueryError } from 'voicelake';
import { formatBytes, formatCount, progress } from '../format.js';
import { compactedDays } from '../lake/compacted.js';
import {
  baseName,
  compactedDayPrefix,
  manifestKey,
  newRunId,
  PART_NAME_RE,
  symlinkKey,
} from '../lake/compacted-layout.js';
import {
  coverage,
  type Manifest,
  type ManifestSource,
  parseManifest,
  serializeManifest,
} from '../lake/manifest.js';
import type { LakeObject, LakeSource } from '../lake/source.js';
import { CompactionEngine } from './engine.js';
import { crashPoint, dropRowHook } from './hooks.js';
import type { LakeStore } from './store.js';

type Env = Record<string, string | undefined>;

export interface CompactOptions {
  readonly source: LakeSource;
  readonly store: LakeStore;
  /** Delete the day's gzip objects once the manifest covering them is written. */
  readonly deleteSource: boolean;
  /** Upper bound of rows per Parquet part. */
  readonly partRows: number;
  /** Lines for people (stdout). */
  readonly log: (line: string) => void;
  readonly env?: Env;
}

export interface DayResult {
  readonly day: string;
  /** `empty`: no gzip object and no manifest, nothing to do. */
  readonly status: 'compacted' | 'empty';
  readonly run?: string;
  /** Gzip objects read now (not covered by the previous manifest). */
  readonly objectsRead: number;
  readonly gzipBytes: number;
  /** Parts of the previous run read back in. */
  readonly previousParts: number;
  readonly parts: number;
  readonly parquetBytes: number;
  readonly rows: number;
  readonly duplicates: number;
  readonly deletedSources: number;
  readonly ms: number;
}

/** Step 5: delete the parts of `day` that the new manifest (its `parts`) does not list. */
export async function deleteUnlistedParts(
  store: LakeStore,
  day: string,
  parts: readonly string[],
): Promise<void> {
  const keep = new Set(parts);
  for (const f of await store.listCompacted(day))
    if (PART_NAME_RE.test(baseName(f.key)) && !keep.has(f.key)) await store.delete(f.key);
}

/** Step 6, `--delete-source`: delete the day's listed objects that `manifest` covers; says how many. */
export async function deleteSources(
  store: LakeStore,
  day: string,
  objects: readonly LakeObject[],
  manifest: Manifest,
  log: (line: string) => void,
): Promise<number> {
  const covered = objects.filter(coverage(manifest.sources));
  for (const o of covered) await store.delete(o.key);
  log(`${day}: deleted ${n(covered.length)} source objects (their events are in the Parquet)`);
  return covered.length;
}

/** The result of a day with nothing to compact. */
export const emptyDay = (day: string, ms: number): DayResult => ({
  day,
  status: 'empty',
  objectsRead: 0,
  gzipBytes: 0,
  previousParts: 0,
  parts: 0,
  parquetBytes: 0,
  rows: 0,
  duplicates: 0,
  deletedSources: 0,
  ms,
});

/** Up to this many gzip objects (or bytes) per DuckDB read: the progress bar moves between them. */
const BATCH_OBJECTS = 16;
const BATCH_BYTES = 256 * 1024 * 1024;

function batches<T extends { size: number }>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    if (current.length > 0 && (current.length >= BATCH_OBJECTS || bytes + item.size > BATCH_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += item.size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

const localPath = (dir: string, prefix: string, key: string): string =>
  join(dir, ...key.slice(prefix.length).split('/'));

const n = (v: number): string => formatCount(v);

/** The sources of the new manifest: the previous ones, and the objects read now (replacing a changed one). */
export function mergeSources(
  previous: readonly ManifestSource[],
  read: readonly LakeObject[],
  s3: boolean,
): ManifestSource[] {
  const byKey = new Map(previous.map((s) => [s.key, s]));
  for (const o of read)
    byKey.set(o.key, s3 ? { key: o.key, size: o.size, etag: o.etag } : { key: o.key, size: o.size });
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
}

export async function compactDay(day: string, options: CompactOptions): Promise<DayResult> {
  const started = performance.now();
  const { source, store, log } = options;
  const env = options.env ?? process.env;
  const prefix = source.prefix;
  const range = { from: day, to: day };

  // 1. What there is: the day's gzip objects, and its manifest.
  const objects = await source.list(range);
  const mKey = manifestKey(prefix, day);
  const raw = await store.get(mKey);
  const previous: Manifest | undefined =
    raw === undefined ? undefined : parseManifest(raw.toString('utf8'), day, mKey);
  const covered = coverage(previous?.sources ?? []);
  const toRead = objects.filter((o) => !covered(o));
  if (previous === undefined && toRead.length === 0) {
    log(`${day}: no gzip objects and not compacted: nothing to do`);
    return emptyDay(day, performance.now() - started);
  }

  // The listing above serves the sync too: one ListObjectsV2 per day on S3, not two.
  const synced = await source.sync(range, objects);
  let previousParts: string[] = [];
  if (previous !== undefined) {
    const [seen] = await compactedDays(synced.dir, range);
    if (seen?.manifest.run !== previous.run)
      throw new QueryError(
        `${day} changed while it was being compacted (its manifest is now of another run): is another compaction running? Re-run when it is done`,
      );
    previousParts = [...seen.parts];
  }
  const gzip = toRead.map((o) => ({ ...o, path: localPath(synced.dir, prefix, o.key) }));
  for (const o of gzip)
    if (!(await lstat(o.path).catch(() => undefined))?.isFile())
      throw new QueryError(
        `${o.key} was listed but is not in ${synced.dir}: was it deleted meanwhile? Re-run`,
      );

  const run = newRunId();
  const staging = await store.staging(run);
  let engine: CompactionEngine | undefined;
  try {
    engine = await CompactionEngine.open(synced.dir, staging);
    // 2. Load, write, verify.
    const gzipBytes = toRead.reduce((s, o) => s + o.size, 0);
    const bar = progress(`compacting ${day}`, toRead.length + (previousParts.length > 0 ? 1 : 0), gzipBytes);
    let done = 0;
    let bytes = 0;
    if (previousParts.length > 0) {
      await engine.loadParquet(previousParts);
      bar.tick(++done, bytes);
    }
    for (const batch of batches(gzip)) {
      await engine.loadGzip(batch.map((o) => o.path));
      done += batch.length;
      bytes += batch.reduce((s, o) => s + o.size, 0);
      bar.tick(done, bytes);
    }
    bar.done();
    const stats = await engine.sourceStats();
    if (stats.rows === 0 && previous === undefined) {
      log(`${day}: ${n(toRead.length)} gzip objects hold no events: nothing to do`);
      return emptyDay(day, performance.now() - started);
    }
    const files = await engine.write({ run, partRows: options.partRows, dropRow: dropRowHook(env) });
    const check = await engine.verify(files);
    const expected = stats.distinctEventIds + stats.nullIds;
    const problems: string[] = [];
    if (check.rows !== expected || check.distinctEventIds !== stats.distinctEventIds || check.missing > 0)
      problems.push(
        `the sources hold ${n(stats.distinctEventIds)} distinct event_ids${stats.nullIds ? ` and ${n(stats.nullIds)} rows without one` : ''}, the Parquet written holds ${n(check.rows)} rows with ${n(check.distinctEventIds)} distinct event_ids (${n(check.missing)} missing)`,
      );
    if (check.compression.some((c) => c !== 'ZSTD'))
      problems.push(`compression ${check.compression.join(', ')}`);
    if (check.wrongColumns.length > 0) problems.push(`unexpected columns: ${check.wrongColumns.join(', ')}`);
    if (files.length === 0 || files.some((f) => !PART_NAME_RE.test(baseName(f))))
      problems.push(`unexpected files written: ${files.map(baseName).join(', ') || 'none'}`);
    if (problems.length > 0)
      throw new QueryError(
        `verification failed for ${day}: ${problems.join('; ')}. Nothing was published and nothing was deleted`,
      );
    engine.close();
    engine = undefined;

    // 3. The parts, under new names.
    const dayPrefix = compactedDayPrefix(prefix, day);
    const parts: string[] = [];
    let parquetBytes = 0;
    for (const file of files) {
      const key = `${dayPrefix}${baseName(file)}`;
      const { size } = await stat(file);
      parquetBytes += size;
      await store.putFile(key, file);
      parts.push(key);
    }
    crashPoint('after-parquet', env);

    // 4. Athena's switch (S3): the symlink manifest listing the new parts. Then the CLI's.
    const uris = parts.map((key) => store.uri(key));
    if (uris.every((u) => u !== undefined)) {
      await store.put(symlinkKey(prefix, day), Buffer.from(`${uris.join('\n')}\n`));
      crashPoint('after-symlink', env);
    }
    const manifest: Manifest = {
      version: 1,
      day,
      run,
      parts,
      sources: mergeSources(previous?.sources ?? [], toRead, source.kind === 's3'),
      rows: check.rows,
      distinctEventIds: check.distinctEventIds,
      createdAt: new Date().toISOString(),
    };
    await store.put(mKey, serializeManifest(manifest));
    crashPoint('after-manifest', env);

    // 5. Parts no manifest lists any more.
    await deleteUnlistedParts(store, day, parts);

    // 6. Done (verified above); then the sources.
    const duplicates = stats.rows - check.rows;
    const inputs = [
      `${n(toRead.length)} gzip objects (${formatBytes(gzipBytes)})`,
      ...(previousParts.length > 0 ? [`${n(previousParts.length)} earlier parts`] : []),
    ].join(' + ');
    log(
      `${day}: ${inputs} → ${n(parts.length)} Parquet part${parts.length === 1 ? '' : 's'} (${formatBytes(parquetBytes)}, zstd), ${n(check.rows)} rows, ${n(duplicates)} duplicates removed; verified: ${n(check.distinctEventIds)} distinct event_ids = rows written; run ${run}`,
    );
    const deletedSources = options.deleteSource ? await deleteSources(store, day, objects, manifest, log) : 0;
    return {
      day,
      status: 'compacted',
      run,
      objectsRead: toRead.length,
      gzipBytes,
      previousParts: previousParts.length,
      parts: parts.length,
      parquetBytes,
      rows: check.rows,
      duplicates,
      deletedSources,
      ms: performance.now() - started,
    };
  } finally {
    engine?.close();
    await rm(staging, { recursive: true, force: true });
  }
}
