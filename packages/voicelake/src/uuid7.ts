/**
 * Monotonic UUIDv7 (RFC 9562 §5.7), for event ids on the hot path of `track()`.
 *
 * Layout: 48-bit Unix time in ms, version 7, a 12-bit counter in `rand_a` (§6.2 method 1),
 * variant `10`, 62 random bits in `rand_b`. The counter is seeded with 11 random bits each new
 * millisecond (top bit zero, so at least 2048 ids fit in one ms) and incremented for every
 * further id in that ms, so ids from one generator are strictly increasing, as bytes and as
 * strings. When the counter overflows, the id borrows the next millisecond; when the clock goes
 * backwards (or a borrow ran ahead of it), the last timestamp is kept until the clock passes it.
 *
 * Fast and allocation-light: random bytes come from a pooled buffer refilled 8 KiB at a time,
 * and the string is built in one `String.fromCharCode` call from byte→hex-digit tables (one flat
 * string, no rope of concatenations to flatten later). It never throws.
 */
import { randomFillSync } from 'node:crypto';

/** Fills `buf` with random bytes (the default is `crypto.randomFillSync`). */
export type RandomFill = (buf: Uint8Array) => void;
export type UuidV7Generator = (now?: number) => string;

const POOL_BYTES = 8192;
/** Bytes one id may draw: 2 for a new counter seed, 8 for `rand_b`. */
const MAX_DRAW = 10;
const MAX_COUNTER = 0xfff;
const MAX_TIME = 2 ** 48 - 1;
const DASH = 0x2d;

/** Char codes of the two lowercase hex digits of each byte. */
const HIGH = new Uint8Array(256);
const LOW = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  const hex = b.toString(16).padStart(2, '0');
  HIGH[b] = hex.charCodeAt(0);
  LOW[b] = hex.charCodeAt(1);
}
const hi = (b: number): number => HIGH[b] as number;
const lo = (b: number): number => LOW[b] as number;

function defaultRandom(buf: Uint8Array): void {
  randomFillSync(buf);
}

/** Only if the random source throws: ids must still be produced, and still be unique-ish. */
function mathRandom(buf: Uint8Array): void {
  for (let i = 0; i < buf.length; i++) buf[i] = (Math.random() * 256) | 0;
}

/** A valid time in ms: the argument (floored, capped at 2^48 - 1), else the clock, else 0. */
function toMs(now: number | undefined): number {
  let ms = now === undefined ? Date.now() : now;
  if (!(ms >= 0)) ms = Date.now(); // NaN or negative: not a usable time
  if (!(ms >= 0)) return 0;
  return ms > MAX_TIME ? MAX_TIME : Math.floor(ms);
}

/**
 * An independent generator with its own state and random pool. `random` fills a buffer with
 * random bytes; if it throws, `Math.random` fills that pool instead.
 */
export function createUuidV7(random: RandomFill = defaultRandom): UuidV7Generator {
  const pool = new Uint8Array(POOL_BYTES);
  const view = new DataView(pool.buffer, pool.byteOffset, pool.byteLength);
  let pos = POOL_BYTES; // empty: the first id fills it
  let last = -1; // timestamp of the last id
  let timeHigh = 0; // its top 16 bits
  let timeLow = 0; // its low 32 bits
  let counter = 0;

  const setTime = (ms: number): void => {
    last = ms;
    timeHigh = Math.floor(ms / 2 ** 32);
    timeLow = ms >>> 0;
    counter = view.getUint16(pos) & 0x7ff;
    pos += 2;
  };

  return (now?: number): string => {
    const ms = toMs(now);
    if (pos > POOL_BYTES - MAX_DRAW) {
      try {
        random(pool);
      } catch {
        mathRandom(pool);
      }
      pos = 0;
    }
    if (ms > last) setTime(ms);
    else if (++counter > MAX_COUNTER) {
      // 4096 ids in one ms: borrow the next one. At the end of time (year 10889) order is lost.
      setTime(last < MAX_TIME ? last + 1 : last);
    }
    const a = view.getUint32(pos);
    const b = view.getUint32(pos + 4);
    pos += 8;
    const t0 = timeHigh >>> 8;
    const t1 = timeHigh & 0xff;
    const t2 = timeLow >>> 24;
    const t3 = (timeLow >>> 16) & 0xff;
    const t4 = (timeLow >>> 8) & 0xff;
    const t5 = timeLow & 0xff;
    const v = 0x70 | (counter >>> 8); // version 7, counter high nibble
    const c = counter & 0xff;
    const r0 = ((a >>> 24) & 0x3f) | 0x80; // variant 10
    const r1 = (a >>> 16) & 0xff;
    const r2 = (a >>> 8) & 0xff;
    const r3 = a & 0xff;
    const r4 = b >>> 24;
    const r5 = (b >>> 16) & 0xff;
    const r6 = (b >>> 8) & 0xff;
    const r7 = b & 0xff;
    // The 36 characters of the 8-4-4-4-12 string, in one call (no intermediate strings).
    return String.fromCharCode(
      // unix_ts_ms, its first 32 bits: 8 hex digits
      hi(t0),
      lo(t0),
      hi(t1),
      lo(t1),
      hi(t2),
      lo(t2),
      hi(t3),
      lo(t3),
      DASH,
      // unix_ts_ms, its last 16 bits: 4
      hi(t4),
      lo(t4),
      hi(t5),
      lo(t5),
      DASH,
      // ver (7) and rand_a (the counter): 4
      hi(v),
      lo(v),
      hi(c),
      lo(c),
      DASH,
      // var (10) and rand_b: 4
      hi(r0),
      lo(r0),
      hi(r1),
      lo(r1),
      DASH,
      // rand_b: 12
      hi(r2),
      lo(r2),
      hi(r3),
      lo(r3),
      hi(r4),
      lo(r4),
      hi(r5),
      lo(r5),
      hi(r6),
      lo(r6),
      hi(r7),
      lo(r7),
    );
  };
}

const shared = createUuidV7();

/**
 * A UUIDv7 string (lowercase 8-4-4-4-12), strictly greater than every earlier one from this
 * function. `now` is the time in ms to embed (default `Date.now()`); an earlier time than the
 * last id's keeps the last id's time. Never throws.
 */
export function uuidv7(now?: number): string {
  return shared(now);
}
