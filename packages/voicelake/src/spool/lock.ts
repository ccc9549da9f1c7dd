/**
 * One process per spool directory. `LOCK` names its owner: pid, host, boot id, the process's
 * start time, a random token and how often the owner refreshes the file's mtime (its
 * heartbeat). It is created atomically with `link()`. A lock whose owner is gone is taken over
 * under a second, short-lived lock (`LOCK.takeover`), and the stale owner is re-checked inside
 * it, so two processes racing for one dead owner's spool never both win.
 *
 * Gone means: on this host, a dead pid, a pid reused by another process (or a lock that names no
 * start time, where start times can be read), or a previous boot;
 * on another host (another container sharing the volume: pids mean nothing across hosts), a
 * heartbeat older than {@link LOCK_STALE_MS}. A lock from another host without a heartbeat
 * (written by an older voicelake) is never taken over: its owner may still be running.
 */
import { randomBytes } from 'node:crypto';
import { lutimesSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { SpoolError } from '../errors.js';
import { readPrivate, readPrivateStat } from '../private-fs.js';

/** The lock file of a spool directory: who owns it (pid, host, boot id, start time). */
export const LOCK_FILE = 'LOCK';

/** How often a lock's owner refreshes the lock file's mtime. */
export const HEARTBEAT_MS = 60_000;
/**
 * A lock from another host whose mtime is older than this (and than 10 of its owner's
 * heartbeats) has no live owner. Generous, so that clocks a few minutes apart never make a
 * live owner look dead: a dead container's backlog is delivered late. (An owner frozen for
 * longer finds its lock taken at its next heartbeat and leaves the directory: see `Spool`.)
 */
export const LOCK_STALE_MS = 15 * 60_000;

export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly bootId: string;
  /** Process start time in clock ticks since boot (`/proc/<pid>/stat` field 22), '' if unknown. */
  readonly startTime: string;
  readonly token: string;
  /** The owner's heartbeat interval, ms; absent in locks written before heartbeats existed. */
  readonly heartbeatMs?: number | undefined;
}

/** A lock as read from disk: its owner, and when the file was last refreshed (its mtime). */
export type LockRecord = LockOwner & { readonly refreshedMs: number };

const ownerSchema = z.object({
  pid: z.number().int().positive(),
  host: z.string(),
  bootId: z.string(),
  startTime: z.string(),
  token: z.string(),
  heartbeatMs: z.number().int().positive().optional(),
});

/**
 * What a heartbeat found: the lock is still `ours` (and refreshed); `lost` (gone, replaced,
 * unreadable as a lock: another process may be using the directory now); or `unknown` (an I/O
 * error: try again at the next beat).
 */
export type RefreshResult = 'ours' | 'lost' | 'unknown';

export interface SpoolLock {
  readonly owner: LockOwner;
  /** Refresh the lock's mtime (the heartbeat), if it is still ours. */
  refresh(): RefreshResult;
  release(): void;
}

const readOr = (path: string, fallback: string): string => {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return fallback;
  }
};

const BOOT_ID = readOr('/proc/sys/kernel/random/boot_id', '');

/** Start time of `pid` from /proc, or '' where there is no /proc. */
function startTimeOf(pid: number): string {
  const stat = readOr(`/proc/${pid}/stat`, '');
  // The command name (field 2) may hold spaces and parentheses: fields restart after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return rest[19] ?? '';
}

/** This process's start time: '' where start times cannot be read (no /proc). */
const OWN_START = startTimeOf(process.pid);

/** A new owner record for this process (a fresh token). */
export function newOwner(heartbeatMs: number): LockOwner {
  return {
    pid: process.pid,
    host: hostname(),
    bootId: BOOT_ID,
    startTime: OWN_START,
    token: randomBytes(8).toString('hex'),
    heartbeatMs,
  };
}

/** The owner a lock file's bytes name, or undefined if they are not a lock. */
function parseOwner(buf: Buffer): LockOwner | undefined {
  try {
    const parsed = ownerSchema.safeParse(JSON.parse(buf.toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The lock recorded in `<dir>/LOCK`, or undefined when there is none or it is garbage (not a
 * lock, a symlink, not a file). Throws `SpoolError` when it cannot be read (EACCES, EMFILE…).
 */
export function readLockOwner(dir: string, file = LOCK_FILE): LockRecord | undefined {
  const path = join(dir, file);
  let read: ReturnType<typeof readPrivateStat>;
  try {
    read = readPrivateStat(path);
  } catch (error) {
    // A symlink or something other than a file where the lock belongs is garbage: no one owns it.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined || code === 'ELOOP') return undefined;
    // Any other error (EACCES, EMFILE, EIO…) says nothing about the owner, who may be alive:
    // never take a lock over on it.
    throw new SpoolError(`cannot read the lock ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (read === undefined) return undefined;
  // The heartbeat is the mtime of the file read, not of whatever is at the path afterwards.
  const owner = parseOwner(read.data);
  return owner === undefined ? undefined : { ...owner, refreshedMs: read.stat.mtimeMs };
}

/** The heartbeat of the lock at `path` held by `owner` (see {@link RefreshResult}). */
export function refreshLock(path: string, owner: LockOwner): RefreshResult {
  let buf: Buffer | undefined;
  try {
    buf = readPrivate(path);
  } catch (error) {
    // A symlink or a directory where the LOCK was: not ours any more. Other errors may pass.
    const code = (error as NodeJS.ErrnoException).code;
    return code === undefined || code === 'ELOOP' ? 'lost' : 'unknown';
  }
  if (buf === undefined || parseOwner(buf)?.token !== owner.token) return 'lost';
  try {
    const now = new Date();
    // lutimes: the LOCK is never followed if someone replaced it with a symlink meanwhile.
    lutimesSync(path, now, now);
    return 'ours';
  } catch {
    return 'unknown';
  }
}

/** Whether the recorded owner may still be running. Unknown cases count as alive: never steal. */
export function ownerAlive(owner: LockRecord | undefined, now: number = Date.now()): boolean {
  if (owner === undefined) return false; // unreadable or garbage: no one can prove ownership
  if (owner.host !== hostname()) {
    // Another host (or container) sharing the directory: only its heartbeat can tell.
    if (owner.heartbeatMs === undefined) return true;
    return now - owner.refreshedMs < Math.max(LOCK_STALE_MS, 10 * owner.heartbeatMs);
  }
  if (owner.bootId !== '' && BOOT_ID !== '' && owner.bootId !== BOOT_ID) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  // Without /proc there are no start times: a pid in use is all there is to go by.
  if (OWN_START === '') return true;
  // The pid is in use; it is the owner only if it started when the owner did. A lock that names
  // no start time (forged, or damaged) cannot show it is that process's: not alive.
  const started = startTimeOf(owner.pid);
  return owner.startTime !== '' && started === owner.startTime;
}
