/**
 * The durable spool: an append-only log of checksummed, length-framed records in segment
 * files (segments.ts), with group commit (one write + fdatasync per interval), one persisted
 * cursor per destination (cursor-store.ts), and segments deleted only once every destination
 * has passed them. The backlog lives on disk; memory holds a bounded window of recent records.
 *
 * Opening never waits for the backlog: what a previous process left is checked asynchronously,
 * in slices (segments.ts, slices.ts), while new records are appended and made durable in
 * pending segments numbered provisionally above anything recovery can find. Once recovery is
 * done, they are renumbered to follow the recovered records (and their files renamed), between
 * two group commits; reads, registrations and flush marks wait for that (`recovered()`).
 *
 * Over 300 lines: one class whose append, group commit, background recovery (and the renumbering after it), read and drop-oldest share its state (segments, window, cursors).
 */
import { SpoolError } from '../errors.js';
import type { EventRecord } from '../event.js';
import type { EventLog, Inflight, ReadResult, Registration } from '../event-log.js';
import { writerIdOf } from '../lake/layout.js';
import type { Logger } from '../logger.js';
import { FLUSH_OUTCOMES, type FlushOutcome } from '../outcomes.js';
import { DirReplacedError, ensurePrivateDir, verifyDir } from '../private-fs.js';
import { RecordWindow } from '../record-window.js';
import { type BackoffPolicy, backoffMs } from '../retry.js';
import { Debounced } from '../timers.js';
import { CursorStore, loadCursors, unprovenBacklog } from './cursor-store.js';
import { encodeFrames, frameSize } from './frame.js';
import { HEARTBEAT_MS, LOCK_STALE_MS, type SpoolLock } from './lock.js';
import { acquireLockNow } from './lock-acquire.js';
import { readSpool } from './read.js';
import { pendingStarts, provisionalBase, segmentStarts } from './segment-files.js';
import { type Recovery, SegmentSet } from './segments.js';

const LOCK_LOST = `the spool lock was taken over by another process (another host saw no heartbeat for ${LOCK_STALE_MS / 60_000} minutes or more, or the lock was removed)`;
const DIR_LOST = 'the spool directory was renamed away or replaced';

/** A failed group commit is retried after a full-jitter backoff of up to 250 ms, doubling to 30 s. */
const COMMIT_BACKOFF: BackoffPolicy = { baseMs: 250, capMs: 30_000 };

/** Records stay in memory at most this long after they became durable (and within `cacheBytes`). */
const CACHE_AGE_MS = 5000;

export interface SpoolOptions {
  readonly dir: string;
  /** What this spool feeds (see paths.ts); a spool recorded for other destinations is refused. */
  readonly identity: string;
  /** Largest spool on disk; beyond it the oldest segment is dropped (counted, logged). */
  readonly maxBytes: number;
  /** Segment file size before rolling to a new one. */
  readonly segmentBytes: number;
  /** Group commit interval, ms. */
  readonly commitIntervalMs: number;
  /** Recent records kept in memory for fast reads. */
  readonly cacheBytes: number;
  readonly logger: Logger;
  /** How often the lock's heartbeat is refreshed (default `HEARTBEAT_MS`; tests shorten it). */
  readonly heartbeatMs?: number | undefined;
}

export interface SpoolStats {
  /**
   * `disk`: events survive a crash. `memory`: no spool could be used, or this spool's lock was
   * taken over by another process (then new events are kept in memory only).
   */
  readonly mode: 'disk' | 'memory';
  /** Why `memory`, when this spool's lock was taken over. */
  readonly reason?: string;
  readonly dir: string;
  /** Bytes of segment files on disk. */
  readonly diskBytes: number;
  readonly segments: number;
  /** Records lost to the drop-oldest policy because the spool was full. */
  readonly dropped: number;
  /** Torn or corrupt tails truncated at open (count of segments) and records lost with them. */
  readonly corruptTails: number;
  readonly corruptRecords: number;
  /**
   * 1 when `cursors.json` was unreadable at open in a spool without segments (nothing to deliver:
   * it starts afresh). With segments, an unreadable one makes the spool not this process's.
   */
  readonly corruptCursors: number;
  /** Failed group commits (disk full, I/O error). */
  readonly writeErrors: number;
  /** The spool's size limit (`maxBytes`): at it, the oldest segment is dropped. */
  readonly maxBytes: number;
  /**
   * True while what a previous process left is still being checked (in the background). New
   * events are durable meanwhile; `diskBytes`, `segments` and destinations' `pending` count
   * only part of the spool until it is done (`pending`: the events tracked since, and those
   * of the segments checked so far that the destination has not delivered; a lower bound).
   */
  readonly recovering: boolean;
}

/** Recovery in progress: where provisional numbers start, and what it found once done. */
interface Provisional {
  /** The first provisional sequence number: above any recovery can find. */
  readonly base: number;
  /** The oldest sequence number recovery will find (the first segment's). */
  readonly tail: number;
  /** The segments recovery has checked so far (placed before the ones written meanwhile once done). */
  readonly checking: SegmentSet;
  /** Set when recovery is done: placed at the start of the next group commit. */
  found?: { readonly segments: SegmentSet; readonly recovery: Recovery };
}

export class Spool implements EventLog {
  readonly #o: SpoolOptions;
  readonly #lock: SpoolLock;
  readonly #segments: SegmentSet;
  readonly #cursors: CursorStore;
  readonly #commits: Debounced;
  /** Refreshes the lock's mtime, so processes on other hosts sharing the directory see this one alive. */
  #heartbeat: NodeJS.Timeout | undefined;
  #head = 0;
  /** Everything below this seq is written and fsynced. */
  #durable = 0;
  /** Everything below this seq has been handed to a write. */
  #written = 0;
  /** Records not yet durable, and a cache of recent durable ones. */
  #recent = new RecordWindow();
  #durableWaiters: { mark: number; resolve: (o: FlushOutcome) => void }[] = [];
  /** When each group commit made records durable: the cache forgets records older than CACHE_AGE_MS. */
  #marks: { seq: number; at: number }[] = [];
  #dropped = 0;
  #corruptTails = 0;
  #corruptRecords = 0;
  #corruptCursors = 0;
  #writeErrors = 0;
  #closed = false;
  /** close() has begun (and `#closed` once it is done): no commit but its own starts. */
  #closing = false;
  /** Files of segments dropped (spool full) still being removed. */
  readonly #removals = new Set<Promise<void>>();
  /** Group commits failed in a row, and the timer that retries the next. */
  #failedCommits = 0;
  #retry: NodeJS.Timeout | undefined;
  /**
   * Set when a heartbeat finds the lock no longer ours: another process (another host that saw
   * no heartbeat for LOCK_STALE_MS) owns the directory now. From then on this process writes,
   * deletes and persists nothing there; what it holds in memory is still delivered, and records
   * no longer in memory are read from the segment files while the new owner keeps them (a gap
   * once it deletes them: the new owner delivers those). `diskBytes` and `segments` then count
   * what this process would have written, not files.
   */
  #lost = false;
  /** Why `#lost`: the lock was taken over, or the directory is not the one opened any more. */
  #lostReason = LOCK_LOST;
  /** Throws `DirReplacedError` unless the spool's path still names the directory opened. */
  readonly #guard: () => void;
  /** Set while recovering (see the file's comment). */
  #provisional: Provisional | undefined;
  /** Provisional numbers at or above `#shiftFrom` go down by `#shift` once recovered. */
  #shiftFrom = Number.POSITIVE_INFINITY;
  #shift = 0;
  /** Resolves once recovery is done and its records placed (at once when there was nothing to recover). */
  #ready: Promise<void> = Promise.resolve();
  #placed: () => void = () => undefined;

  /** Derived from the directory's device and inode (lake/layout.ts `writerIdOf`): the same for whoever opens it. */
  readonly writerId: string;

  private constructor(
    options: SpoolOptions,
    lock: SpoolLock,
    cursors: CursorStore,
    guard: () => void,
    writerId: string,
  ) {
    this.writerId = writerId;
    this.#o = options;
    this.#lock = lock;
    this.#cursors = cursors;
    this.#guard = guard;
    this.#segments = new SegmentSet(options.dir, options.segmentBytes, guard);
    this.#commits = new Debounced(options.commitIntervalMs, () => this.#commit());
  }

  /**
   * Open (or create) the spool directory, take its lock (or use `lock`, taken by the caller),
   * and start recovering what a previous process left, in the background: returns at once.
   */
  static open(options: SpoolOptions, lock?: SpoolLock): Spool {
    let guard: () => void;
    let writerId: string;
    try {
      const id = ensurePrivateDir(options.dir);
      guard = () => verifyDir(options.dir, id);
      writerId = writerIdOf(id.dev, id.ino);
    } catch (error) {
      lock?.release();
      throw new SpoolError(`unusable spool directory: ${(error as Error).message}`, { cause: error });
    }
    const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
    const held = lock ?? acquireLockNow(options.dir, heartbeatMs);
    try {
      const loaded = loadCursors(options.dir);
      const unproven = unprovenBacklog(options.dir, loaded);
      if (unproven !== undefined) throw new SpoolError(unproven);
      if (loaded.identity !== undefined && loaded.identity !== options.identity) {
        throw new SpoolError(
          `spool directory ${options.dir} holds events for other destinations (${loaded.identity}); ` +
            `they are only delivered by a process configured for those. Use another spool directory.`,
        );
      }
      const cursors = new CursorStore(options.dir, options.identity, loaded, guard);
      const spool = new Spool(options, held, cursors, guard, writerId);
      if (loaded.corrupt !== undefined) {
        spool.#corruptCursors = 1;
        options.logger.warn(
          { dir: options.dir, reason: loaded.corrupt },
          'spool cursors.json is unreadable; delivery restarts at the oldest retained event (some may be sent twice; compaction removes duplicates)',
        );
      }
      spool.#startRecovery();
      // The identity is recorded before any event; a file that already records it is left as
      // is (the next group commit persists what changed), and opening does no synchronous write.
      if (loaded.identity !== options.identity || loaded.corrupt !== undefined) spool.#cursors.persistSync();
      spool.#heartbeat = setInterval(() => spool.#beat(), heartbeatMs);
      spool.#heartbeat.unref();
      return spool;
    } catch (error) {
      held.release();
      if (error instanceof SpoolError) throw error;
      throw new SpoolError(`cannot open spool ${options.dir}: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * Nothing left behind: number on from the cursors, ready at once. Else number new records
   * provisionally, above the most records the leftover files could hold, and recover them in
   * the background (only the directory listing and a few `lstat`s happen here).
   */
  #startRecovery(): void {
    const dir = this.#o.dir;
    const starts = segmentStarts(dir);
    const pending = pendingStarts(dir);
    const from = this.#cursors.maxSeq();
    if (starts.length === 0 && pending.length === 0) {
      this.#setHead(from);
      return;
    }
    const base = provisionalBase(dir, starts, pending, from);
    this.#provisional = {
      base,
      tail: starts[0] ?? from,
      checking: new SegmentSet(dir, this.#o.segmentBytes, this.#guard),
    };
    this.#setHead(base);
    this.#segments.startPending();
    this.#ready = new Promise((resolve) => {
      this.#placed = resolve;
    });
    void this.#recover(starts, pending, from);
  }

  #setHead(head: number): void {
    this.#head = head;
    this.#durable = head;
    this.#written = head;
    this.#recent = new RecordWindow(head);
  }

  async #recover(starts: number[], pending: number[], from: number): Promise<void> {
    const provisional = this.#provisional as Provisional;
    try {
      const segments = provisional.checking;
      const recovery = await segments.recover(this.#o.logger, starts, pending, from);
      provisional.found = { segments, recovery };
    } catch (error) {
      // Unreadable for good (EACCES, EIO, the directory replaced): stop using the directory.
      this.#lose(new Error(`recovery failed: ${(error as Error).message}`));
      provisional.found = {
        segments: new SegmentSet(this.#o.dir, this.#o.segmentBytes),
        recovery: { head: undefined, corruptTails: 0, corruptRecords: 0 },
      };
    }
    // Placed between two group commits (the next one starts with it).
    if (this.#lost || this.#closed) await this.#place();
    else await this.#commits.runNow();
  }

  /** Put the recovered segments before the ones written meanwhile, renumbering those. */
  async #place(): Promise<void> {
    const provisional = this.#provisional;
    const found = provisional?.found;
    if (provisional === undefined || found === undefined) return;
    const { segments, recovery } = found;
    const head = recovery.head ?? this.#cursors.maxSeq();
    const shift = provisional.base - head;
    try {
      await this.#segments.place(segments, shift, !this.#lost);
    } catch (error) {
      this.#lose(error as Error);
      await this.#segments.place(segments, shift, false);
    }
    this.#provisional = undefined;
    this.#shiftFrom = provisional.base;
    this.#shift = shift;
    this.#corruptTails = recovery.corruptTails;
    this.#corruptRecords = recovery.corruptRecords;
    this.#head -= shift;
    this.#durable -= shift;
    this.#written -= shift;
    this.#recent.renumber(shift, segments.totalBytes);
    for (const m of this.#marks) m.seq -= shift;
    for (const w of this.#durableWaiters) w.mark = this.#final(w.mark);
    const recovered = head - this.tail;
    if (recovered > 0) {
      this.#o.logger.info(
        { dir: this.#o.dir, records: recovered, segments: segments.length },
        'spool recovered undelivered events from a previous run',
      );
    }
    this.#placed();
  }

  /** `seq` in the final numbering: provisional numbers given while recovering go down. */
  #final(seq: number): number {
    return seq >= this.#shiftFrom ? seq - this.#shift : seq;
  }

  /**
   * Resolves once recovery is done, with `mark` (a `head` read meanwhile) in the final numbering.
   * At once (and `mark` unchanged) when there was nothing to recover.
   */
  recovered(mark: number): Promise<number> {
    return this.#ready.then(() => this.#final(mark));
  }

  get head(): number {
    return this.#head;
  }

  /**
   * Events `destination` has not delivered, for one not reading yet: registering while this
   * spool recovers (`since`: the head it registered at), or not at all (an adopted spool). While
   * recovering, a lower bound: the events appended since `since`, and those of the segments
   * checked so far past its saved cursor (never the provisional numbers' gap, nor unchecked bytes).
   */
  pendingOf(destination: string, since?: number): number {
    const p = this.#provisional;
    if (p !== undefined) {
      const checked = p.checking.end ?? p.tail;
      const resume = this.#cursors.resume(destination, checked, p.tail).seq;
      return Math.max(0, checked - resume) + (since === undefined ? 0 : this.#head - since);
    }
    const at = since === undefined ? this.#head : this.#final(since);
    return this.#head - Math.max(this.#cursors.resume(destination, at, this.tail).seq, this.tail);
  }
  get tail(): number {
    if (this.#provisional !== undefined) return this.#provisional.tail;
    return this.#segments.first?.start ?? this.#head;
  }
  get heldBytes(): number {
    return this.#segments.heldBytes;
  }

  /**
   * Where `destination` resumes; while recovering, a promise of it (a destination new to the
   * spool starts at the head of now, in the final numbering).
   */
  register(destination: string): Registration | Promise<Registration> {
    if (this.#provisional === undefined) return this.#cursors.register(destination, this.#head, this.tail);
    const head = this.#head;
    return this.#ready.then(() => this.#cursors.register(destination, this.#final(head), this.tail));
  }

  append(record: EventRecord): void {
    const size = frameSize(record);
    this.#recent.push(record, this.#segments.totalBytes);
    this.#segments.add(this.#head, size);
    this.#head++;
    if (this.heldBytes > this.#o.maxBytes) this.#dropOldest();
    if (!this.#closed) this.#commits.schedule();
  }

  async read(from: number, maxEvents: number, maxBytes: number): Promise<ReadResult> {
    await this.#ready;
    return readSpool(
      this.#segments,
      this.#recent,
      this.#head,
      Math.max(from, this.tail),
      maxEvents,
      maxBytes,
    );
  }

  bytesBetween(from: number, to: number): number {
    return this.#offsetOf(Math.min(to, this.#head)) - this.#offsetOf(Math.max(from, this.tail));
  }

  async beginBatch(destination: string, inflight: Inflight): Promise<void> {
    this.#cursors.beginBatch(destination, inflight);
    await this.#persistCursors();
  }

  ack(destination: string, seq: number): void {
    this.#cursors.ack(destination, seq);
    if (!this.#closed) this.#commits.schedule();
    // Without commits, memory is freed here: what every destination delivered.
    if (this.#lost) this.#recent.dropBelow(this.#cursors.min(this.#head, this.tail));
  }

  /** Held events are safe once fsynced: resolve `persisted` then (or `buffered` if the disk fails). */
  held(mark: number): Promise<FlushOutcome> {
    if (this.#durable >= mark) return Promise.resolve(FLUSH_OUTCOMES.persisted);
    return new Promise((resolve) => {
      this.#durableWaiters.push({ mark, resolve });
      // While closing, only close() commits (its last commit answers this waiter).
      if (!this.#closing) void this.#commits.runNow();
    });
  }

  /** Run a full group commit now (after any in progress): writes, fsync, cursors, deletions. */
  sync(): Promise<void> {
    return this.#closing ? Promise.resolve() : this.#commits.runNow();
  }

  /** Everything appended is fsynced (what `close()` leaves behind survives the process). */
  get allDurable(): boolean {
    return this.#durable >= this.#head;
  }

  stats(): SpoolStats {
    return {
      mode: this.#lost ? 'memory' : 'disk',
      ...(this.#lost ? { reason: this.#lostReason } : {}),
      dir: this.#o.dir,
      diskBytes: this.heldBytes,
      segments: this.#segments.length,
      dropped: this.#dropped,
      corruptTails: this.#corruptTails,
      corruptRecords: this.#corruptRecords,
      corruptCursors: this.#corruptCursors,
      writeErrors: this.#writeErrors,
      maxBytes: this.#o.maxBytes,
      recovering: this.#provisional !== undefined,
    };
  }

  /** Commit what is pending, persist cursors, delete what every destination passed, release the lock. */
  async close(): Promise<void> {
    if (this.#closing) return;
    // Recovery first: its records are placed (files renamed) before the last commit.
    await this.#ready;
    // From here only this commit runs: a flush() or a retry racing close() starts none that
    // could still be writing, persisting or deleting once the lock is released.
    this.#closing = true;
    await this.#commits.runNow();
    this.#commits.stop();
    clearInterval(this.#heartbeat);
    clearTimeout(this.#retry);
    this.#closed = true;
    // Everything delivered: remove every segment, the active one too (never another owner's).
    if (!this.#lost && this.#cursors.min(this.#head, this.tail) >= this.#head)
      await this.#segments.removeAll();
    await Promise.all(this.#removals);
    await this.#segments.closeHandles();
    await this.#persistCursors();
    this.#lock.release();
    this.#resolveWaiters(FLUSH_OUTCOMES.buffered);
  }

  /** Closed, left without segments, and still this process's (not taken over): the directory may be removed. */
  get removable(): boolean {
    return this.#closed && !this.#lost && this.#segments.length === 0;
  }

  #beat(): void {
    try {
      this.#guard();
    } catch (error) {
      this.#lose(error as Error);
      return;
    }
    const result = this.#lock.refresh();
    if (result === 'ours') return;
    if (result === 'unknown') {
      this.#o.logger.warn({ dir: this.#o.dir }, 'spool lock could not be refreshed; trying again');
      return;
    }
    // Only possible if this process looked dead to another host for LOCK_STALE_MS (a clock far
    // off, or a process frozen for minutes), or someone removed the lock: leave the directory
    // to its new owner, and say so once, loudly.
    this.#lose(undefined);
  }

  /**
   * Stop using the directory for good: its lock was taken over (`replaced` undefined), or its
   * path names another directory now (renamed away, replaced: whatever is there now is not
   * this spool's, and is never written). New events are kept in memory only; say so once, loudly.
   */
  #lose(replaced: Error | undefined): void {
    if (this.#lost) return;
    this.#lost = true;
    this.#lostReason = replaced === undefined ? LOCK_LOST : `${DIR_LOST} (${replaced.message})`;
    clearInterval(this.#heartbeat);
    this.#commits.stop();
    clearTimeout(this.#retry);
    this.#resolveWaiters(FLUSH_OUTCOMES.buffered);
    this.#o.logger.error(
      { dir: this.#o.dir },
      replaced === undefined
        ? `${LOCK_LOST}: this process stops writing to the spool directory and keeps new events in memory only; check the clocks of the hosts sharing it`
        : `${this.#lostReason}: this process writes nothing more there and keeps new events in memory only; check who can write the directories above it`,
    );
  }

  #offsetOf(seq: number): number {
    if (seq >= this.#head) return this.#segments.totalBytes;
    if (seq >= this.#recent.base) return this.#recent.offsetOf(seq);
    return this.#segments.estimateOffset(seq);
  }

  #dropOldest(): void {
    while (this.heldBytes > this.#o.maxBytes && this.#segments.length > 1) {
      const oldest = this.#segments.first;
      if (oldest === undefined) break;
      // Removed from the set synchronously; the file goes in the background (unless the
      // directory is another process's now), and close() waits for it.
      const removal = this.#segments.shift(!this.#lost).then(() => {
        this.#removals.delete(removal);
      });
      this.#removals.add(removal);
      this.#dropped += oldest.count;
      this.#o.logger.warn(
        { dir: this.#o.dir, droppedEvents: oldest.count, maxBytes: this.#o.maxBytes },
        'spool is full: dropped its oldest segment (policy drop-oldest); raise spool.maxBytes or fix the failing destination',
      );
    }
    if (this.#written < this.tail) this.#written = this.tail;
    if (this.#durable < this.tail) this.#durable = this.tail;
    this.#evict();
  }

  /** One group commit: write every pending record, fdatasync, persist cursors, delete passed segments. */
  async #commit(): Promise<void> {
    if (this.#provisional?.found !== undefined) await this.#place();
    // Closed: the lock is released and the handles too; a late flush() must not reopen them.
    if (this.#lost || this.#closed) {
      this.#resolveWaiters(FLUSH_OUTCOMES.buffered);
      return;
    }
    const target = this.#head;
    try {
      let seq = Math.max(this.#written, this.tail);
      while (seq < target) {
        const segment = this.#segments.segmentOf(seq);
        if (segment === undefined) break; // not reached: [tail, head) is all in segments
        const end = Math.min(target, segment.start + segment.count);
        const records: EventRecord[] = [];
        for (let s = seq; s < end; s++) records.push(this.#recent.get(s));
        await this.#segments.write(segment, encodeFrames(records));
        this.#written = end;
        // Appends during the write may have dropped the oldest segments (spool full): go on
        // from the oldest one still held, never past records not yet written.
        seq = Math.max(end, this.tail);
      }
      await this.#segments.sync();
      const reached = Math.min(seq, target);
      this.#written = Math.max(this.#written, reached);
      this.#durable = Math.max(this.#durable, reached);
      this.#marks.push({ seq: this.#durable, at: Date.now() });
    } catch (error) {
      if (error instanceof DirReplacedError) {
        this.#lose(error);
        return;
      }
      this.#writeErrors++;
      this.#failedCommits++;
      if (this.#failedCommits === 1 || this.#failedCommits % 10 === 0)
        this.#o.logger.error(
          { dir: this.#o.dir, error: (error as Error).message, failedCommits: this.#failedCommits },
          'spool write failed; events are kept in memory and the write is retried until the disk accepts them',
        );
      this.#resolveWaiters(FLUSH_OUTCOMES.buffered);
      this.#retryCommit();
      return;
    }
    this.#failedCommits = 0;
    const waiters = this.#durableWaiters;
    this.#durableWaiters = [];
    for (const w of waiters) {
      if (this.#durable >= w.mark) w.resolve(FLUSH_OUTCOMES.persisted);
      else this.#durableWaiters.push(w);
    }
    if (this.#durableWaiters.length > 0 || this.#written < this.#head) this.#commits.schedule();
    if (this.#cursors.dirty) await this.#persistCursors();
    await this.#deletePassed();
    this.#evict();
  }

  /**
   * After a failed group commit, try again on its own (backing off to 30 s): an idle process
   * whose destination is down may append nothing more, and its records must not wait in memory.
   */
  #retryCommit(): void {
    if (this.#closing || this.#lost || this.#retry !== undefined) return;
    this.#retry = setTimeout(
      () => {
        this.#retry = undefined;
        if (!this.#closing) void this.#commits.runNow();
      },
      backoffMs(this.#failedCommits - 1, COMMIT_BACKOFF),
    );
    this.#retry.unref();
  }

  #persistCursors(): Promise<void> {
    if (this.#lost) return Promise.resolve();
    return this.#cursors.persist((error) => {
      if (error instanceof DirReplacedError) return this.#lose(error);
      this.#writeErrors++;
      this.#o.logger.error({ dir: this.#o.dir, error: error.message }, 'spool cursor write failed');
    });
  }

  async #deletePassed(): Promise<void> {
    // While recovering, no destination has registered yet: nothing is known to be passed.
    if (this.#provisional !== undefined) return;
    const min = Math.min(this.#cursors.min(this.#head, this.tail), this.#durable);
    // A segment can go once the next one starts at or below every cursor.
    while ((this.#segments.second?.start ?? Number.POSITIVE_INFINITY) <= min) await this.#segments.shift();
  }

  /**
   * Forget records every destination has passed (once durable), then durable ones beyond the
   * cache budget, and any below the tail: a process holds in memory only what is still pending.
   */
  #evict(): void {
    const cache = this.#o.cacheBytes;
    // Kept only while young: a destination reads what it is about to send within seconds; during
    // an outage, older records live on disk only, so memory stays flat whatever the backlog.
    const old = Date.now() - CACHE_AGE_MS;
    let aged = -1;
    while (this.#marks.length > 0 && (this.#marks[0] as { at: number }).at < old)
      aged = (this.#marks.shift() as { seq: number }).seq;
    if (aged > 0) this.#recent.dropBelow(Math.min(aged, this.#durable));
    if (this.#provisional === undefined)
      this.#recent.dropBelow(Math.min(this.#cursors.min(this.#head, this.tail), this.#durable));
    this.#recent.dropBelow(Math.min(this.#durable, this.#head), (bytes) => bytes > cache);
    this.#recent.dropBelow(this.tail);
  }

  #resolveWaiters(outcome: FlushOutcome): void {
    for (const w of this.#durableWaiters) w.resolve(outcome);
    this.#durableWaiters = [];
  }
}
