/**
 * Segment files by name: `seg-<first seq>.log`, and `pending-<provisional seq>.log` for records
 * written while the spool recovered; listing them, bounding how many records a file can hold,
 * and checking one file at recovery (read asynchronously, checked in slices, a torn or corrupt
 * tail truncated).
 */
import { lstatSync, readdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { READ, truncatePrivate } from '../private-fs.js';
import { HEADER_BYTES } from './frame.js';
import { checkFrames, type Slicer } from './slices.js';

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

/**
 * Check a segment file (read asynchronously, checked in slices); count valid records and
 * truncate anything after the last valid one.
 */
export async function recoverSegment(
  path: string,
  slicer: Slicer,
): Promise<{ count: number; size: number; truncated: boolean }> {
  let buf = Buffer.alloc(0);
  try {
    const fh = await open(path, READ);
    try {
      if (!(await fh.stat()).isFile()) throw new Error(`${path} is not a regular file`);
      buf = await fh.readFile();
    } finally {
      await fh.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { count, validBytes } = await checkFrames(buf, slicer);
  if (validBytes < buf.length) truncatePrivate(path, validBytes);
  return { count, size: validBytes, truncated: validBytes < buf.length };
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
