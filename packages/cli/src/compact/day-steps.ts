/**
 * What every compaction engine shares around publishing a day: its result, the sources its
 * manifest covers, and the deletions of steps 5 and 6 (publish.ts).
 */
import { formatCount } from '../format.js';
import { baseName, PART_NAME_RE } from '../lake/compacted-layout.js';
import { coverage, type Manifest, type ManifestSource } from '../lake/manifest.js';
import type { LakeObject } from '../lake/source.js';
import type { LakeStore } from '../lake/store.js';

const n = (v: number): string => formatCount(v);

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
