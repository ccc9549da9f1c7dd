/**
 * `voicelake compact --engine athena`: the same protocol as compact/day.ts, with Athena doing
 * the reading, deduplicating and writing inside AWS. Nothing but counts and listings comes to
 * the machine that runs the command.
 *
 * Per run of at most 100 days (Athena writes at most 100 partitions per `INSERT INTO`):
 * 1. Inputs, per day: the parts of its current manifest (read by Athena through the symlink
 *    manifest) and the gzip objects the manifest does not cover, listed now. Their URIs go to
 *    `<prefix>compacted/athena-runs/<run>/sources/`, read by a scratch table, so Athena reads exactly
 *    the objects listed, not one that arrives meanwhile.
 * 2. `INSERT INTO` a scratch Parquet (zstd) table under `athena-runs/<run>/out/`, one row per
 *    event_id; then verify per day: distinct event_ids of the inputs = rows written (plus rows
 *    without one), and every file written is Parquet. A failure stops here: nothing published.
 * 3.–6. Per day, as compact/day.ts: the files copied (server-side) to their part keys, the
 *    symlink manifest, the manifest, old parts deleted, the report, then the sources.
 * The scratch tables are dropped and `athena-runs/<run>/` deleted at the end, whatever happened.
 *
 * Over 300 lines: one protocol run by a SQL engine, step by step, with its verification and clean-up in the same order as compact/day.ts.
 */
import { ConfigError, QueryError } from 'voicelake';
import { formatCount, progress } from '../format.js';
import {
  baseName,
  compactedDayPrefix,
  manifestKey,
  newRunId,
  partKey,
  partNameOf,
  runRoot,
  symlinkKey,
} from '../lake/compacted-layout.js';
import { partitionDay } from '../lake/days.js';
import { compactedTables, PROJECTION_YEARS } from '../lake/ddl.js';
import { coverage, type Manifest, parseManifest } from '../lake/manifest.js';
import type { LakeObject } from '../lake/source.js';
import type { LakeStore } from '../lake/store.js';
import {
  type AthenaRun,
  chunks,
  countInputs,
  countOutput,
  createRunTables,
  dropRunTables,
  insertDays,
} from './athena-sql.js';
import { type DayResult, emptyDay } from './day-steps.js';
import { publishDay } from './publish.js';

type Env = Record<string, string | undefined>;
type Row = Record<string, unknown>;

/** What compaction needs of an Athena engine (lake/athena.ts `AthenaEngine`). */
export interface SqlRunner {
  query(sql: string): Promise<{ rows: Row[]; stats: { bytesScanned: number } }>;
}

export interface AthenaCompactOptions {
  readonly bucket: string;
  readonly prefix: string;
  /** Lists the day's gzip objects (the S3 source). */
  readonly list: (day: string) => Promise<LakeObject[]>;
  readonly store: LakeStore;
  readonly athena: SqlRunner;
  /** The Glue database and the gzip table (`athena ddl` created it, and `<table>_compacted`). */
  readonly database: string;
  readonly table: string;
  readonly deleteSource: boolean;
  readonly log: (line: string) => void;
  readonly env?: Env;
  /** Whose DDL the scratch tables are created in: Athena's (Hive) or Trino's. Default `athena`. */
  readonly dialect?: 'athena' | 'trino';
  /** For messages: `Athena` or `Trino`. */
  readonly engineName?: string;
}

interface DayPlan {
  readonly day: string;
  readonly objects: LakeObject[];
  readonly previous: Manifest | undefined;
  readonly toRead: LakeObject[];
}

const n = (v: number): string => formatCount(v);
const PARQUET_MAGIC = 'PAR1';

const dayOfRow = (r: Row): string =>
  `${String(r.year).padStart(4, '0')}-${String(r.month).padStart(2, '0')}-${String(r.day).padStart(2, '0')}`;

/**
 * Athena reads a compacted day's previous parts through its symlink manifest, which must then
 * list exactly the parts of the day's manifest. A lake compacted locally (or before compaction
 * wrote symlink manifests) and copied to S3 has none: Athena would read none of the previous
 * parts, and their rows would be lost when the new manifest replaces them. A run killed after its
 * symlink manifest leaves one listing its own parts. Either way, it is first rewritten from the
 * manifest: the parts the CLI's readers read.
 */
async function alignSymlink(day: string, previous: Manifest, o: AthenaCompactOptions): Promise<void> {
  const key = symlinkKey(o.prefix, day);
  const dir = `s3://${o.bucket}/${compactedDayPrefix(o.prefix, day)}`;
  const want = `${previous.parts.map((k) => `${dir}${partNameOf(k, day)}`).join('\n')}\n`;
  if ((await o.store.get(key))?.toString('utf8') === want) return;
  await o.store.put(key, Buffer.from(want));
  o.log(`${day}: its symlink manifest did not list the parts of its manifest: rewritten from the manifest`);
}

async function plan(day: string, o: AthenaCompactOptions): Promise<DayPlan> {
  const year = Number(day.slice(0, 4));
  if (year < PROJECTION_YEARS.first || year > PROJECTION_YEARS.last)
    throw new ConfigError(
      `${day} is outside the years the Athena tables project (${PROJECTION_YEARS.first}-${PROJECTION_YEARS.last}): Athena cannot see it; compact it with --engine duckdb`,
    );
  const objects = await o.list(day);
  const mKey = manifestKey(o.prefix, day);
  const raw = await o.store.get(mKey);
  const previous = raw === undefined ? undefined : parseManifest(raw.toString('utf8'), day, mKey);
  if (previous !== undefined) await alignSymlink(day, previous, o);
  else if ((await o.store.get(symlinkKey(o.prefix, day))) !== undefined) {
    // A first compaction killed between its two switches: Athena would read that run's parts
    // beside the gzip objects they came from. Without a manifest the gzip objects are complete
    // (sources are only deleted after one), so Athena goes back to reading them.
    await o.store.delete(symlinkKey(o.prefix, day));
    o.log(`${day}: removed a symlink manifest that no manifest backs (a compaction killed midway)`);
  }
  const covered = coverage(previous?.sources ?? []);
  return { day, objects, previous, toRead: objects.filter((x) => !covered(x)) };
}

/** Compact `days` with Athena, at most 100 per run; one result per day, in order. */
export async function compactWithAthena(
  days: readonly string[],
  o: AthenaCompactOptions,
): Promise<{ results: DayResult[]; bytesScanned: number }> {
  const results: DayResult[] = [];
  let bytesScanned = 0;
  for (const chunk of chunks(days)) {
    const started = performance.now();
    const plans: DayPlan[] = [];
    for (const day of chunk) plans.push(await plan(day, o));
    const active = plans.filter((p) => p.previous !== undefined || p.toRead.length > 0);
    for (const p of plans.filter((x) => !active.includes(x))) {
      o.log(`${p.day}: no gzip objects and not compacted: nothing to do`);
      results.push(emptyDay(p.day, 0));
    }
    if (active.length === 0) continue;
    const run = await runChunk(active, o, started);
    bytesScanned += run.bytesScanned;
    results.push(...run.results);
  }
  results.sort((a, b) => (a.day < b.day ? -1 : 1));
  return { results, bytesScanned };
}

async function runChunk(
  plans: readonly DayPlan[],
  o: AthenaCompactOptions,
  started: number,
): Promise<{ results: DayResult[]; bytesScanned: number }> {
  const env = o.env ?? process.env;
  const run = newRunId();
  const r: AthenaRun = { bucket: o.bucket, prefix: o.prefix, run, database: o.database, table: o.table };
  const root = runRoot(o.prefix, run);
  const days = plans.map((p) => p.day);
  let bytesScanned = 0;
  const sql = async (statement: string): Promise<Row[]> => {
    const res = await o.athena.query(statement);
    bytesScanned += res.stats.bytesScanned;
    return res.rows;
  };
  const label = days.length === 1 ? days[0] : `${days[0]}..${days[days.length - 1]}`;
  const bar = progress(`compacting ${label} with ${o.engineName ?? 'Athena'}`, 5);
  const results: DayResult[] = [];
  try {
    // 1. The objects to read, as a table.
    const uris = plans.flatMap((p) => p.toRead.map((x) => `s3://${o.bucket}/${x.key}`));
    await o.store.put(`${root}sources/sources.txt`, Buffer.from(uris.length ? `${uris.join('\n')}\n` : ''));
    for (const statement of createRunTables(r, undefined, o.dialect)) await sql(statement);
    bar.tick(1);
    // 2. Write, then count both sides.
    await sql(insertDays(r, days));
    bar.tick(2);
    const written = new Map((await sql(countOutput(r))).map((row) => [dayOfRow(row), row]));
    bar.tick(3);
    const read = new Map((await sql(countInputs(r, days))).map((row) => [dayOfRow(row), row]));
    bar.tick(4);
    const files = new Map<string, { key: string; size: number }[]>();
    for (const f of await o.store.list(`${root}out/`)) {
      // Athena and Trino write partition values unpadded: `…/year=2026/month=11/day=5/…`.
      const day = partitionDay(f.key);
      if (day === undefined || baseName(f.key).startsWith('.') || baseName(f.key).startsWith('_')) continue;
      files.set(day, [...(files.get(day) ?? []), f]);
    }
    bar.tick(5);
    bar.done();
    const problems: string[] = [];
    for (const p of plans) {
      const input = read.get(p.day);
      const output = written.get(p.day);
      const ids = Number(input?.ids ?? 0);
      const nulls = Number(input?.nulls ?? 0);
      const rows = Number(output?.rows ?? 0);
      if (rows !== ids + nulls || Number(output?.ids ?? 0) !== ids)
        problems.push(
          `${p.day}: the sources hold ${n(ids)} distinct event_ids${nulls ? ` and ${n(nulls)} rows without one` : ''}, Athena wrote ${n(rows)} rows with ${n(Number(output?.ids ?? 0))} distinct event_ids`,
        );
      // What Athena read must be what the manifest and the listing say: else a table at the
      // wrong location, or "$path" not matching the keys, would publish a day with rows missing.
      const parquetRows = Number(input?.parquet_rows ?? 0);
      const parquetIds = Number(input?.parquet_ids ?? 0);
      if (parquetRows !== (p.previous?.rows ?? 0) || parquetIds !== (p.previous?.distinctEventIds ?? 0))
        problems.push(
          `${p.day}: Athena read ${n(parquetRows)} rows (${n(parquetIds)} distinct event_ids) of the day's Parquet, its manifest lists ${n(p.previous?.rows ?? 0)} (${n(p.previous?.distinctEventIds ?? 0)}): is ${o.database}.${compactedTables(o.table).parquet} defined for this bucket and prefix? See \`voicelake athena ddl --check\``,
        );
      const gzipObjects = Number(input?.gzip_objects ?? 0);
      if (gzipObjects !== p.toRead.length)
        problems.push(
          `${p.day}: Athena read rows from ${n(gzipObjects)} of the ${n(p.toRead.length)} gzip objects listed: is ${o.database}.${o.table} defined for this bucket and prefix (\`voicelake athena ddl --check\`), or is an object empty?`,
        );
      for (const f of files.get(p.day) ?? [])
        if ((await o.store.tail(f.key, 4)).toString('latin1') !== PARQUET_MAGIC)
          problems.push(`${p.day}: ${f.key} is not a Parquet file`);
      if (ids + nulls > 0 && (files.get(p.day) ?? []).length === 0)
        problems.push(`${p.day}: Athena wrote no file`);
    }
    if (problems.length > 0)
      throw new QueryError(
        `verification failed: ${problems.join('; ')}. Nothing was published and nothing was deleted`,
      );
    // 3.–6. Publish day by day.
    for (const p of plans) {
      const input = read.get(p.day);
      const rows = Number(written.get(p.day)?.rows ?? 0);
      const gzipBytes = p.toRead.reduce((s, x) => s + x.size, 0);
      // Verified above: every listed gzip object gave rows, so a day here has rows to publish.
      results.push(
        await publish(p, files.get(p.day) ?? [], { run, rows, input, gzipBytes, started }, o, env),
      );
    }
    return { results, bytesScanned };
  } finally {
    const cleanup: string[] = [];
    for (const statement of dropRunTables(r))
      await sql(statement).catch((error: unknown) => cleanup.push((error as Error).message));
    for (const f of await o.store.list(root).catch(() => []))
      await o.store.delete(f.key).catch((error: unknown) => cleanup.push((error as Error).message));
    if (cleanup.length > 0)
      o.log(
        `warning: run ${run} left scratch state behind (${cleanup.join('; ')}); drop the tables ${dropRunTables(
          r,
        )
          .map((s) => s.replace('DROP TABLE IF EXISTS ', ''))
          .join(' and ')} and delete s3://${o.bucket}/${root}`,
      );
  }
}

async function publish(
  p: DayPlan,
  files: readonly { key: string; size: number }[],
  w: { run: string; rows: number; input: Row | undefined; gzipBytes: number; started: number },
  o: AthenaCompactOptions,
  env: Env,
): Promise<DayResult> {
  const { day } = p;
  const mKey = manifestKey(o.prefix, day);
  // The day must not have changed under us (another compaction).
  const now = await o.store.get(mKey);
  const current = now === undefined ? undefined : parseManifest(now.toString('utf8'), day, mKey);
  if (current?.run !== p.previous?.run)
    throw new QueryError(
      `${day} changed while it was being compacted (its manifest is now of another run): is another compaction running? Re-run when it is done`,
    );
  return publishDay({
    day,
    prefix: o.prefix,
    run: w.run,
    store: o.store,
    // 3. The parts, under their names: copies of the files the engine wrote, inside S3.
    placeParts: async () => {
      const parts: string[] = [];
      let parquetBytes = 0;
      for (const [i, f] of files.entries()) {
        const key = partKey(o.prefix, day, w.run, i);
        await o.store.copy(f.key, key);
        parts.push(key);
        parquetBytes += f.size;
      }
      return { parts, parquetBytes };
    },
    previous: p.previous,
    objects: p.objects,
    toRead: p.toRead,
    s3: true,
    rows: w.rows,
    distinctEventIds: Number(w.input?.ids ?? 0),
    inputRows: Number(w.input?.rows ?? 0),
    gzipBytes: w.gzipBytes,
    how: `written by ${o.engineName ?? 'Athena'}`,
    deleteSource: o.deleteSource,
    log: o.log,
    env,
    started: w.started,
  });
}
