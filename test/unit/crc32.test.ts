/** The spool's CRC-32: native `zlib.crc32` and the table-driven fallback agree everywhere. */
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EventRecord } from '../../packages/voicelake/src/event.js';
import { crc32js, decodeFrames, encodeFrames } from '../../packages/voicelake/src/spool/frame.js';

const RUNS = 10_000;
const ascii = (s: string) => new TextEncoder().encode(s);
const record = (line: string, timeMs: number): EventRecord => ({
  line,
  bytes: Buffer.byteLength(line),
  timeMs,
});

describe('crc32', () => {
  afterEach(() => {
    vi.doUnmock('node:zlib');
    vi.resetModules();
  });

  it('matches the known check values', () => {
    expect(crc32js(ascii('123456789'))).toBe(0xcbf43926);
    expect(crc32js(new Uint8Array(0))).toBe(0);
    expect(crc32js(ascii('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
    expect(crc32js(new Uint8Array(32))).toBe(0x190a55ad);
    expect(crc32js(new Uint8Array(32).fill(0xff))).toBe(0xff6cab0b);
    expect(zlib.crc32(ascii('123456789'))).toBe(0xcbf43926);
  });

  it('equals native zlib.crc32 on arbitrary bytes, views and running values', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2048 }),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 0xffffffff }),
        (bytes, a, b, value) => {
          expect(crc32js(bytes)).toBe(zlib.crc32(bytes));
          // A view into a larger buffer, at any offset.
          const start = bytes.length === 0 ? 0 : a % bytes.length;
          const view = bytes.subarray(start, start + (b % (bytes.length - start + 1)));
          expect(crc32js(view)).toBe(zlib.crc32(view));
          // Continuing a running checksum, from any previous value. (Not on empty input: native
          // returns 0 there when the view has no backing store, and `value` otherwise.)
          if (bytes.length > 0) expect(crc32js(bytes, value)).toBe(zlib.crc32(bytes, value));
          expect(crc32js(new Uint8Array(0), value)).toBe(value);
          expect(crc32js(bytes.subarray(start), crc32js(bytes.subarray(0, start)))).toBe(crc32js(bytes));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('frames identically when the runtime has no zlib.crc32', async () => {
    vi.resetModules();
    vi.doMock('node:zlib', async (importOriginal) => {
      const { crc32: _native, ...rest } = await importOriginal<typeof import('node:zlib')>();
      return { ...rest, crc32: undefined };
    });
    const fallback = await import('../../packages/voicelake/src/spool/frame.js');
    expect(fallback.encodeFrames).not.toBe(encodeFrames);
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.integer({ min: 0, max: 2 ** 47 })),
          {
            maxLength: 8,
          },
        ),
        (pairs) => {
          const records = pairs.map(([line, t]) => record(line, t));
          const native = encodeFrames(records);
          const js = fallback.encodeFrames(records);
          expect(js.equals(native)).toBe(true);
          expect(fallback.decodeFrames(native).records).toEqual(records);
          expect(decodeFrames(js).records).toEqual(records);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
