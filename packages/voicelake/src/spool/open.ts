/**
 * Which log a process writes to. With an explicit spool directory, that directory (one
 * process at a time). By default, a fresh directory of its own under the per-user spool root
 * of its destinations, so any number of processes per host are each durable; leftovers of
 * dead processes are adopted by a later one (adoption.ts). Without a usable spool, a bounded
 * memory log, reported as `mode: 'memory'` with the reason.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ResolvedConfig } from '../config/resolve.js';
import type { EventLog } from '../event-log.js';
import { MemoryLog } from '../memory-log.js';
import { identityHash, identityKey, userTmpDir } from '../paths.js';
import { ensurePrivateTree } from '../private-fs.js';
import { CURSORS_FILE } from './cursor-store.js';
import { Spool, type SpoolStats } from './spool.js';

/** `stats().spool`: the disk spool's counters, or memory-only mode and why. */
export type SpoolState = SpoolStats | { readonly mode: 'memory'; readonly reason: string };

export interface OpenedLog {
  readonly log: EventLog;
  /** The spool root this process's directory lives in (default spools only). */
  readonly root: string | undefined;
  readonly state: { readonly mode: 'disk' | 'memory'; readonly dir?: string };
  stats(): SpoolState | undefined;
  /** Close; resolves true when everything appended was fsynced (the spool keeps it), else false. */
  close(): Promise<boolean>;
}

function memory(config: ResolvedConfig, reason: string | undefined): OpenedLog {
  const log = new MemoryLog(config.bufferBytes);
  return {
    log,
    root: undefined,
    state: { mode: 'memory' },
    stats: () => (reason === undefined ? undefined : { mode: 'memory', reason }),
    close: () => log.close().then(() => false),
  };
}

function disk(spool: Spool, dir: string, root: string | undefined): OpenedLog {
  return {
    log: spool,
    root,
    // A getter: a spool whose lock was taken over holds events in memory only from then on.
    get state() {
      return { mode: spool.stats().mode, dir };
    },
    stats: () => spool.stats(),
    async close() {
      // Everything delivered: a process's own directory goes with it (unless it is another's now).
      await spool.close();
      if (root !== undefined && spool.removable) removeSpoolDir(dir);
      return spool.allDurable;
    },
  };
}

/** Remove an emptied spool directory (cursors and all). */
export function removeSpoolDir(dir: string): void {
  try {
    rmSync(join(dir, CURSORS_FILE), { force: true });
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // Left for the next process to clean.
  }
}

/**
 * Where a configuration's spools go, in order of preference, each with the directory it is
 * checked from (`ensurePrivateTree(base, root)`): an explicit `ANALYTICS_SPOOL_DIR` alone; else
 * the default per-user root, then the per-user temp fallback. Undefined when the spool is off.
 */
export function spoolRoots(config: ResolvedConfig): [root: string, base: string][] | undefined {
  const { spool } = config;
  if (spool === undefined) return undefined;
  if (!spool.defaultDir) return [[spool.dir, spool.dir]];
  const fallback = userTmpDir();
  return [
    [spool.dir, dirname(dirname(spool.dir))],
    [join(fallback, 'spool', identityHash(config.identity)), fallback],
  ];
}

export function openLog(config: ResolvedConfig): OpenedLog {
  const { spool, logger } = config;
  if (spool === undefined) return memory(config, undefined);
  const options = { ...spool, identity: identityKey(config.identity), logger };
  if (!spool.defaultDir) {
    // An explicit directory is the user's decision: a problem with it is an error, not a fallback.
    const opened = Spool.open(options);
    logger.info(`Analytics spool enabled: dir=${spool.dir}`);
    return disk(opened, spool.dir, undefined);
  }
  const problems: string[] = [];
  for (const [root, base] of spoolRoots(config) ?? []) {
    try {
      ensurePrivateTree(base, root);
      const dir = join(root, `p-${process.pid}-${randomBytes(6).toString('hex')}`);
      const opened = Spool.open({ ...options, dir });
      logger.info(`Analytics spool enabled: dir=${dir}`);
      return disk(opened, dir, root);
    } catch (error) {
      problems.push(`${root}: ${(error as Error).message}`);
    }
  }
  const reason = `no usable spool directory (${problems.join('; ')})`;
  logger.warn(
    { reason },
    'events are buffered in memory only and lost on a crash; set ANALYTICS_SPOOL_DIR to a private directory',
  );
  return memory(config, reason);
}
