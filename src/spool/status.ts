/**
 * Read-only inspection of a spool directory, for `voicelake spool status`: what is pending
 * per destination (events, bytes, oldest age). It does not take the lock, so it also works
 * while the owning process runs.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SpoolError } from '../errors.js';
import { readCursors } from './cursors.js';
import { decodeFrames } from './frame.js';

export interface DestinationBacklog {
  readonly destination: string;
  readonly events: number;
  readonly bytes: number;
  /** Age of the oldest pending event (by event time), ms; undefined when nothing is pending. */
  readonly oldestAgeMs: number | undefined;
  /** A batch in flight when the owner last persisted its cursors. */
  readonly inflightEvents: number;
}

export interface SpoolStatus {
  readonly dir: string;
  readonly segments: number;
  readonly diskBytes: number;
  readonly records: number;
  /** Pid in the LOCK file, if any. */
  readonly owner: number | undefined;
  readonly destinations: DestinationBacklog[];
}

export function spoolStatus(dir: string, now: number = Date.now()): SpoolStatus {
  if (!existsSync(dir)) throw new SpoolError(`no spool at ${dir}: the directory does not exist`);
  const segments = readdirSync(dir)
    .filter((f) => /^seg-\d{16}\.log$/.test(f))
    .sort()
    .map((f) => {
      const buf = readFileSync(join(dir, f));
      const { records, offsets } = decodeFrames(buf);
      return { start: Number(f.slice(4, 20)), records, offsets, size: statSync(join(dir, f)).size };
    });
  const cursors = readCursors(dir);
  const first = segments[0]?.start ?? 0;
  const last = segments[segments.length - 1];
  const head = last ? last.start + last.records.length : 0;
  let owner: number | undefined;
  try {
    owner = Number.parseInt(readFileSync(join(dir, 'LOCK'), 'utf8'), 10) || undefined;
  } catch {
    owner = undefined;
  }
  const destinations = Object.entries(cursors).map(([destination, c]): DestinationBacklog => {
    const from = Math.max(c.seq, first);
    let bytes = 0;
    let oldest: number | undefined;
    for (const s of segments) {
      for (let i = Math.max(0, from - s.start); i < s.records.length; i++) {
        const r = s.records[i];
        if (r === undefined) continue;
        bytes += r.bytes;
        oldest = oldest === undefined ? r.timeMs : Math.min(oldest, r.timeMs);
      }
    }
    return {
      destination,
      events: Math.max(0, head - from),
      bytes,
      oldestAgeMs: oldest === undefined ? undefined : now - oldest,
      inflightEvents: c.inflight ? c.inflight.end - c.inflight.start : 0,
    };
  });
  return {
    dir,
    segments: segments.length,
    diskBytes: segments.reduce((n, s) => n + s.size, 0),
    records: head - first,
    owner,
    destinations,
  };
}
