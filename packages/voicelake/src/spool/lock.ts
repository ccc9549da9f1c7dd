/**
 * One process per spool directory. `LOCK` names its owner: pid, host, boot id, the process's
 * start time and a random token. It is created atomically with `link()`. A lock whose owner
 * is gone (dead pid, a pid reused by another process, or a previous boot) is taken over
 * under a second, short-lived lock (`LOCK.takeover`), and the stale owner is re-checked
 * inside it, so two processes racing for one dead owner's spool never both win.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { SpoolError } from '../errors.js';
import { readPrivate, writeNewSync } from '../private-fs.js';

/** The lock file of a spool directory: who owns it (pid, host, boot id, start time). */
export const LOCK_FILE = 'LOCK';

export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly bootId: string;
  /** Process start time in clock ticks since boot (`/proc/<pid>/stat` field 22), '' if unknown. */
  readonly startTime: string;
  readonly token: string;
}

const ownerSchema = z.object({
  pid: z.number().int().positive(),
  host: z.string(),
  bootId: z.string(),
  startTime: z.string(),
  token: z.string(),
});

export interface SpoolLock {
  readonly owner: LockOwner;
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

function me(): LockOwner {
  return {
    pid: process.pid,
    host: hostname(),
    bootId: BOOT_ID,
    startTime: startTimeOf(process.pid),
    token: randomBytes(8).toString('hex'),
  };
}

/** The owner recorded in `<dir>/LOCK`, or undefined when there is none (or it is unreadable). */
export function readLockOwner(dir: string, file = LOCK_FILE): LockOwner | undefined {
  try {
    const buf = readPrivate(join(dir, file));
    if (buf === undefined) return undefined;
    const parsed = ownerSchema.safeParse(JSON.parse(buf.toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the recorded owner may still be running. Unknown cases count as alive: never steal. */
export function ownerAlive(owner: LockOwner | undefined): boolean {
  if (owner === undefined) return false; // unreadable or garbage: no one can prove ownership
  if (owner.host !== hostname()) return true; // another host (or container) sharing the directory
  if (owner.bootId !== '' && BOOT_ID !== '' && owner.bootId !== BOOT_ID) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const now = startTimeOf(owner.pid);
  // The pid is in use; it is the owner only if it started when the owner did.
  return owner.startTime === '' || now === '' || now === owner.startTime;
}

/** Directories locked by this process: a second `Analytics` on the same spool is refused too. */
const held = new Set<string>();

const ignore = (fn: () => void): void => {
  try {
    fn();
  } catch {
    // Already gone.
  }
};

const sleepSync = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

const busy = (dir: string, owner: LockOwner): SpoolError =>
  new SpoolError(
    `spool directory ${dir} is in use by process ${owner.pid} on ${owner.host}; give each process its own ANALYTICS_SPOOL_DIR`,
  );

/** Take the directory's lock, or throw a `SpoolError` naming the live owner. */
export function acquireLock(dir: string): SpoolLock {
  if (held.has(dir)) {
    throw new SpoolError(
      `spool directory ${dir} is already in use by this process; give each Analytics its own spool`,
    );
  }
  const path = join(dir, LOCK_FILE);
  const owner = me();
  const tmp = join(dir, `LOCK.${owner.token}.tmp`);
  try {
    writeNewSync(tmp, JSON.stringify(owner));
  } catch (error) {
    throw new SpoolError(`cannot write the lock of spool directory ${dir}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const won = (): SpoolLock => {
    held.add(dir);
    return {
      owner,
      release: () => {
        held.delete(dir);
        // Remove the lock only if it is still ours.
        if (readLockOwner(dir)?.token === owner.token) ignore(() => unlinkSync(path));
      },
    };
  };
  try {
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        linkSync(tmp, path);
        return won();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const current = readLockOwner(dir);
      if (ownerAlive(current)) throw busy(dir, current as LockOwner);
      if (takeOver(dir, tmp, current)) return won();
      sleepSync(2 + Math.floor(Math.random() * 8));
    }
    throw new SpoolError(`could not take the lock of spool directory ${dir}: too much contention`);
  } catch (error) {
    if (error instanceof SpoolError) throw error;
    throw new SpoolError(`cannot lock spool directory ${dir}: ${(error as Error).message}`, { cause: error });
  } finally {
    ignore(() => unlinkSync(tmp));
  }
}

/**
 * Replace a dead owner's LOCK with ours, under `LOCK.takeover`. Returns false when another
 * process holds the takeover lock or got there first (the caller looks again).
 */
function takeOver(dir: string, tmp: string, stale: LockOwner | undefined): boolean {
  const mutex = join(dir, 'LOCK.takeover');
  try {
    linkSync(tmp, mutex);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // A taker that died mid-takeover leaves the mutex behind: clear it if its owner is gone.
    const holder = readLockOwner(dir, 'LOCK.takeover');
    if (!ownerAlive(holder)) {
      const aside = join(dir, `LOCK.takeover.${randomBytes(6).toString('hex')}.stale`);
      ignore(() => renameSync(mutex, aside));
      ignore(() => unlinkSync(aside));
    }
    return false;
  }
  try {
    // Inside the mutex: the LOCK must still be the dead owner's we saw (or gone).
    const now = readLockOwner(dir);
    if (now !== undefined && now.token !== stale?.token) return false;
    if (now === undefined && stale !== undefined) {
      try {
        linkSync(tmp, join(dir, LOCK_FILE));
        return true;
      } catch {
        return false;
      }
    }
    renameSync(tmp, join(dir, LOCK_FILE));
    return true;
  } finally {
    ignore(() => unlinkSync(mutex));
  }
}
