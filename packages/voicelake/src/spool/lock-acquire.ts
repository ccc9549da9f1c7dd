/**
 * Taking a spool directory's lock (see lock.ts for what a lock is and when its owner is gone):
 * `link()` of an exclusive temp file; a dead owner's lock taken over under `LOCK.takeover`.
 * Contention (another process taking the same dead lock over at that moment) is retried after
 * a 2-10 ms timer, never a synchronous sleep.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, lstatSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { SpoolError } from '../errors.js';
import { writeNewSync } from '../private-fs.js';
import {
  HEARTBEAT_MS,
  LOCK_FILE,
  type LockOwner,
  type LockRecord,
  newOwner,
  ownerAlive,
  readLockOwner,
  refreshLock,
  type SpoolLock,
} from './lock.js';

/** Directories locked by this process: a second `Analytics` on the same spool is refused too. */
const held = new Set<string>();

const ignore = (fn: () => void): void => {
  try {
    fn();
  } catch {
    // Already gone.
  }
};

const busy = (dir: string, owner: LockOwner): SpoolError =>
  new SpoolError(
    `spool directory ${dir} is in use by process ${owner.pid} on ${owner.host}; give each process its own ANALYTICS_SPOOL_DIR`,
  );

/** Tries before giving up on a lock that keeps changing hands (each after a 2-10 ms timer). */
const LOCK_TRIES = 50;

/** One acquisition in progress: its owner, its temp file (linked into place), and the lock it yields. */
class Acquisition {
  readonly owner: LockOwner;
  readonly #dir: string;
  readonly #path: string;
  readonly #tmp: string;

  constructor(dir: string, heartbeatMs: number) {
    if (held.has(dir)) {
      throw new SpoolError(
        `spool directory ${dir} is already in use by this process; give each Analytics its own spool`,
      );
    }
    this.#dir = dir;
    this.#path = join(dir, LOCK_FILE);
    this.owner = newOwner(heartbeatMs);
    this.#tmp = join(dir, `LOCK.${this.owner.token}.tmp`);
    try {
      writeNewSync(this.#tmp, JSON.stringify(this.owner));
    } catch (error) {
      throw new SpoolError(`cannot write the lock of spool directory ${dir}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /** One try: the lock (won), or undefined when another process is taking it over right now. Throws `busy`. */
  attempt(): SpoolLock | undefined {
    try {
      if (held.has(this.#dir)) {
        throw new SpoolError(
          `spool directory ${this.#dir} is already in use by this process; give each Analytics its own spool`,
        );
      }
      try {
        linkSync(this.#tmp, this.#path);
        return this.#won();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const current = readLockOwner(this.#dir);
      if (ownerAlive(current)) throw busy(this.#dir, current as LockOwner);
      return takeOver(this.#dir, this.#tmp, current) ? this.#won() : undefined;
    } catch (error) {
      this.end();
      if (error instanceof SpoolError) throw error;
      throw new SpoolError(`cannot lock spool directory ${this.#dir}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /** Remove the temp file. */
  end(): void {
    ignore(() => unlinkSync(this.#tmp));
  }

  contended(): SpoolError {
    this.end();
    return new SpoolError(`could not take the lock of spool directory ${this.#dir}: too much contention`);
  }

  #won(): SpoolLock {
    this.end();
    const dir = this.#dir;
    const path = this.#path;
    const owner = this.owner;
    held.add(dir);
    return {
      owner,
      refresh: () => refreshLock(path, owner),
      release: () => {
        held.delete(dir);
        // Remove the lock only if it is still ours (unreadable: leave it, a later process sees it stale).
        ignore(() => {
          if (readLockOwner(dir)?.token === owner.token) unlinkSync(path);
        });
      },
    };
  }
}

/**
 * Take the directory's lock, or reject with a `SpoolError` naming the live owner. While another
 * process is taking a dead owner's lock over at the same moment, tries again after a 2-10 ms
 * timer (never a synchronous sleep), up to 50 times. The holder calls `refresh()` every
 * `heartbeatMs` while it holds the lock.
 */
export async function acquireLock(dir: string, heartbeatMs: number = HEARTBEAT_MS): Promise<SpoolLock> {
  const acquisition = new Acquisition(dir, heartbeatMs);
  for (let attempt = 0; attempt < LOCK_TRIES; attempt++) {
    const lock = acquisition.attempt();
    if (lock !== undefined) return lock;
    await new Promise((resolve) => setTimeout(resolve, 2 + Math.floor(Math.random() * 8)));
  }
  throw acquisition.contended();
}

/**
 * {@link acquireLock} in one try, for a caller that cannot wait (`createAnalytics()` on its
 * spool directory): a lock being taken over by another process at this very moment is a
 * `SpoolError` (too much contention), as is a live owner.
 */
export function acquireLockNow(dir: string, heartbeatMs: number = HEARTBEAT_MS): SpoolLock {
  const acquisition = new Acquisition(dir, heartbeatMs);
  const lock = acquisition.attempt();
  if (lock === undefined) throw acquisition.contended();
  return lock;
}

/**
 * Replace a dead owner's LOCK with ours, under `LOCK.takeover`. Returns false when another
 * process holds the takeover lock or got there first (the caller looks again).
 */
function takeOver(dir: string, tmp: string, stale: LockRecord | undefined): boolean {
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
    // Inside the mutex: the LOCK must still be the dead owner's we saw (or gone), and still
    // dead (a heartbeat may have come back since we looked).
    const path = join(dir, LOCK_FILE);
    const now = readLockOwner(dir);
    if (now !== undefined && (now.token !== stale?.token || ownerAlive(now))) return false;
    // Gone: only `link` (which fails if another process linked one meanwhile); unreadable
    // garbage is replaced (no one can link over an existing file, and takeovers are serialized).
    if (lstatSync(path, { throwIfNoEntry: false }) === undefined) {
      try {
        linkSync(tmp, path);
        return true;
      } catch {
        return false;
      }
    }
    if (now === undefined && stale !== undefined) return false;
    renameSync(tmp, path);
    return true;
  } finally {
    ignore(() => unlinkSync(mutex));
  }
}
