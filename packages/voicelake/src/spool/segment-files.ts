/**
 * Segment files by name: `seg-<first seq>.log`, and `pending-<provisional seq>.log` for records
 * written while the spool recovered; listing them, bounding how many records a file can hold,
 * and checking one file at recovery (read asynchronously, checked in slices, a torn or corrupt
 * tail truncated).
 */
import { lstatSync, readdirSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { READ, truncatePrivate } from '../private-fs.js';
import { frameAt, frameNeed, HEADER_BYTES } from './frame.js';
import type { Slicer } from './slices.js';

export const SEGMENT_RE = /^seg-(\d{16})\.log$/;
export const segmentName = (start: number): string => `seg-${String(start).padStart(16, '0')}.log`;
/**
 * A segment written while the spool was still recovering: its records are numbered after the
 * recovered ones once recovery is done (then the file is renamed to a `seg-` name). Numbered
 * provisionally above anything recovery can find; left by a crash, the next recovery places it.
 */
export const PENDING_RE = /^pending-(\d{16})\.log$/;
export const pendingName = (start: number): string => `pending-${String(start).padStart(16, '0')}.log`;

function startsOf(dir: string, re: RegExp): number[] {
  return readdirSync(dir)
    .map((f) => re.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/** First sequence numbers of the segment files in `dir`, ascending. */
export function segmentStarts(dir: string): number[] {
  return startsOf(dir, SEGMENT_RE);
}

/** Provisional first sequence numbers of the pending segment files in `dir`, ascending. */
export function pendingStarts(dir: string): number[] {
  return startsOf(dir, PENDING_RE);
}

/** Most records a file of `path`'s size can hold (every frame is at least a header): 0 if absent. */
export function recordBound(path: string): number {
  const size = lstatSync(path, { throwIfNoEntry: false })?.size ?? 0;
  return Math.ceil(size / HEADER_BYTES);
}

/** Read buffer reused across the files of one recovery: no new memory per segment (1 MiB, grown for a longer frame). */
export class ScanBuffer {
  buf = Buffer.allocUnsafe(1024 * 1024);
}

/**
 * Check a segment file: read in chunks with `fs/promises` into `scratch`, its frames checked
 * (length, CRC) in slices; count valid records and truncate anything after the last valid one
 * (a torn or corrupt tail). Nothing is decoded.
 */
export async function recoverSegment(
  path: string,
  slicer: Slicer,
  scratch: ScanBuffer = new ScanBuffer(),
): Promise<{ count: number; size: number; truncated: boolean }> {
  let fh: FileHandle;
  try {
    fh = await open(path, READ);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return { count: 0, size: 0, truncated: false };
  }
  let count = 0;
  let valid = 0;
  let fileSize = 0;
  try {
    const stat = await fh.stat();
    if (!stat.isFile()) throw new Error(`${path} is not a regular file`);
    fileSize = stat.size;
    let buf = scratch.buf;
    /** File offset of `buf[0]`; bytes of `buf` holding file data; the frame being checked in `buf`. */
    let base = 0;
    let filled = 0;
    let at = 0;
    for (;;) {
      const view = buf.subarray(0, filled);
      const need = frameNeed(view, at);
      if (need < 0) break; // a length only corruption can give
      if (at + need > filled) {
        // Not all read yet: keep the partial frame, read more (a torn tail at the end of the file).
        if (base + filled >= fileSize) break;
        buf.copy(buf, 0, at, filled);
        base += at;
        filled -= at;
        at = 0;
        if (need > buf.length) {
          const bigger = Buffer.allocUnsafe(need);
          buf.copy(bigger, 0, 0, filled);
          buf = bigger;
          scratch.buf = bigger;
        }
        const { bytesRead } = await fh.read(buf, filled, buf.length - filled, base + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
        continue;
      }
      const size = frameAt(view, at);
      if (size === 0) break; // its checksum fails
      at += size;
      count++;
      if (count % 32 === 0) await slicer.pause();
    }
    valid = base + at;
  } finally {
    await fh.close();
  }
  if (valid < fileSize) truncatePrivate(path, valid);
  return { count, size: valid, truncated: valid < fileSize };
}

/**
 * The first provisional sequence number for records appended while the files of `starts` and
 * `pending` are recovered: above any number recovery can give them (the last segment's start
 * plus the most records it and the pending files can hold), and above the pending files' own
 * provisional names, so that new pending files never take an old one's name.
 */
export function provisionalBase(
  dir: string,
  starts: readonly number[],
  pending: readonly number[],
  from: number,
): number {
  const last = starts[starts.length - 1];
  let base = last === undefined ? from : last + recordBound(join(dir, segmentName(last)));
  for (const p of pending) base += recordBound(join(dir, pendingName(p)));
  return Math.max(base, (pending[pending.length - 1] ?? 0) + 1) + 1;
}
