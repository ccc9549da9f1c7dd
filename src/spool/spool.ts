/**
 * The durable spool: an append-only log of checksummed, length-framed records in
 * segment files, with group commit (one write + fdatasync per interval), one persisted
 * cursor per destination, and segments deleted only once every destination has passed
 * them. The backlog lives on disk: memory holds only a bounded cache of recent records.
 */
import { closeSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { type FileHandle, open, readFile, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { FLUSH_OUTCOMES, type FlushOutcome } from '../destination.js';
import { SpoolError } from '../errors.js';
import type { EventRecord } from '../event.js';
import type { EventLog, ReadResult, Registration } from '../log.js';
import type { Logger } from '../logger.js';
import { type CursorFile, type Inflight, readCursors, writeCursors } from './cursors.js';
import { decodeFrames, encodeFrames, frameSize } from './frame.js';
import { acquireLock, type SpoolLock } from './lock.js';

export interface SpoolOptions {
  readonly dir: string;
  /** Largest spool on disk; beyond it the oldest segment is dropped (counted, logged). */
  readonly maxBytes: number;
  /** Segment file size before rolling to a new one. */
  readonly segmentBytes: number;
  /** Group commit interval, ms. */
  readonly commitIntervalMs: number;
  /** Recent records kept in memory for fast reads. */
  readonly cacheBytes: number;
  readonly logger: Logger;
}

interface Segment {
  readonly start: number;
  count: number;
  /** Byte position of this segment in the stream of all segments ever written. */
  readonly globalStart: number;
  size: number;
  readonly path: string;
  handle?: FileHandle | undefined;
  /** Bytes of the file known to hold complete frames: a failed write is cut back to this. */
  writtenBytes: number;
}

export interface SpoolStats {
  readonly dir: string;
  /** Bytes of segment files on disk. */
  readonly diskBytes: number;
  readonly segments: number;
  /** Records lost to the drop-oldest policy because the spool was full. */
  readonly dropped: number;
  /** Torn or corrupt tails truncated at open (count of segments) and records lost with them. */
  readonly corruptTails: number;
  readonly corruptRecords: number;
  /** Failed group commits (disk full, I/O error). */
  readonly writeErrors: number;
}

const SEGMENT_RE = /^seg-(\d{16})\.log$/;
const segmentName = (start: number): string => `seg-${String(start).padStart(16, '0')}.log`;

/** Scan a segment file; count valid records and truncate anything after the last valid one. */
function recoverSegment(path: string): { count: number; size: number; truncated: boolean } {
  const buf = readFileSync(path);
  const { records, validBytes } = decodeFrames(buf);
  if (validBytes < buf.length) {
    const fd = openSync(path, 'r+');
    try {
      ftruncateSync(fd, validBytes);
    } finally {
      closeSync(fd);
    }
  }
  return { count: records.length, size: validBytes, truncated: validBytes < buf.length };
}

export class Spool implements EventLog {
  readonly #o: SpoolOptions;
  readonly #lock: SpoolLock;
  #segments: Segment[] = [];
  #head = 0;
  #totalBytes = 0;
  /** Everything below this seq is written and fsynced. */
  #durable = 0;
  /** Everything below this seq has been handed to a write. */
  #written = 0;
  // Recent records (not yet durable, or cached): seq #recentBase + i at #recent[#recentStart + i].
  #recent: (EventRecord | undefined)[] = [];
  #recentOffsets: number[] = [];
  #recentStart = 0;
  #recentBase = 0;
  #recentBytes = 0;
  #decoded = new Map<number, EventRecord[]>();
  #cursors: CursorFile;
  #registered = new Set<string>();
  #cursorsDirty = false;
  #commitTimer: NodeJS.Timeout | undefined;
  #committing: Promise<void> | undefined;
  #durableWaiters: { mark: number; resolve: (o: FlushOutcome) => void }[] = [];
  #dropped = 0;
  #corruptTails = 0;
  #corruptRecords = 0;
  #writeErrors = 0;
  #closed = false;
  /** Segments written to since their last fdatasync (kept across a failed commit). */
  readonly #unsynced = new Set<Segment>();

  private constructor(options: SpoolOptions, lock: SpoolLock, cursors: CursorFile) {
    this.#o = options;
    this.#lock = lock;
    this.#cursors = cursors;
  }

  /** Open (or create) the spool directory, take its lock, and recover what a previous process left. */
  static open(options: SpoolOptions): Spool {
    try {
      mkdirSync(options.dir, { recursive: true });
    } catch (error) {
      throw new SpoolError(`cannot create spool directory ${options.dir}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const lock = acquireLock(options.dir);
    try {
      const spool = new Spool(options, lock, readCursors(options.dir));
      spool.#recover();
      return spool;
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  #recover(): void {
    const starts = readdirSync(this.#o.dir)
      .map((f) => SEGMENT_RE.exec(f)?.[1])
      .filter((s): s is string => s !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    let globalStart = 0;
    for (let i = 0; i < starts.length; i++) {
      const start = starts[i] as number;
      const path = join(this.#o.dir, segmentName(start));
      const next = starts[i + 1];
      // Every segment is checked: only the last one can be torn by a crash, but disks lie.
      const { count, size, truncated } = recoverSegment(path);
      if (next !== undefined && start + count < next) {
        this.#corruptRecords += next - start - count;
      }
      if (truncated) {
        this.#corruptTails++;
        this.#o.logger.warn(
          { segment: path, validRecords: count },
          'spool segment had a torn or corrupt tail; truncated after the last complete record',
        );
      }
      this.#segments.push({ start, count, globalStart, size, path, writtenBytes: size });
      globalStart += size;
    }
    const last = this.#segments[this.#segments.length - 1];
    // With every segment delivered and deleted, numbering continues after the cursors.
    let head = last ? last.start + last.count : 0;
    if (last === undefined) for (const c of Object.values(this.#cursors)) head = Math.max(head, c.seq);
    this.#head = head;
    this.#totalBytes = globalStart;
    this.#durable = this.#head;
    this.#written = this.#head;
    this.#recentBase = this.#head;
    if (this.#head > 0) {
      this.#o.logger.info(
        { dir: this.#o.dir, records: this.#head - this.tail, segments: this.#segments.length },
        'spool recovered undelivered events from a previous run',
      );
    }
  }

  get head(): number {
    return this.#head;
  }
  get tail(): number {
    return this.#segments[0]?.start ?? this.#head;
  }
  get dropped(): number {
    return this.#dropped;
  }
  get heldBytes(): number {
    return this.#totalBytes - (this.#segments[0]?.globalStart ?? this.#totalBytes);
  }

  register(destination: string): Registration {
    this.#registered.add(destination);
    const saved = this.#cursors[destination];
    if (saved === undefined) {
      // A destination new to this spool starts with the events tracked from now on.
      this.#cursors[destination] = { seq: this.#head };
      this.#cursorsDirty = true;
      return { seq: this.#head };
    }
    return { seq: Math.max(saved.seq, this.tail), ...(saved.inflight ? { inflight: saved.inflight } : {}) };
  }

  append(record: EventRecord): void {
    const size = frameSize(record);
    let segment = this.#segments[this.#segments.length - 1];
    if (segment === undefined || (segment.count > 0 && segment.size + size > this.#o.segmentBytes)) {
      segment = {
        start: this.#head,
        count: 0,
        globalStart: this.#totalBytes,
        size: 0,
        path: join(this.#o.dir, segmentName(this.#head)),
        writtenBytes: 0,
      };
      this.#segments.push(segment);
    }
    this.#recent.push(record);
    this.#recentOffsets.push(this.#totalBytes);
    this.#recentBytes += record.bytes;
    segment.count++;
    segment.size += size;
    this.#totalBytes += size;
    this.#head++;
    if (this.heldBytes > this.#o.maxBytes) this.#dropOldest();
    if (this.#commitTimer === undefined && this.#committing === undefined && !this.#closed) {
      this.#commitTimer = setTimeout(() => void this.#commit(), this.#o.commitIntervalMs);
      this.#commitTimer.unref();
    }
  }

  async read(from: number, maxEvents: number, maxBytes: number): Promise<ReadResult> {
    const start = Math.max(from, this.tail);
    const records: EventRecord[] = [];
    let bytes = 0;
    let seq = start;
    /** Take one record if it fits; false when the batch is full. */
    const take = (r: EventRecord): boolean => {
      if (records.length >= maxEvents || (records.length > 0 && bytes + r.bytes > maxBytes)) return false;
      bytes += r.bytes;
      records.push(r);
      seq++;
      return true;
    };
    // Older records come from their segment files (across segments), newer ones from memory.
    while (seq < this.#recentBase && seq < this.#head) {
      const segment = this.#segmentOf(seq);
      if (segment === undefined) break;
      const index = seq - segment.start;
      let decoded = await this.#decode(segment);
      if (index >= decoded.length) {
        // The cached decode may predate later writes to this segment: read it again.
        this.#decoded.delete(segment.start);
        decoded = await this.#decode(segment);
      }
      if (index >= decoded.length) {
        // A corrupt stretch: the records from here to the next segment are gone.
        if (records.length > 0) return { start, records };
        const next = this.#segments[this.#segments.indexOf(segment) + 1]?.start ?? this.#recentBase;
        return { start: Math.max(next, seq + 1), records: [] };
      }
      const limit = Math.min(decoded.length, this.#recentBase - segment.start);
      let full = false;
      for (let i = index; i < limit; i++) {
        if (!take(decoded[i] as EventRecord)) {
          full = true;
          break;
        }
      }
      if (full) return { start, records };
      if (seq < segment.start + segment.count && seq < this.#recentBase) break;
    }
    while (seq < this.#head && seq >= this.#recentBase) {
      if (!take(this.#recent[this.#recentStart + seq - this.#recentBase] as EventRecord)) break;
    }
    return { start, records };
  }

  bytesBetween(from: number, to: number): number {
    return this.#offsetOf(Math.min(to, this.#head)) - this.#offsetOf(Math.max(from, this.tail));
  }

  async beginBatch(destination: string, inflight: Inflight): Promise<void> {
    const cursor = this.#cursors[destination] ?? { seq: inflight.start };
    cursor.inflight = inflight;
    this.#cursors[destination] = cursor;
    this.#cursorsDirty = true;
    await this.#persistCursors();
  }

  ack(destination: string, seq: number): void {
    this.#cursors[destination] = { seq };
    this.#cursorsDirty = true;
    if (this.#commitTimer === undefined && this.#committing === undefined && !this.#closed) {
      this.#commitTimer = setTimeout(() => void this.#commit(), this.#o.commitIntervalMs);
      this.#commitTimer.unref();
    }
  }

  /** Held events are safe once fsynced: resolve `persisted` then (or `buffered` if the disk fails). */
  held(mark: number): Promise<FlushOutcome> {
    if (this.#durable >= mark) return Promise.resolve(FLUSH_OUTCOMES.persisted);
    return new Promise((resolve) => {
      this.#durableWaiters.push({ mark, resolve });
      clearTimeout(this.#commitTimer);
      this.#commitTimer = undefined;
      void this.#commit();
    });
  }

  stats(): SpoolStats {
    return {
      dir: this.#o.dir,
      diskBytes: this.heldBytes,
      segments: this.#segments.length,
      dropped: this.#dropped,
      corruptTails: this.#corruptTails,
      corruptRecords: this.#corruptRecords,
      writeErrors: this.#writeErrors,
    };
  }

  /** Commit what is pending, persist cursors, delete what every destination passed, release the lock. */
  async close(): Promise<void> {
    if (this.#closed) return;
    clearTimeout(this.#commitTimer);
    this.#commitTimer = undefined;
    await this.#commit();
    this.#closed = true;
    if (this.#minCursor() >= this.#head) {
      // Everything delivered: remove every segment, the active one too.
      for (const s of this.#segments) {
        await s.handle?.close();
        await unlink(s.path).catch(() => undefined);
      }
      this.#segments = [];
    }
    for (const s of this.#segments) await s.handle?.close();
    this.#lock.release();
    for (const w of this.#durableWaiters) w.resolve(FLUSH_OUTCOMES.buffered);
    this.#durableWaiters = [];
  }

  // ---- internals -------------------------------------------------------------------

  #segmentOf(seq: number): Segment | undefined {
    const segs = this.#segments;
    let lo = 0;
    let hi = segs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = segs[mid] as Segment;
      if (seq < s.start) hi = mid - 1;
      else if (seq >= s.start + s.count) lo = mid + 1;
      else return s;
    }
    return undefined;
  }

  #offsetOf(seq: number): number {
    if (seq >= this.#head) return this.#totalBytes;
    if (seq >= this.#recentBase)
      return this.#recentOffsets[this.#recentStart + seq - this.#recentBase] as number;
    const s = this.#segmentOf(seq);
    if (s === undefined) return this.#segments[0]?.globalStart ?? this.#totalBytes;
    return s.globalStart + Math.floor(((seq - s.start) / Math.max(1, s.count)) * s.size);
  }

  async #decode(segment: Segment): Promise<EventRecord[]> {
    const cached = this.#decoded.get(segment.start);
    if (cached) return cached;
    const buf = await readFile(segment.path).catch(() => Buffer.alloc(0));
    const { records } = decodeFrames(buf, segment.count);
    // Keep at most two decoded segments: memory stays bounded however large the backlog.
    if (this.#decoded.size >= 2) this.#decoded.delete(this.#decoded.keys().next().value as number);
    this.#decoded.set(segment.start, records);
    return records;
  }

  #minCursor(): number {
    let min = this.#head;
    for (const name of this.#registered) {
      const c = this.#cursors[name];
      min = Math.min(min, c?.inflight ? Math.min(c.inflight.start, c.seq) : (c?.seq ?? this.tail));
    }
    return min;
  }

  #dropOldest(): void {
    while (this.heldBytes > this.#o.maxBytes && this.#segments.length > 1) {
      const oldest = this.#segments.shift() as Segment;
      this.#dropped += oldest.count;
      this.#decoded.delete(oldest.start);
      this.#unsynced.delete(oldest);
      void oldest.handle?.close();
      oldest.handle = undefined;
      void unlink(oldest.path).catch(() => undefined);
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
  #commit(): Promise<void> {
    if (this.#committing) return this.#committing;
    clearTimeout(this.#commitTimer);
    this.#commitTimer = undefined;
    this.#committing = this.#doCommit().finally(() => {
      this.#committing = undefined;
      if (!this.#closed && (this.#written < this.#head || this.#cursorsDirty)) {
        this.#commitTimer = setTimeout(() => void this.#commit(), this.#o.commitIntervalMs);
        this.#commitTimer.unref();
      }
    });
    return this.#committing;
  }

  async #doCommit(): Promise<void> {
    const target = this.#head;
    try {
      const touched = this.#unsynced;
      let seq = Math.max(this.#written, this.tail);
      while (seq < target) {
        const segment = this.#segmentOf(seq);
        if (segment === undefined) break;
        const end = Math.min(target, segment.start + segment.count);
        const records: EventRecord[] = [];
        for (let s = seq; s < end; s++) {
          records.push(this.#recent[this.#recentStart + s - this.#recentBase] as EventRecord);
        }
        const frames = encodeFrames(records);
        try {
          segment.handle ??= await open(segment.path, 'a');
          await segment.handle.write(frames);
        } catch (error) {
          // Cut a partial write back to the last complete frame, so a retry appends cleanly.
          await segment.handle?.close().catch(() => undefined);
          segment.handle = undefined;
          await truncate(segment.path, segment.writtenBytes).catch(() => undefined);
          throw error;
        }
        segment.writtenBytes += frames.length;
        this.#written = end;
        touched.add(segment);
        seq = end;
      }
      for (const s of touched) await s.handle?.datasync();
      touched.clear();
      this.#written = Math.max(this.#written, target);
      this.#durable = Math.max(this.#durable, target);
      // Close handles of segments no longer written to.
      const active = this.#segments[this.#segments.length - 1];
      for (const s of this.#segments) {
        if (s !== active && s.handle) {
          await s.handle.close();
          s.handle = undefined;
        }
      }
    } catch (error) {
      this.#writeErrors++;
      this.#o.logger.error(
        { dir: this.#o.dir, error: (error as Error).message },
        'spool write failed; events are kept in memory until the disk accepts them',
      );
      for (const w of this.#durableWaiters) w.resolve(FLUSH_OUTCOMES.buffered);
      this.#durableWaiters = [];
      return;
    }
    const waiters = this.#durableWaiters;
    this.#durableWaiters = [];
    for (const w of waiters) {
      if (this.#durable >= w.mark) w.resolve(FLUSH_OUTCOMES.persisted);
      else this.#durableWaiters.push(w);
    }
    if (this.#cursorsDirty) await this.#persistCursors();
    await this.#deletePassed();
    this.#evict();
  }

  #cursorWrite: Promise<void> = Promise.resolve();

  /** Cursor writes are serialized; each writes the latest state. */
  #persistCursors(): Promise<void> {
    const write = async (): Promise<void> => {
      if (!this.#cursorsDirty) return;
      this.#cursorsDirty = false;
      const snapshot: CursorFile = {};
      for (const name of this.#registered) {
        const c = this.#cursors[name];
        if (c) snapshot[name] = { ...c };
      }
      try {
        await writeCursors(this.#o.dir, snapshot);
      } catch (error) {
        this.#cursorsDirty = true;
        this.#writeErrors++;
        this.#o.logger.error(
          { dir: this.#o.dir, error: (error as Error).message },
          'spool cursor write failed',
        );
      }
    };
    this.#cursorWrite = this.#cursorWrite.then(write, write);
    return this.#cursorWrite;
  }

  async #deletePassed(): Promise<void> {
    const min = Math.min(this.#minCursor(), this.#durable);
    while (this.#segments.length > 1) {
      const [oldest, next] = this.#segments as [Segment, Segment];
      if (next.start > min) break;
      this.#segments.shift();
      this.#decoded.delete(oldest.start);
      this.#unsynced.delete(oldest);
      await oldest.handle?.close();
      oldest.handle = undefined;
      await unlink(oldest.path).catch(() => undefined);
    }
  }

  /** Drop cached records that are durable, keeping the cache within its budget. */
  #evict(): void {
    let n = 0;
    const limit = Math.min(this.#durable, this.#head) - this.#recentBase;
    while (n < limit && this.#recentBytes > this.#o.cacheBytes) {
      const r = this.#recent[this.#recentStart + n] as EventRecord;
      this.#recentBytes -= r.bytes;
      this.#recent[this.#recentStart + n] = undefined;
      n++;
    }
    // Records below the tail (dropped) leave the cache too.
    while (this.#recentBase + n < this.tail && n < this.#head - this.#recentBase) {
      const r = this.#recent[this.#recentStart + n];
      if (r) this.#recentBytes -= r.bytes;
      this.#recent[this.#recentStart + n] = undefined;
      n++;
    }
    this.#recentStart += n;
    this.#recentBase += n;
    if (this.#recentStart > 4096 && this.#recentStart * 2 > this.#recent.length) {
      this.#recent = this.#recent.slice(this.#recentStart);
      this.#recentOffsets = this.#recentOffsets.slice(this.#recentStart);
      this.#recentStart = 0;
    }
  }
}
