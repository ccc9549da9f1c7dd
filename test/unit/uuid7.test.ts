/** Monotonic UUIDv7 (RFC 9562 §5.7, §6.2 method 1): format, time, order, uniqueness, overflow. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createUuidV7, uuidv7 } from '../../packages/voicelake/src/uuid7.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const MAX_TIME = 2 ** 48 - 1;
const RUNS = 10_000;

/** The 48-bit Unix ms timestamp embedded in an id. */
const timeOf = (id: string) => Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
/** The 12-bit counter in rand_a. */
const counterOf = (id: string) => Number.parseInt(id.slice(15, 18), 16);

const time = fc.integer({ min: 0, max: MAX_TIME });
/** Anything a caller might pass as `now`, valid or not. */
const anyNow = fc.oneof(
  time,
  fc.double(),
  fc.constantFrom(undefined, Number.NaN, -1, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 60),
);

function expectIncreasing(ids: readonly string[]): void {
  for (let i = 1; i < ids.length; i++) {
    const [prev, next] = [ids[i - 1] as string, ids[i] as string];
    if (!(prev < next)) expect.fail(`id ${i} is not greater than id ${i - 1}: ${prev} >= ${next}`);
  }
}

const fill =
  (byte: number) =>
  (buf: Uint8Array): void => {
    buf.fill(byte);
  };

describe('uuidv7', () => {
  it('is lowercase 8-4-4-4-12 hex with version 7 and variant 10, for any time', () => {
    const gen = createUuidV7();
    fc.assert(
      fc.property(anyNow, (now) => {
        expect(gen(now)).toMatch(UUID_V7);
      }),
      { numRuns: RUNS },
    );
    // The shared generator only sees the clock here: a time far in the future would pin it there.
    for (let i = 0; i < RUNS; i++) expect(uuidv7()).toMatch(UUID_V7);
    expect(uuidv7(Date.now())).toMatch(UUID_V7);
  });

  it('embeds the given time in ms (floored), and the clock when none is given', () => {
    fc.assert(
      fc.property(time, (ms) => {
        expect(timeOf(createUuidV7()(ms))).toBe(ms);
      }),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(fc.double({ min: 0, max: MAX_TIME, noNaN: true }), (ms) => {
        expect(timeOf(createUuidV7()(ms))).toBe(Math.floor(ms));
      }),
      { numRuns: RUNS },
    );
    const before = Date.now();
    const id = createUuidV7()();
    expect(timeOf(id)).toBeGreaterThanOrEqual(before);
    expect(timeOf(id)).toBeLessThanOrEqual(Date.now());
  });

  it('falls back to the clock for unusable times and caps times past 2^48 - 1', () => {
    for (const bad of [Number.NaN, -1, -0.5, Number.NEGATIVE_INFINITY]) {
      const before = Date.now();
      expect(timeOf(createUuidV7()(bad))).toBeGreaterThanOrEqual(before);
    }
    expect(timeOf(createUuidV7()(Number.POSITIVE_INFINITY))).toBe(MAX_TIME);
    expect(timeOf(createUuidV7()(2 ** 60))).toBe(MAX_TIME);
    expect(createUuidV7()(0)).toMatch(/^00000000-0000-7/);
    expect(createUuidV7()(MAX_TIME)).toMatch(/^ffffffff-ffff-7/);
  });

  it('is strictly increasing over a tight burst of 100,000 ids', () => {
    const ids: string[] = [];
    for (let i = 0; i < 100_000; i++) ids.push(uuidv7());
    expectIncreasing(ids);
  });

  it('is strictly increasing for non-decreasing clocks, embedding each time', () => {
    // Few distinct values, so the same ms repeats often; < 2048 ids per ms never borrows.
    const clock = fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 100 }).map((steps) => {
      let t = 1_700_000_000_000;
      return steps.map((s) => {
        if (s <= 12) t += s;
        return t;
      });
    });
    fc.assert(
      fc.property(clock, (times) => {
        const gen = createUuidV7();
        const ids = times.map((t) => gen(t));
        expectIncreasing(ids);
        ids.forEach((id, i) => {
          expect(timeOf(id)).toBe(times[i]);
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('is strictly increasing when the clock goes backwards, keeping the latest time', () => {
    fc.assert(
      fc.property(fc.array(time, { maxLength: 100 }), (times) => {
        const gen = createUuidV7();
        const ids = times.map((t) => gen(t));
        expectIncreasing(ids);
        let latest = -1;
        ids.forEach((id, i) => {
          latest = Math.max(latest, times[i] as number);
          expect(timeOf(id)).toBe(latest);
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('is strictly increasing and well formed for any mix of inputs, and never throws', () => {
    fc.assert(
      fc.property(fc.array(anyNow, { maxLength: 50 }), (nows) => {
        const gen = createUuidV7();
        const ids = nows.map((now) => gen(now));
        for (const id of ids) expect(id).toMatch(UUID_V7);
        // The cap at 2^48 - 1 is the one place order can be lost (4096+ ids in the last ms).
        expectIncreasing(ids);
      }),
      { numRuns: RUNS },
    );
  });

  it('counts up by one within a millisecond', () => {
    const gen = createUuidV7();
    const ids = Array.from({ length: 1000 }, () => gen(1_000));
    ids.forEach((id, i) => {
      expect(timeOf(id)).toBe(1_000);
      expect(counterOf(id)).toBe(counterOf(ids[0] as string) + i);
    });
    // The seed leaves at least 2048 ids of room: its top bit is zero.
    expect(counterOf(ids[0] as string)).toBeLessThan(2048);
  });

  it('has no duplicates among 1,000,000 ids', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 1_000_000; i++) ids.add(uuidv7());
    expect(ids.size).toBe(1_000_000);
  });

  it('borrows the next millisecond when the counter overflows, staying increasing', () => {
    const gen = createUuidV7();
    const t = 1_700_000_000_000;
    const ids = Array.from({ length: 10_000 }, () => gen(t));
    expectIncreasing(ids);
    expect(new Set(ids).size).toBe(ids.length);
    // Each ms holds between 2049 (seed 2047) and 4096 (seed 0) ids.
    expect(timeOf(ids[0] as string)).toBe(t);
    const last = timeOf(ids.at(-1) as string);
    expect(last).toBeGreaterThanOrEqual(t + 2);
    expect(last).toBeLessThanOrEqual(t + 4);
    for (let i = 1; i < ids.length; i++) {
      expect(timeOf(ids[i] as string) - timeOf(ids[i - 1] as string)).toBeLessThanOrEqual(1);
    }
    // The real clock is now behind the borrowed time: it is kept until the clock passes it.
    const behind = gen(t + 1);
    expect(timeOf(behind)).toBe(last);
    expect(behind > (ids.at(-1) as string)).toBe(true);
    expect(timeOf(gen(last + 1))).toBe(last + 1);
  });

  it('overflows at exactly 4096 - seed ids per ms (fixed random bytes)', () => {
    // All-zero bytes seed the counter at 0: 4096 ids per ms.
    const zeros = createUuidV7(fill(0));
    const a = Array.from({ length: 4097 }, () => zeros(5_000));
    expect(counterOf(a[0] as string)).toBe(0);
    expect(counterOf(a[4095] as string)).toBe(0xfff);
    expect(timeOf(a[4095] as string)).toBe(5_000);
    expect(timeOf(a[4096] as string)).toBe(5_001);
    expectIncreasing(a);
    // All-0xff bytes seed it at 2047: 2049 ids per ms. Variant bits stay 10, random bits all set.
    const ones = createUuidV7(fill(0xff));
    const b = Array.from({ length: 2050 }, () => ones(5_000));
    expect(b[0]).toBe('00000000-1388-77ff-bfff-ffffffffffff');
    expect(timeOf(b[2048] as string)).toBe(5_000);
    expect(b[2049]).toBe('00000000-1389-77ff-bfff-ffffffffffff');
    expectIncreasing(b);
  });

  it('still produces valid, increasing ids when the random source throws', () => {
    const gen = createUuidV7(() => {
      throw new Error('no entropy');
    });
    const ids = Array.from({ length: 5000 }, () => gen());
    for (const id of ids) expect(id).toMatch(UUID_V7);
    expectIncreasing(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('refills its random pool: ids across many refills keep distinct random bits', () => {
    let fills = 0;
    const gen = createUuidV7((buf) => {
      fills++;
      crypto.getRandomValues(buf);
    });
    const tails = new Set<string>();
    for (let i = 0; i < 10_000; i++) tails.add(gen(42).slice(19));
    expect(fills).toBeGreaterThan(5);
    expect(tails.size).toBe(10_000);
  });

  it('gives each generator its own state', () => {
    const a = createUuidV7();
    const b = createUuidV7();
    expect(timeOf(a(2_000_000))).toBe(2_000_000);
    expect(timeOf(b(1_000))).toBe(1_000);
    expect(timeOf(a(1_000))).toBe(2_000_000);
  });
});
