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
 * Steps 3 to 6 are `publishDay` (publish.ts), shared with the Athena and Trino engines:
 * 3. Store the parts under new names (readers ignore them: no manifest lists them yet).
 * 4. On S3, store Athena's symlink manifest (the parts' URIs): Athena's switch. Then store the
 *    manifest, atomically: from now on the CLI's readers see the new parts, and only them.
 * 5. Delete the parts no manifest lists any more (the previous run's, a killed run's).
 * 6. Report; then, with `deleteSource`, delete the gzip objects the manifest covers.
 *
 * A process killed anywhere leaves either the old state (before 4) or the new one (after 4),
 * plus at most some unlisted parts that the next run deletes.
 */
import { lstat, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { QueryError } from 'voicelake';
import { formatCount, progress } from '../format.js';
import { compactedDays } from '../lake/compacted.js';
import {
  baseName,
  compactedDayPrefix,
  manifestKey,
  newRunId,
  PART_NAME_RE,
} from '../lake/compacted-layout.js';
import { coverage, type Manifest, parseManifest } from '../lake/manifest.js';
import type { LakeSource } from '../lake/source.js';
import type { LakeStore } from '../lake/store.js';
import { type DayResult, emptyDay } from './day-steps.js';
import { CompactionEngine } from './engine.js';
import { dropRowHook } from './hooks.js';
import { publishDay } from './publish.js';

export type { DayResult };

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

    return await publishDay({
      day,
      prefix,
      run,
      store,
      // 3. The parts, under their names (the run id in each makes them new).
      placeParts: async () => {
        const dayPrefix = compactedDayPrefix(prefix, day);
        const parts: string[] = [];
        let parquetBytes = 0;
        for (const file of files) {
          const key = `${dayPrefix}${baseName(file)}`;
          parquetBytes += (await stat(file)).size;
          await store.putFile(key, file);
          parts.push(key);
        }
        return { parts, parquetBytes };
      },
      previous,
      objects,
      toRead,
      s3: source.kind === 's3',
      rows: check.rows,
      distinctEventIds: check.distinctEventIds,
      inputRows: stats.rows,
      gzipBytes,
      how: 'zstd',
      deleteSource: options.deleteSource,
      log,
      env,
      started,
    });
  } finally {
    engine?.close();
    await rm(staging, { recursive: true, force: true });
  }
}
