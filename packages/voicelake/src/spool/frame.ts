/**
 * Spool record framing: `[u32 payload length][u32 crc32][f64 event time ms][payload]`,
 * little-endian. The CRC covers the time and the payload, so a torn or corrupt record
 * is detected and the tail from it on is truncated.
 */
import { crc32 } from 'node:zlib';
import type { EventRecord } from '../event.js';

export const HEADER_BYTES = 16;
/** Larger lengths can only be corruption: events are limited far below this. */
const MAX_PAYLOAD = 256 * 1024 * 1024;

export function frameSize(record: EventRecord): number {
  return HEADER_BYTES + record.bytes;
}

/** Encode records into one buffer, ready for a single write. */
export function encodeFrames(records: readonly EventRecord[]): Buffer {
  let size = 0;
  for (const r of records) size += HEADER_BYTES + r.bytes;
  const buf = Buffer.allocUnsafe(size);
  let at = 0;
  for (const r of records) {
    const written = buf.write(r.line, at + HEADER_BYTES, 'utf8');
    buf.writeDoubleLE(r.timeMs, at + 8);
    buf.writeUInt32LE(written, at);
    buf.writeUInt32LE(crc32(buf.subarray(at + 8, at + HEADER_BYTES + written)), at + 4);
    at += HEADER_BYTES + written;
  }
  return buf;
}

export interface Decoded {
  readonly records: EventRecord[];
  /** Offset of each record in `buf`. */
  readonly offsets: number[];
  /** Bytes of `buf` holding complete, valid records. */
  readonly validBytes: number;
}

/** Decode complete, valid frames from the start of `buf`; stop at the first bad or partial one. */
export function decodeFrames(buf: Buffer, maxRecords = Number.POSITIVE_INFINITY): Decoded {
  const records: EventRecord[] = [];
  const offsets: number[] = [];
  let at = 0;
  while (at + HEADER_BYTES <= buf.length && records.length < maxRecords) {
    const length = buf.readUInt32LE(at);
    if (length > MAX_PAYLOAD || at + HEADER_BYTES + length > buf.length) break;
    const crc = buf.readUInt32LE(at + 4);
    if (crc32(buf.subarray(at + 8, at + HEADER_BYTES + length)) !== crc) break;
    const timeMs = buf.readDoubleLE(at + 8);
    const line = buf.toString('utf8', at + HEADER_BYTES, at + HEADER_BYTES + length);
    offsets.push(at);
    records.push({ line, bytes: length, timeMs });
    at += HEADER_BYTES + length;
  }
  return { records, offsets, validBytes: at };
}
