/**
 * Read-only inspection of a spool directory, for `voicelake spool status`: what is pending
 * per destination (events, bytes, oldest age). It does not take the lock, so it also works
 * while the owning process runs. Nothing is followed through a symlink.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SpoolError } from '../errors.js';
import { OWN_DIR_RE } from '../paths.js';
import { readPrivate } from '../private-fs.js';
import { loadCursors, unprovenBacklog } from './cursor-store.js';
import { decodeFrames } from './frame.js';
import { type LockRecord, ownerAlive, readLockOwner } from './lock.js';
import { pendingName, pendingStarts, segmentName, segmentStarts } from './segment-files.js';

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
  /** The lock's owner, when its lock file was last refreshed (`refreshedMs`), and whether it may still run. */
  readonly owner: (LockRecord & { readonly alive: boolean }) | undefined;
  /** Why the lock could not be read (EACCES, EMFILE…): its owner is then unknown, maybe alive. */
  readonly lockError?: string;
  /** The destinations this spool feeds, as recorded in it. */
  readonly identity: string | undefined;
  /** Why cursors.json could not be read, if it could not. */
  readonly corruptCursors: string | undefined;
  /**
   * Why no process delivers this spool's events, when its cursors.json names no destinations
   * (missing, unreadable, or without an identity): they are never delivered, anywhere.
   */
  readonly undeliverable: string | undefined;
  readonly destinations: DestinationBacklog[];
}

/** What the spool at `dir` holds. Throws `SpoolError` when there is no spool there. */
export function spoolStatus(dir: string, now: number = Date.now()): SpoolStatus {
  if (!existsSync(dir)) throw new SpoolError(`no spool at ${dir}: the directory does not exist`);
  const segments = segmentStarts(dir).map((start) => {
    const buf = readPrivate(join(dir, segmentName(start))) ?? Buffer.alloc(0);
    return { start, records: decodeFrames(buf).records, size: buf.length };
  });
  // Pending segments (written while a process recovered the spool) follow, as recovery places them.
  for (const provisional of pendingStarts(dir)) {
    const buf = readPrivate(join(dir, pendingName(provisional))) ?? Buffer.alloc(0);
    const prior = segments[segments.length - 1];
    const start = prior ? prior.start + prior.records.length : 0;
    segments.push({ start, records: decodeFrames(buf).records, size: buf.length });
  }
  const loaded = loadCursors(dir);
  const first = segments[0]?.start ?? 0;
  const last = segments[segments.length - 1];
  const head = last ? last.start + last.records.length : 0;
  let owner: LockRecord | undefined;
  let lockError: string | undefined;
  try {
    owner = readLockOwner(dir);
  } catch (error) {
    lockError = (error as Error).message;
  }
  const destinations = Object.entries(loaded.cursors).map(([destination, c]): DestinationBacklog => {
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
    owner: owner ? { ...owner, alive: ownerAlive(owner, now) } : undefined,
    ...(lockError ? { lockError } : {}),
    identity: loaded.identity,
    corruptCursors: loaded.corrupt,
    undeliverable: unprovenBacklog(dir, loaded),
    destinations,
  };
}

/**
 * Every spool at `dir`: the spool itself, or, for a default spool root, the spool of each
 * process under it (live, or left by a process that stopped before delivering everything).
 */
export function spoolStatuses(dir: string, now: number = Date.now()): SpoolStatus[] {
  if (!existsSync(dir)) throw new SpoolError(`no spool at ${dir}: the directory does not exist`);
  const children = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && OWN_DIR_RE.test(e.name))
    .map((e) => join(dir, e.name))
    .sort();
  if (children.length === 0) return [spoolStatus(dir, now)];
  return children.map((child) => spoolStatus(child, now));
}
