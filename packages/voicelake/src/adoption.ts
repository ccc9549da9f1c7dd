/**
 * Leftovers of processes that are gone. With the default spool, every process writes its own
 * directory under the spool root of its destinations; a process that stops before delivering
 * everything (SIGKILL, crash, a close cut short by an outage) leaves its directory behind.
 * Every new process adopts such directories at once and in the background, delivers their
 * events with the same plans (same S3 keys: no duplicates) to the same destinations, and
 * removes them. The directory's lock guarantees one deliverer at a time; the root is keyed by
 * the destination identity, so a backlog is never delivered to another application's destinations.
 */

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ResolvedConfig } from './config/resolve.js';
import { Destination } from './destination.js';
import { settled } from './outcomes.js';
import { identityKey, OWN_DIR_RE } from './paths.js';
import { createSinks } from './sinks/factory.js';
import { CURSORS_FILE } from './spool/cursor-store.js';
import { LOCK_FILE, ownerAlive, readLockOwner } from './spool/lock.js';
import { acquireLock } from './spool/lock-acquire.js';
import { removeSpoolDir } from './spool/open.js';
import { Spool } from './spool/spool.js';
import { withTimeout } from './timers.js';

/** How often the root is looked at again for processes that died since. */
const RESCAN_MS = 30_000;

export interface AdoptionStats {
  /** Spool directories of dead processes adopted by this one. */
  readonly adopted: number;
  /** Of those, fully delivered and removed. */
  readonly completed: number;
  /** Events found in adopted spools. */
  readonly events: number;
  /** Spool directories being locked and recovered (in the background) before they count as adopted. */
  readonly recovering: number;
}

/** Per destination, adopted events not delivered yet (they stay in their directories). */
export interface AdoptedUndelivered {
  readonly counts: Record<string, number>;
  /**
   * True when a spool was still being recovered: its events checked so far are counted, the
   * rest are not (a lower bound). They are all on disk either way.
   */
  readonly lowerBound: boolean;
}

interface Adopted {
  readonly dir: string;
  readonly spool: Spool;
  readonly destinations: Destination[];
  readonly done: Promise<void>;
}

export class Adopter {
  readonly #active = new Map<string, Adopted>();
  /** Directories being locked and recovered, with the spool once opened. */
  readonly #opening = new Map<string, { spool?: Spool }>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #adopted = 0;
  #completed = 0;
  #events = 0;

  constructor(
    private readonly root: string,
    private readonly ownDir: string,
    private readonly config: ResolvedConfig,
    /** The destinations' names (an adopted spool's are this process's). */
    private readonly names: readonly string[],
  ) {}

  /** Scan now (in the background) and every 30 s. */
  start(): void {
    setImmediate(() => this.scan());
    this.#timer = setInterval(() => this.scan(), RESCAN_MS);
    this.#timer.unref();
  }

  stats(): AdoptionStats {
    return {
      adopted: this.#adopted,
      completed: this.#completed,
      events: this.#events,
      recovering: this.#opening.size,
    };
  }

  /** Adopt every abandoned spool directory under the root. Never throws. */
  scan(): void {
    if (this.#closed) return;
    let names: string[] = [];
    try {
      names = readdirSync(this.root).filter((n) => OWN_DIR_RE.test(n));
    } catch {
      return;
    }
    for (const name of names) {
      const dir = join(this.root, name);
      if (dir === this.ownDir || this.#active.has(dir) || this.#opening.has(dir)) continue;
      // A live owner keeps its spool; a directory with neither lock nor cursors is still being created.
      let owner: ReturnType<typeof readLockOwner>;
      try {
        owner = readLockOwner(dir);
      } catch {
        continue; // unreadable lock: its owner may be alive; look again at the next scan
      }
      if (owner !== undefined && ownerAlive(owner)) continue;
      if (owner === undefined && !existsSync(join(dir, CURSORS_FILE)) && !existsSync(join(dir, LOCK_FILE)))
        continue;
      void this.#adopt(dir);
    }
  }

  /**
   * Per destination, events of the adopted spools not delivered yet, those still recovering too
   * (from their saved cursors). Directories whose lock is not taken yet are not this process's.
   */
  undelivered(): AdoptedUndelivered {
    const counts: Record<string, number> = {};
    const add = (name: string, n: number) => {
      counts[name] = (counts[name] ?? 0) + n;
    };
    for (const a of this.#active.values()) for (const d of a.destinations) add(d.name, d.stats().pending);
    let lowerBound = false;
    for (const { spool } of this.#opening.values()) {
      if (spool === undefined) continue;
      lowerBound ||= spool.stats().recovering;
      for (const name of this.names) add(name, spool.pendingOf(name));
    }
    return { counts, lowerBound };
  }

  /** Resolve once every adopted spool is delivered (or `timeoutMs` passed). */
  async drain(timeoutMs: number): Promise<void> {
    await withTimeout(Promise.all([...this.#active.values()].map((a) => a.done)), timeoutMs);
  }

  /**
   * Stop delivering; what is left stays in the adopted directories for the next process.
   * Spools still recovering are closed once recovered (their close waits for it): what it
   * returns counts them in full.
   */
  async close(): Promise<AdoptedUndelivered> {
    this.#closed = true;
    clearInterval(this.#timer);
    const opening = [...this.#opening.values()].map((o) => o.spool?.close().catch(() => undefined));
    await Promise.all([
      ...opening,
      ...[...this.#active.values()].map(async (a) => {
        await Promise.all(a.destinations.map((d) => d.stop()));
        await a.spool.close().catch(() => undefined);
      }),
    ]);
    const left = this.undelivered();
    this.#active.clear();
    this.#opening.clear();
    return left;
  }

  /**
   * Lock the directory (contention is retried with timers), open its spool, wait for its
   * recovery (asynchronous, in slices), then deliver. Never throws.
   */
  async #adopt(dir: string): Promise<void> {
    const { spool: spoolConfig, logger } = this.config;
    if (spoolConfig === undefined) return;
    const opening: { spool?: Spool } = {};
    this.#opening.set(dir, opening);
    let spool: Spool;
    try {
      const lock = await acquireLock(dir);
      if (this.#closed) {
        lock.release();
        this.#opening.delete(dir);
        return;
      }
      spool = Spool.open({ ...spoolConfig, dir, identity: identityKey(this.config.identity), logger }, lock);
      opening.spool = spool;
      await spool.recovered(0);
      // Closing: close() closes it, and counts what it holds (it stays opening until then).
      if (this.#closed) return;
    } catch (error) {
      // Another process adopted it first, or it belongs to other destinations: not ours to deliver.
      logger.debug({ dir, error: (error as Error).message }, 'spool directory not adopted');
      this.#opening.delete(dir);
      return;
    }
    this.#opening.delete(dir);
    let destinations: Destination[];
    try {
      destinations = createSinks(this.config, true).map(
        ({ sink, intervalMs }) => new Destination(sink, spool, { intervalMs, logger }),
      );
    } catch (error) {
      // Never reached with a configuration this process already runs on; if it is, let go.
      logger.warn({ dir, error: (error as Error).message }, 'spool directory not adopted');
      void spool.close().catch(() => undefined);
      return;
    }
    const events = spool.head - spool.tail;
    this.#adopted++;
    this.#events += events;
    if (events > 0) {
      logger.info(
        { dir, events },
        `adopted the spool of a process that stopped before delivering everything; delivering ${events} events`,
      );
    }
    const done = this.#deliver(dir, spool, destinations);
    this.#active.set(dir, { dir, spool, destinations, done });
  }

  async #deliver(dir: string, spool: Spool, destinations: Destination[]): Promise<void> {
    try {
      const mark = spool.head;
      // While a destination fails, its own retry timer keeps trying; look again with backoff.
      for (let wait = 1000; ; wait = Math.min(wait * 2, 60_000)) {
        const outcomes = await Promise.all(destinations.map((d) => d.flush(mark)));
        if (this.#closed) return;
        if (outcomes.every(settled)) break;
        await new Promise((resolve) => setTimeout(resolve, wait).unref());
        if (this.#closed) return;
      }
      await Promise.all(destinations.map((d) => d.stop()));
      // Removed once delivered, unless another process took it over meanwhile (then it is theirs).
      await spool.close();
      if (spool.removable) removeSpoolDir(dir);
      this.#completed++;
      this.#active.delete(dir);
    } catch (error) {
      this.config.logger.warn({ dir, error: (error as Error).message }, 'adopted spool delivery stopped');
    }
  }
}
