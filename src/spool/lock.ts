/**
 * One process per spool directory. The lock is a `LOCK` file holding the owner's pid,
 * created atomically with `link()`. A lock whose pid is no longer alive (the owner crashed
 * or was SIGKILLed) is taken over.
 */
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpoolError } from '../errors.js';

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface SpoolLock {
  release(): void;
}

const ignore = (fn: () => void): void => {
  try {
    fn();
  } catch {
    // Already gone.
  }
};

/** Directories locked by this process: a second `Analytics` on the same spool is refused too. */
const held = new Set<string>();

/** Take the directory's lock, or throw a `SpoolError` naming the live owner. */
export function acquireLock(dir: string): SpoolLock {
  if (held.has(dir)) {
    throw new SpoolError(
      `spool directory ${dir} is already in use by this process; give each Analytics its own spool`,
    );
  }
  const path = join(dir, 'LOCK');
  const tmp = join(dir, `LOCK.${process.pid}.tmp`);
  writeFileSync(tmp, `${process.pid}\n`);
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(tmp, path);
        held.add(dir);
        return {
          release: () => {
            held.delete(dir);
            ignore(() => unlinkSync(path));
          },
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      let owner = Number.NaN;
      ignore(() => {
        owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
      });
      if (alive(owner) && owner !== process.pid) {
        throw new SpoolError(
          `spool directory ${dir} is in use by process ${owner}; give each process its own ANALYTICS_SPOOL_DIR`,
        );
      }
      // Stale: its owner is gone. Move it aside atomically, then try again.
      const stale = join(dir, `LOCK.stale.${process.pid}`);
      ignore(() => {
        renameSync(path, stale);
        unlinkSync(stale);
      });
    }
    throw new SpoolError(`could not take the lock of spool directory ${dir}`);
  } finally {
    ignore(() => unlinkSync(tmp));
  }
}
