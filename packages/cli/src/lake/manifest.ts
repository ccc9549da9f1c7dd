/**
 * The manifest of a compacted day, `<prefix>compacted/year=…/month=…/day=…/_manifest.json`:
 * the one file that makes a day compacted. Readers use exactly the parts it lists; compaction
 * writes it after the parts and before deleting anything, in one atomic step. See
 * docs/compaction.md.
 */
import { QueryError } from 'voicelake';
import { partNameOf, RUN_RE } from './compacted-layout.js';
import { dayMs } from './days.js';

/** A gzip object whose events the parts hold. `etag` for S3; a local file is known by its size. */
export interface ManifestSource {
  readonly key: string;
  readonly size: number;
  readonly etag?: string;
}

export interface Manifest {
  readonly version: 1;
  /** `YYYY-MM-DD`. */
  readonly day: string;
  /** The run that wrote the parts. */
  readonly run: string;
  /** Keys of the Parquet parts, in order. */
  readonly parts: readonly string[];
  /** Every gzip object whose events are in the parts (also those compacted by earlier runs). */
  readonly sources: readonly ManifestSource[];
  /** Rows in the parts. */
  readonly rows: number;
  /** Distinct event_id values in the parts (equals `rows` unless some rows have no event_id). */
  readonly distinctEventIds: number;
  /** ISO-8601 UTC. */
  readonly createdAt: string;
}

const count = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The manifest of `day` in `text`; throws `QueryError` saying what is wrong when it is not one. */
export function parseManifest(text: string, day: string, where: string): Manifest {
  const bad = (why: string): QueryError =>
    new QueryError(
      `the compaction manifest ${where} is not valid (${why}); re-run \`voicelake compact --day ${day}\` or remove it to read the day's gzip objects`,
    );
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw bad('not an object');
  const m = doc as Record<string, unknown>;
  if (m.version !== 1) throw bad(`version ${JSON.stringify(m.version)}, expected 1`);
  if (m.day !== day || dayMs(day) === undefined) throw bad(`day ${JSON.stringify(m.day)}, expected ${day}`);
  if (typeof m.run !== 'string' || !RUN_RE.test(m.run)) throw bad('no valid run id');
  if (!Array.isArray(m.parts) || m.parts.length === 0) throw bad('no parts');
  const run = m.run;
  for (const p of m.parts as unknown[]) {
    if (typeof p !== 'string' || partNameOf(p, day) === undefined)
      throw bad(`part ${JSON.stringify(p)} is not a part of ${day}`);
    if (!p.includes(`part-${run}-`)) throw bad(`part ${p} is not of run ${run}`);
  }
  if (new Set(m.parts).size !== m.parts.length) throw bad('a part is listed twice');
  if (!Array.isArray(m.sources)) throw bad('no sources');
  const sources: ManifestSource[] = [];
  for (const s of m.sources as unknown[]) {
    const e = s as Partial<Record<keyof ManifestSource, unknown>> | null;
    if (typeof e?.key !== 'string' || !count(e.size) || (e.etag !== undefined && typeof e.etag !== 'string'))
      throw bad(`source ${JSON.stringify(s)} is not { key, size, etag? }`);
    sources.push(
      e.etag === undefined ? { key: e.key, size: e.size } : { key: e.key, size: e.size, etag: e.etag },
    );
  }
  if (!count(m.rows) || !count(m.distinctEventIds) || m.distinctEventIds > m.rows)
    throw bad('rows and distinctEventIds must be counts, distinctEventIds <= rows');
  if (typeof m.createdAt !== 'string' || Number.isNaN(Date.parse(m.createdAt))) throw bad('no createdAt');
  return {
    version: 1,
    day,
    run,
    parts: m.parts as string[],
    sources,
    rows: m.rows,
    distinctEventIds: m.distinctEventIds,
    createdAt: m.createdAt,
  };
}

/** The manifest as the bytes to store: one JSON document and a newline. */
export function serializeManifest(m: Manifest): Buffer {
  return Buffer.from(`${JSON.stringify(m, null, 2)}\n`);
}

/** True when the object `o` (as listed now) is the source `s` the manifest recorded. */
export function sameObject(s: ManifestSource, o: { key: string; size: number; etag?: string }): boolean {
  return s.key === o.key && s.size === o.size && (s.etag === undefined || s.etag === o.etag);
}

/** A lookup of a manifest's sources: does it cover the object `o`? */
export function coverage(
  sources: readonly ManifestSource[],
): (o: { key: string; size: number; etag?: string }) => boolean {
  const byKey = new Map(sources.map((s) => [s.key, s]));
  return (o) => {
    const s = byKey.get(o.key);
    return s !== undefined && sameObject(s, o);
  };
}
