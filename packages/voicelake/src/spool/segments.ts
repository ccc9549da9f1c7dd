/**
 * The spool's segment files: `seg-<first seq, 16 digits>.log`, each a run of framed records.
 * This module owns them: recovery at open (a torn or corrupt tail is truncated), appending
 * with a cut-back on a failed write, fdatasync, reading back through a small decode cache,
 * and deletion. Files are opened without following symlinks; each is created exclusively, 0600,
 * after checking that the directory is still the one opened (`guard`). File names, listing and
 * checking one file are in segment-files.ts.
 *
 * Over 300 lines: one class whose recovery, placing of pending segments, append, sync, read and deletion share its segment list.
 */
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventRecord } from '../event.js';
import type { Logger } from '../logger.js';
import { openAppend, READ, truncatePrivate } from '../private-fs.js';
import { pendingName, recoverSegment, ScanBuffer, segmentName } from './segment-files.js';
import { decodeInSlices, Slicer } from './slices.js';

export interface Segment {
  /** First sequence number (renumbered once, when the records it took during recovery are placed). */
  start: number;
  count: number;
  /** Byte position of this segment in the stream of all segments ever written. */
  globalStart: number;
  size: number;
  path: string;
  handle?: FileHandle | undefined;
  /** Bytes of the file known to hold complete frames: a failed write is cut back to this. */
  writtenBytes: number;
  /** A failed write could not be cut back yet: the next write cuts first. */
  torn?: boolean;
  /** Its file was created (or recovered): it is reopened, never created again. */
  created?: boolean;
  /** Removed from the set (delivered, or dropped when the spool is full): never written or created again. */
  removed?: boolean;
}

/** Read errors that pass: the segment is read again later rather than skipped. */
const TRANSIENT_READ = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'ENOMEM', 'EBUSY', 'EINTR']);

/** Cut a segment's file back to its complete frames (a file never created has nothing to cut). */
function cutBack(segment: Segment): void {
  try {
    truncatePrivate(segment.path, segment.writtenBytes);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

export interface Recovery {
  /** One past the last recovered record. */
  readonly head: number | undefined;
  readonly corruptTails: number;
  readonly corruptRecords: number;
}

export class SegmentSet {
  #list: Segment[] = [];
  #totalBytes = 0;
  /** Decoded records of at most two segments: memory stays bounded however large the backlog. */
  readonly #decoded = new Map<number, EventRecord[]>();
  /** Segments written to since their last fdatasync (kept across a failed commit). */
  readonly #unsynced = new Set<Segment>();

  /** New segments are pending ones (recovery is running: their numbers are provisional). */
  #pending = false;

  constructor(
    readonly dir: string,
    readonly segmentBytes: number,
    /** Throws unless `dir` is still the directory opened: called before every file is opened for writing. */
    private readonly guard: () => void = () => undefined,
  ) {}

  /** From now on, until `place()`, new segments are pending ones. */
  startPending(): void {
    this.#pending = true;
  }

  get first(): Segment | undefined {
    return this.#list[0];
  }
  get second(): Segment | undefined {
    return this.#list[1];
  }
  get length(): number {
    return this.#list.length;
  }
  /** One past the last record held (while `recover` runs: of the segments checked so far). */
  get end(): number | undefined {
    const last = this.#list[this.#list.length - 1];
    return last === undefined ? undefined : last.start + last.count;
  }
  /** Bytes ever written, counted from the first recovered segment. */
  get totalBytes(): number {
    return this.#totalBytes;
  }
  /** Bytes of the segments still held. */
  get heldBytes(): number {
    return this.#totalBytes - (this.#list[0]?.globalStart ?? this.#totalBytes);
  }

  /**
   * Load every segment, checking each (only the last can be torn by a crash, but disks lie),
   * then the pending segments a crash left (numbered on from the last record, and renamed so).
   * Asynchronous, in slices: the event loop is never held for long, whatever the backlog.
   */
  async recover(
    logger: Logger,
    starts: readonly number[],
    pending: readonly number[],
    from: number,
  ): Promise<Recovery> {
    const slicer = new Slicer();
    const scratch = new ScanBuffer();
    let corruptTails = 0;
    let corruptRecords = 0;
    const files = [
      ...starts.map((start, i) => ({ start, next: starts[i + 1], name: segmentName(start) })),
      ...pending.map((p) => ({ start: undefined, next: undefined, name: pendingName(p) })),
    ];
    let head = from;
    for (const file of files) {
      let path = join(this.dir, file.name);
      const { count, size, truncated } = await recoverSegment(path, slicer, scratch);
      const start = file.start ?? head;
      if (file.start === undefined && count === 0) {
        // Nothing valid in it: nothing to place (its name would be the next one's).
        if (truncated) corruptTails++;
        await unlink(path).catch(() => undefined);
        continue;
      }
      if (file.start === undefined) {
        // A pending segment: its records come right after the last one recovered.
        const placed = join(this.dir, segmentName(start));
        this.guard();
        await rename(path, placed);
        path = placed;
      }
      if (file.next !== undefined && start + count < file.next) corruptRecords += file.next - start - count;
      if (truncated) {
        corruptTails++;
        logger.warn(
          { segment: path, validRecords: count },
          'spool segment had a torn or corrupt tail; truncated after the last complete record',
        );
      }
      this.#list.push({
        start,
        count,
        globalStart: this.#totalBytes,
        size,
        path,
        writtenBytes: size,
        created: true,
      });
      this.#totalBytes += size;
      head = start + count;
    }
    return { head: this.end, corruptTails, corruptRecords };
  }

  /**
   * Place the segments written while recovering after the recovered ones (`before`): their
   * numbers go down by `shift`, their bytes up by `before`'s. Files already created are
   * renamed to their `seg-` names first (unless `renameFiles` is false: the directory is not
   * this process's any more). Only called between two group commits.
   */
  async place(before: SegmentSet, shift: number, renameFiles: boolean): Promise<void> {
    for (const s of this.#list) {
      if (!s.created || !renameFiles) continue;
      const path = join(this.dir, segmentName(s.start - shift));
      this.guard();
      await rename(s.path, path);
      s.path = path;
    }
    this.#pending = false;
    const offset = before.#totalBytes;
    for (const s of this.#list) {
      s.start -= shift;
      s.globalStart += offset;
      if (!s.created) s.path = join(this.dir, segmentName(s.start));
    }
    this.#list = [...before.#list, ...this.#list];
    this.#totalBytes += offset;
    this.#decoded.clear();
  }

  /** Account one appended record of `size` framed bytes with sequence number `seq`, rolling if full. */
  add(seq: number, size: number): void {
    let segment = this.#list[this.#list.length - 1];
    if (segment === undefined || (segment.count > 0 && segment.size + size > this.segmentBytes)) {
      segment = {
        start: seq,
        count: 0,
        globalStart: this.#totalBytes,
        size: 0,
        path: join(this.dir, this.#pending ? pendingName(seq) : segmentName(seq)),
        writtenBytes: 0,
      };
      this.#list.push(segment);
    }
    segment.count++;
    segment.size += size;
    this.#totalBytes += size;
  }

  /** The segment holding `seq`, by binary search. */
  segmentOf(seq: number): Segment | undefined {
    const segs = this.#list;
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

  /** The first sequence number of the first segment starting after `seq`, if any. */
  startAfter(seq: number): number | undefined {
    return this.#list.find((s) => s.start > seq)?.start;
  }

  /** The segment after `segment`, if any. */
  next(segment: Segment): Segment | undefined {
    return this.#list[this.#list.indexOf(segment) + 1];
  }

  /** Stream offset of `seq`, interpolated inside its segment (records are not indexed on disk). */
  estimateOffset(seq: number): number {
    const s = this.segmentOf(seq);
    if (s === undefined) return this.#list[0]?.globalStart ?? this.#totalBytes;
    return s.globalStart + Math.floor(((seq - s.start) / Math.max(1, s.count)) * s.size);
  }

  /** Records of `segment`, decoded from disk (cached); re-read when it has grown since. */
  async records(segment: Segment, atLeast: number): Promise<EventRecord[]> {
    let cached = this.#decoded.get(segment.start);
    if (cached && cached.length > atLeast) return cached;
    let buf = Buffer.alloc(0);
    try {
      const fh = await open(segment.path, READ);
      try {
        buf = await fh.readFile();
      } finally {
        await fh.close();
      }
    } catch (error) {
      // A passing shortage (out of file descriptors or memory) is passed on and the reader tries
      // again later: taken for "no records", it would skip the segment and count it lost.
      // Deleted, a symlink, unreadable for good: no records (the reader counts the gap).
      if (TRANSIENT_READ.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
    }
    cached = await decodeInSlices(buf, segment.count);
    if (this.#decoded.size >= 2) this.#decoded.delete(this.#decoded.keys().next().value as number);
    this.#decoded.set(segment.start, cached);
    return cached;
  }

  /**
   * Append encoded frames to `segment`, all of them (a write may take only part: a disk filling
   * up). A failed write is cut back to the last complete frame; until that cut succeeds, nothing
   * more is appended after the partial frame (recovery would lose every record behind it).
   */
  async write(segment: Segment, frames: Buffer): Promise<void> {
    // Dropped meanwhile (the spool filled up during a group commit): its records are counted as
    // dropped, and its file, removed or about to be, must not be created again.
    if (segment.removed) return;
    try {
      if (segment.torn) {
        cutBack(segment);
        segment.torn = false;
      }
      if (segment.handle === undefined) {
        this.guard();
        const handle = await openAppend(segment.path, segment.created !== true);
        if (segment.removed) {
          // Dropped while it was being opened: its removal may have run before the open made
          // the file again, so this write removes it.
          await handle.close().catch(() => undefined);
          if (segment.created !== true) await unlink(segment.path).catch(() => undefined);
          return;
        }
        segment.handle = handle;
        segment.created = true;
      }
      // Its own reference: dropping the segment (spool full) meanwhile clears `segment.handle`.
      const handle = segment.handle;
      for (let at = 0; at < frames.length; ) {
        const { bytesWritten } = await handle.write(frames, at, frames.length - at);
        if (bytesWritten <= 0) throw new Error(`write to ${segment.path} made no progress`);
        at += bytesWritten;
      }
    } catch (error) {
      await segment.handle?.close().catch(() => undefined);
      segment.handle = undefined;
      // Dropped meanwhile: its file is gone and its records are counted as dropped; nothing to cut.
      if (segment.removed) return;
      // A file this spool never created (the exclusive create failed) is not its to cut.
      try {
        if (segment.created) cutBack(segment);
      } catch {
        segment.torn = true; // cut before the next write
      }
      throw error;
    }
    segment.writtenBytes += frames.length;
    this.#unsynced.add(segment);
  }

  /** fdatasync every segment written since the last sync; close handles of full segments. */
  async sync(): Promise<void> {
    for (const s of this.#unsynced) await s.handle?.datasync();
    this.#unsynced.clear();
    const active = this.#list[this.#list.length - 1];
    for (const s of this.#list) {
      if (s !== active && s.handle) {
        await s.handle.close();
        s.handle = undefined;
      }
    }
  }

  /** Remove the oldest segment (delivered, or dropped when the spool is full), its file unless told not to; returns it. */
  async shift(removeFile = true): Promise<Segment | undefined> {
    const oldest = this.#list.shift();
    if (oldest === undefined) return undefined;
    oldest.removed = true;
    this.#decoded.delete(oldest.start);
    this.#unsynced.delete(oldest);
    const handle = oldest.handle;
    oldest.handle = undefined;
    await handle?.close().catch(() => undefined);
    if (removeFile) await unlink(oldest.path).catch(() => undefined);
    return oldest;
  }

  /** Remove every segment file (everything was delivered). */
  async removeAll(): Promise<void> {
    while (this.#list.length > 0) await this.shift();
  }

  async closeHandles(): Promise<void> {
    for (const s of this.#list) {
      await s.handle?.close().catch(() => undefined);
      s.handle = undefined;
    }
  }
}
