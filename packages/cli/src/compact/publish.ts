/**
 * Steps 3 to 6 of compacting a day, the same for every engine (DuckDB here, Athena or Trino in
 * the lake's account): the verified parts go under their names, then the switches (the symlink
 * manifest Athena and Trino read, on S3; then the CLI's manifest), then the parts no manifest
 * lists any more are deleted, the day is reported, and with `--delete-source` its sources go.
 * A crash between any two steps leaves the old state or the new one (docs/compaction.md).
 */
import { formatBytes, formatCount } from '../format.js';
import { manifestKey, symlinkKey } from '../lake/compacted-layout.js';
import { type Manifest, serializeManifest } from '../lake/manifest.js';
import type { LakeObject } from '../lake/source.js';
import type { LakeStore } from '../lake/store.js';
import { type DayResult, deleteSources, deleteUnlistedParts, mergeSources } from './day-steps.js';
import { crashPoint } from './hooks.js';

const n = (v: number): string => formatCount(v);

export interface PublishDay {
  readonly day: string;
  readonly prefix: string;
  readonly run: string;
  readonly store: LakeStore;
  /** Step 3: store the verified files under their part keys; says which keys and how many bytes. */
  readonly placeParts: () => Promise<{ parts: string[]; parquetBytes: number }>;
  /** The manifest the run started from (it must still be the day's: the caller checked). */
  readonly previous: Manifest | undefined;
  /** Every gzip object of the day listed, and those read now (not covered by `previous`). */
  readonly objects: readonly LakeObject[];
  readonly toRead: readonly LakeObject[];
  /** Whether the sources' ETags are S3's (kept in the manifest, which then covers them by ETag). */
  readonly s3: boolean;
  /** What was verified: rows written, their distinct event_ids, and the rows read. */
  readonly rows: number;
  readonly distinctEventIds: number;
  readonly inputRows: number;
  readonly gzipBytes: number;
  /** The report's note on the Parquet: `zstd`, `written by Athena`. */
  readonly how: string;
  readonly deleteSource: boolean;
  readonly log: (line: string) => void;
  readonly env: Record<string, string | undefined>;
  /** `performance.now()` when the day's compaction began. */
  readonly started: number;
}

/** Publish a verified day: parts, switches, clean-up, report, sources. */
export async function publishDay(p: PublishDay): Promise<DayResult> {
  const { day, store, env } = p;
  // 3. The parts, under their names.
  const { parts, parquetBytes } = await p.placeParts();
  crashPoint('after-parquet', env);
  // 4. The switches: Athena's and Trino's (S3 only: the symlink manifest of the new parts), then the CLI's.
  const uris = parts.map((key) => store.uri(key));
  if (uris.every((u) => u !== undefined)) {
    await store.put(symlinkKey(p.prefix, day), Buffer.from(`${uris.join('\n')}\n`));
    crashPoint('after-symlink', env);
  }
  const manifest: Manifest = {
    version: 1,
    day,
    run: p.run,
    parts,
    sources: mergeSources(p.previous?.sources ?? [], p.toRead, p.s3),
    rows: p.rows,
    distinctEventIds: p.distinctEventIds,
    createdAt: new Date().toISOString(),
  };
  await store.put(manifestKey(p.prefix, day), serializeManifest(manifest));
  crashPoint('after-manifest', env);
  // 5. Parts no manifest lists any more.
  await deleteUnlistedParts(store, day, parts);
  // 6. The report (verified before publishing), then the sources.
  const duplicates = p.inputRows - p.rows;
  const previousParts = p.previous?.parts.length ?? 0;
  const inputs = [
    `${n(p.toRead.length)} gzip objects (${formatBytes(p.gzipBytes)})`,
    ...(previousParts > 0 ? [`${n(previousParts)} earlier parts`] : []),
  ].join(' + ');
  p.log(
    `${day}: ${inputs} → ${n(parts.length)} Parquet part${parts.length === 1 ? '' : 's'} (${formatBytes(parquetBytes)}, ${p.how}), ${n(p.rows)} rows, ${n(duplicates)} duplicates removed; verified: ${n(p.distinctEventIds)} distinct event_ids = rows written; run ${p.run}`,
  );
  const deletedSources = p.deleteSource ? await deleteSources(store, day, p.objects, manifest, p.log) : 0;
  return {
    day,
    status: 'compacted',
    run: p.run,
    objectsRead: p.toRead.length,
    gzipBytes: p.gzipBytes,
    previousParts,
    parts: parts.length,
    parquetBytes,
    rows: p.rows,
    duplicates,
    deletedSources,
    ms: performance.now() - p.started,
  };
}
