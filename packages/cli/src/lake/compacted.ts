/**
 * What readers see of compaction: the compacted days of a local lake directory (the lake
 * itself, or the S3 query cache after `sync`) and the Parquet parts of each, exactly as its
 * manifest lists them. A day with a manifest is read from those parts only; a day without one
 * from its gzip objects only. Parts a manifest does not list (a run killed before its manifest,
 * or an old run's parts not yet deleted) are never read.
 */
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { QueryError } from 'voicelake';
import { COMPACTED_DIR, MANIFEST_NAME, partNameOf } from './compacted-layout.js';
import { partitionDay } from './days.js';
import { type Manifest, parseManifest } from './manifest.js';
import { readNoFollow, walkPartitions } from './partitions.js';
import type { DayRange } from './source.js';

export interface CompactedDay {
  /** `YYYY-MM-DD`. */
  readonly day: string;
  readonly manifest: Manifest;
  /** Absolute paths of the parts, in the manifest's order. */
  readonly parts: readonly string[];
}

/**
 * The compacted days of the lake under `dir` (a directory in the lake layout) whose day is in
 * `range`, in day order. Throws `QueryError` when a manifest is not valid or a part it lists is
 * missing: answering from half a day would be wrong without saying so.
 */
export async function compactedDays(dir: string, range?: DayRange): Promise<CompactedDay[]> {
  const root = join(dir, COMPACTED_DIR);
  const out: CompactedDay[] = [];
  for (const rel of await walkPartitions(root, range, (name) => name === MANIFEST_NAME)) {
    const day = partitionDay(rel);
    if (day === undefined) continue;
    const dayDir = join(root, rel.slice(0, rel.lastIndexOf('/')));
    const where = join(root, rel);
    const manifest = parseManifest((await readNoFollow(where)).toString('utf8'), day, where);
    const parts: string[] = [];
    for (const key of manifest.parts) {
      const path = join(dayDir, partNameOf(key, day) as string);
      const st = await lstat(path).catch(() => undefined);
      if (!st?.isFile())
        throw new QueryError(
          `day ${day} is compacted but its part ${path} is missing; re-run the query (an S3 cache fetches it again) or \`voicelake compact --day ${day}\``,
        );
      parts.push(path);
    }
    out.push({ day, manifest, parts });
  }
  return out;
}
