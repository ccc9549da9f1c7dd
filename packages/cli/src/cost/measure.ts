/**
 * What `voicelake cost` measures in the lake: bytes, events and objects per call (`list()`
 * sizes and a DuckDB count), NDJSON bytes per event (a decompressed sample), and the Parquet
 * column sizes of compacted days (`parquet_metadata()`). An empty lake is measured from a
 * simulated demo lake instead. The model that prices the measure is cost/estimate.ts.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createAnalytics, defaultLogger, QueryError } from 'voicelake';
import { generateCalls } from 'voicelake/demo';
import { envValue } from '../env.js';
import { compactedDays } from '../lake/compacted.js';
import { sqlString } from '../lake/dialect.js';
import { openLake } from '../lake/duckdb.js';
import { LocalSource } from '../lake/local-source.js';
import type { Manifest } from '../lake/manifest.js';
import { readNoFollow } from '../lake/partitions.js';
import type { DayRange, LakeSource } from '../lake/source.js';
import { syncAndReport } from '../lake/source-options.js';
import { TRANSITION_MIN_BYTES } from './prices.js';

/** Compressed bytes decompressed at most to measure NDJSON bytes per event. */
const SAMPLE_BYTES = 64 * 1024 * 1024;

/** The calls of a simulated demo lake. */
export interface DemoOptions {
  readonly calls: number;
  readonly seed: number;
  readonly days: number;
}

/** The Parquet files of the compacted days, from their metadata. */
export interface ParquetMeasure {
  readonly days: number;
  readonly files: number;
  /** Size of the files. */
  readonly bytes: number;
  readonly rows: number;
  readonly rowGroups: number;
  /** Compressed bytes of each column's chunks, summed over every row group of every file. */
  readonly columnBytes: Readonly<Record<string, number>>;
}

/** What was measured in the lake (or the demo's lake). */
export interface LakeMeasure {
  /** `lake`: the lake the options name; `demo`: it was empty, so a simulated demo lake. */
  readonly origin: 'lake' | 'demo';
  /** Days with raw objects. */
  readonly days: number;
  readonly calls: number;
  readonly events: number;
  /** Raw (gzip NDJSON) objects. */
  readonly objects: number;
  /** Their bytes, as stored. */
  readonly storedBytes: number;
  /** NDJSON bytes per event (the line, without its newline), from decompressing a sample. */
  readonly rawBytesPerEvent: number;
  /** Objects decompressed for `rawBytesPerEvent`. */
  readonly sampledObjects: number;
  /** Raw objects large enough for S3 to transition them (at least `TRANSITION_MIN_BYTES`). */
  readonly transitionEligible: { readonly objects: number; readonly bytes: number };
  readonly parquet?: ParquetMeasure | undefined;
  /** What the measurement had to leave out or estimate, one line each. */
  readonly notes?: readonly string[] | undefined;
}

/** A compacted day: its manifest, and its Parquet parts as local files (or sparse copies of their footers). */
interface CompactedParts {
  readonly day: string;
  readonly manifest: Manifest;
  readonly files: readonly { readonly path: string; readonly size: number }[];
}

const DAY_SQL =
  "printf('%04d-%02d-%02d', CAST(year AS INTEGER), CAST(month AS INTEGER), CAST(day AS INTEGER))";
const dayList = (days: readonly string[]): string => days.map((d) => `'${d}'`).join(', ');

/**
 * The measure of the lake's days in `range`, or undefined when it holds no raw object there
 * (nor a compacted day whose raw objects were deleted). Only days DuckDB reads events from
 * count, so bytes and calls always come from the same days.
 */
export async function measureLake(
  source: LakeSource,
  range: DayRange | undefined,
): Promise<LakeMeasure | undefined> {
  if (source.location.kind === 'local' && !existsSync(source.location.dir)) return undefined;
  const listed = await source.list(range);
  const synced = await syncAndReport(source, range);
  // Compacted days (an S3 sync fetches their manifests and parts into the cache).
  const compacted: CompactedParts[] = [];
  for (const c of await compactedDays(synced.dir, range)) {
    const files = [];
    for (const path of c.parts) files.push({ path, size: (await stat(path)).size });
    compacted.push({ day: c.day, manifest: c.manifest, files });
  }

  // Raw objects: those listed, and those of compacted days that compaction deleted (from the manifest).
  const raw = new Map<string, { day: string; size: number; listed: boolean }>();
  for (const o of listed) raw.set(o.key, { day: o.day, size: o.size, listed: true });
  for (const c of compacted)
    for (const src of c.manifest.sources)
      if (!raw.has(src.key)) raw.set(src.key, { day: c.day, size: src.size, listed: false });
  if (raw.size === 0) return undefined;

  const lake = await openLake(synced.dir, { range });
  try {
    const perDay = await lake.query(`SELECT ${DAY_SQL} AS d, count(*) AS events FROM events GROUP BY 1`);
    const readable = new Set(perDay.filter((r) => Number(r.events) > 0).map((r) => String(r.d)));
    const rawDays = [...new Set([...raw.values()].map((r) => r.day))].sort();
    const days = rawDays.filter((d) => readable.has(d));
    const notes: string[] = [];
    const skipped = rawDays.filter((d) => !readable.has(d));
    if (skipped.length > 0)
      notes.push(
        `${skipped.length} day${skipped.length === 1 ? '' : 's'} left out (${skipped.slice(0, 3).join(', ')}${skipped.length > 3 ? ', …' : ''}): objects but no events DuckDB can read (deleted gzip objects and compacted parts not in the cache)`,
      );
    if (days.length === 0)
      throw new QueryError(
        `${source.description} has objects, but DuckDB read no event from any of their days`,
      );
    const [counts] = await lake.query(
      `SELECT count(*) AS events, count(DISTINCT call_id) AS calls FROM events WHERE ${DAY_SQL} IN (${dayList(days)})`,
    );
    const calls = Number(counts?.calls ?? 0);
    const events = Number(counts?.events ?? 0);
    if (calls === 0) throw new QueryError(`${source.description} has events but no call_id`);
    const inDays = new Set(days);
    const objects = [...raw.entries()].filter(([, r]) => inDays.has(r.day));
    const storedBytes = objects.reduce((sum, [, r]) => sum + r.size, 0);

    // NDJSON bytes per event, from up to SAMPLE_BYTES of the objects at hand, spread over the lake
    // (an S3 cache leaves out the gzip objects of compacted days).
    const pathOf = (key: string) => join(synced.dir, key.slice(source.prefix.length));
    const available = objects.filter(([key, r]) => r.listed && existsSync(pathOf(key)));
    const step = Math.max(1, Math.ceil(available.reduce((sum, [, r]) => sum + r.size, 0) / SAMPLE_BYTES));
    let lineBytes = 0;
    let lines = 0;
    let sampled = 0;
    for (let i = 0; i < available.length; i += step) {
      const [key] = available[i] as (typeof available)[number];
      const body = gunzipSync(await readNoFollow(pathOf(key)));
      let newlines = 0;
      for (let j = body.indexOf(10); j >= 0; j = body.indexOf(10, j + 1)) newlines++;
      lineBytes += body.length - newlines;
      lines += newlines + (body.length > 0 && body[body.length - 1] !== 10 ? 1 : 0);
      sampled++;
    }
    let rawBytesPerEvent = lines > 0 ? lineBytes / lines : 0;
    if (lines === 0) {
      // Every gzip object of these days was deleted by compaction: serialize rows as the lake writes them (nulls left out).
      const [row] = await lake.query(
        `SELECT avg(octet_length(regexp_replace(CAST(to_json(e) AS VARCHAR), '"[A-Za-z0-9_]+":null,?', '', 'g'))) AS bytes
           FROM (SELECT * EXCLUDE (year, month, day) FROM events WHERE ${DAY_SQL} IN (${dayList(days)}) LIMIT 100000) AS e`,
      );
      rawBytesPerEvent = Number(row?.bytes ?? 0);
      notes.push(
        'NDJSON bytes per event re-serialized from Parquet rows: every gzip object of these days was deleted',
      );
    }
    const eligible = objects.filter(([, r]) => r.size >= TRANSITION_MIN_BYTES);
    const parquetFiles = compacted
      .filter((c) => inDays.has(c.day))
      .flatMap((c) => c.files.map((f) => ({ ...f, day: c.day })));
    return {
      origin: 'lake',
      days: days.length,
      calls,
      events,
      objects: objects.length,
      storedBytes,
      rawBytesPerEvent,
      sampledObjects: sampled,
      transitionEligible: {
        objects: eligible.length,
        bytes: eligible.reduce((sum, [, r]) => sum + r.size, 0),
      },
      parquet: await measureParquet(lake, parquetFiles),
      notes,
    };
  } finally {
    lake.close();
  }
}

interface ParquetFile {
  readonly path: string;
  readonly size: number;
  readonly day: string;
}

/** The Parquet parts of the compacted days, measured by DuckDB's `parquet_metadata()`. */
async function measureParquet(
  lake: Awaited<ReturnType<typeof openLake>>,
  files: readonly ParquetFile[],
): Promise<ParquetMeasure | undefined> {
  if (files.length === 0) return undefined;
  const list = `[${files.map((f) => sqlString(f.path)).join(', ')}]`;
  const columns = await lake.query(
    `SELECT path_in_schema AS col, sum(total_compressed_size) AS bytes FROM parquet_metadata(${list}) GROUP BY 1`,
  );
  const [shape] = await lake.query(
    `SELECT count(DISTINCT (file_name, row_group_id)) AS row_groups,
            sum(row_group_num_rows) FILTER (WHERE column_id = 0) AS rows
     FROM parquet_metadata(${list})`,
  );
  return {
    days: new Set(files.map((f) => f.day)).size,
    files: files.length,
    bytes: files.reduce((sum, f) => sum + f.size, 0),
    rows: Number(shape?.rows ?? 0),
    rowGroups: Number(shape?.row_groups ?? 0),
    columnBytes: Object.fromEntries(columns.map((r) => [String(r.col), Number(r.bytes)])),
  };
}

/** The measure of a simulated demo lake of `demo` (`voicelake demo`'s defaults), for an empty lake. */
export async function measureDemo(demo: DemoOptions): Promise<LakeMeasure> {
  const dir = await mkdtemp(join(tmpdir(), 'voicelake-cost-demo-'));
  try {
    // Its own lake and spool, and no environment: nothing of the user's configuration is touched.
    const analytics = createAnalytics({
      s3: false,
      cloudWatch: false,
      local: { dir: join(dir, 'lake') },
      spool: { dir: join(dir, 'spool') },
      logger: defaultLogger(envValue('ANALYTICS_LOG_LEVEL') ?? 'warn'),
      env: {},
    });
    generateCalls(analytics, demo);
    const closed = await analytics.close({ timeoutMs: 60_000 });
    if (closed.undelivered.local !== 0)
      throw new QueryError(`the demo lake did not receive every event: ${JSON.stringify(closed)}`);
    const source = new LocalSource({ dir: join(dir, 'lake') });
    const measure = await measureLake(source, undefined);
    if (measure === undefined) throw new QueryError('the simulated demo lake is empty');
    return { ...measure, origin: 'demo' };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
