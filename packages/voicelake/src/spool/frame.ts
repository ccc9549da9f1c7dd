/**
 * Spool record framing: `[u32 payload length][u32 crc32][f64 event time ms][payload]`,
 * little-endian. The CRC covers the time and the payload, so a torn or corrupt record
 * is detected and the tail from it on is truncated.
 */
import * as zlib from 'node:zlib';
import type { EventRecord } from '../event.js';

type Crc32 = (data: Uint8Array, value?: number) => number;

/** CRC-32 (IEEE 802.3, reflected 0xedb88320) lookup table for {@link crc32js}. */
const CRC_TABLE = /* @__PURE__ */ (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/**
 * Table-driven CRC-32, identical to `zlib.crc32` (including `value`, the CRC of preceding
 * data, to continue a running checksum). For runtimes whose `node:zlib` lacks `crc32`.
 * One difference: on empty input it returns `value`, where native zlib returns 0 if the view
 * has no backing store (e.g. `new Uint8Array(new ArrayBuffer(0))`); both give 0 for `value` 0.
 */
export function crc32js(data: Uint8Array, value = 0): number {
  let crc = ~value;
  for (let i = 0; i < data.length; i++) {
    crc = (CRC_TABLE[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  }
  return ~crc >>> 0;
}

/** Native `zlib.crc32` (Node 20.15+, 22.2+) when the runtime has it, else {@link crc32js}. */
const nativeCrc32 = (zlib as Partial<typeof zlib>).crc32;
const crc32: Crc32 = typeof nativeCrc32 === 'function' ? nativeCrc32 : crc32js;

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

/**
 * Bytes of the complete, valid frame at `at` in `buf` (header included), or 0 when there is
 * none: partial, too long to be anything but corruption, or failing its checksum.
 */
export function frameAt(buf: Buffer, at: number): number {
  if (at + HEADER_BYTES > buf.length) return 0;
  const length = buf.readUInt32LE(at);
  if (length > MAX_PAYLOAD || at + HEADER_BYTES + length > buf.length) return 0;
  const crc = buf.readUInt32LE(at + 4);
  if (crc32(buf.subarray(at + 8, at + HEADER_BYTES + length)) !== crc) return 0;
  return HEADER_BYTES + length;
}

/**
 * Bytes the frame at `at` takes once complete (header included), as far as `buf` tells:
 * `HEADER_BYTES` while its header is not all there; -1 when its length can only be corruption.
 */
export function frameNeed(buf: Buffer, at: number): number {
  if (at + HEADER_BYTES > buf.length) return HEADER_BYTES;
  const length = buf.readUInt32LE(at);
  return length > MAX_PAYLOAD ? -1 : HEADER_BYTES + length;
}

/** The record in the valid frame of `size` bytes at `at` (see {@link frameAt}). */
export function recordAt(buf: Buffer, at: number, size: number): EventRecord {
  const length = size - HEADER_BYTES;
  return {
    line: buf.toString('utf8', at + HEADER_BYTES, at + size),
    bytes: length,
    timeMs: buf.readDoubleLE(at + 8),
  };
}

/** Decode complete, valid frames from the start of `buf`; stop at the first bad or partial one. */
export function decodeFrames(buf: Buffer, maxRecords = Number.POSITIVE_INFINITY): Decoded {
  const records: EventRecord[] = [];
  const offsets: number[] = [];
  let at = 0;
  while (records.length < maxRecords) {
    const size = frameAt(buf, at);
    if (size === 0) break;
    offsets.push(at);
    records.push(recordAt(buf, at, size));
    at += size;
  }
  return { records, offsets, validBytes: at };
}
