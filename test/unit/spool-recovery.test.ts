/**
 * Recovery in the background (issue 22): records tracked while a spool recovers what a previous
 * process left are durable from the first group commit, then numbered right after the
 * recovered ones; pending segments a crash left are placed after the recovered segments.
 */
import { appendFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EventRecord } from '../../packages/voicelake/src/event.js';
import { silentLogger } from '../../packages/voicelake/src/logger.js';
import { encodeFrames } from '../../packages/voicelake/src/spool/frame.js';
import { pendingName, segmentName } from '../../packages/voicelake/src/spool/segment-files.js';
import { SegmentSet } from '../../packages/voicelake/src/spool/segments.js';
import { Spool } from '../../packages/voicelake/src/spool/spool.js';
import { tempDir } from '../helpers/tmp.js';

const rec = (i: number): EventRecord => {
  const line = JSON.stringify({ i, s: 'x'.repeat(200) });
  return { line, bytes: Buffer.byteLength(line), timeMs: 1_700_000_000_000 + i };
};
const open = (dir: string) =>
  Spool.open({
    dir,
    identity: 'test',
    maxBytes: 64 * 1024 * 1024,
    segmentBytes: 64 * 1024,
    commitIntervalMs: 5,
    cacheBytes: 1024,
    logger: silentLogger,
  });
const ids = (records: readonly EventRecord[]) => records.map((r) => JSON.parse(r.line).i as number);

/** A spool left with `count` undelivered records for `s3`. */
async function leftover(count: number): Promise<string> {
  const dir = tempDir('vl-spool-recovery');
  const spool = open(dir);
  spool.register('s3');
  for (let i = 0; i < count; i++) spool.append(rec(i));
  await spool.close();
  return dir;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('a spool recovering in the background', () => {
  it('makes records tracked meanwhile durable at once, then numbers them after the recovered ones', async () => {
    // Prepare: recovery held until the test lets it go.
    const dir = await leftover(1000);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const recover = SegmentSet.prototype.recover;
    vi.spyOn(SegmentSet.prototype, 'recover').mockImplementation(async function (this: SegmentSet, ...args) {
      await gate;
      return recover.apply(this, args);
    });
    // Act
    const spool = open(dir);
    const recovering = spool.stats().recovering;
    for (let i = 1000; i < 1010; i++) spool.append(rec(i));
    const held = await spool.held(spool.head);
    const whileRecovering = readdirSync(dir).filter((f) => f.startsWith('pending-'));
    release();
    await spool.recovered(0);
    const registration = await spool.register('s3');
    const read = await spool.read(registration.seq, 10_000, 64 * 1024 * 1024);
    const files = readdirSync(dir);
    await spool.close();
    const reopened = open(dir);
    await reopened.recovered(0);
    const again = await reopened.read((await reopened.register('s3')).seq, 10_000, 64 * 1024 * 1024);
    // Assess
    expect(recovering).toBe(true);
    expect(held, 'durable while recovering').toBe('persisted');
    expect(whileRecovering).toHaveLength(1);
    expect(registration.seq).toBe(0);
    expect(read.start).toBe(0);
    expect(ids(read.records)).toEqual(Array.from({ length: 1010 }, (_, k) => k));
    expect(
      files.filter((f) => f.startsWith('pending-')),
      'renamed to seg- names',
    ).toEqual([]);
    expect(spool.stats()).toMatchObject({ recovering: false, corruptTails: 0, corruptRecords: 0 });
    expect(ids(again.records)).toEqual(Array.from({ length: 1010 }, (_, k) => k));
    expect(reopened.stats()).toMatchObject({ corruptTails: 0, corruptRecords: 0 });
    await reopened.close();
  });

  it('places the pending segments a crash left after the recovered ones, numbered on, nothing counted lost', async () => {
    // Prepare: 100 records in segments, and 10 more in a pending segment with a provisional number.
    const dir = await leftover(100);
    const pending = Array.from({ length: 10 }, (_, k) => rec(100 + k));
    writeFileSync(join(dir, pendingName(987_654)), encodeFrames(pending), { mode: 0o600 });
    // Act
    const spool = open(dir);
    await spool.recovered(0);
    const read = await spool.read((await spool.register('s3')).seq, 10_000, 64 * 1024 * 1024);
    // Assess
    expect(spool.head).toBe(110);
    expect(ids(read.records)).toEqual(Array.from({ length: 110 }, (_, k) => k));
    expect(spool.stats()).toMatchObject({ corruptTails: 0, corruptRecords: 0 });
    expect(readdirSync(dir)).toContain('seg-0000000000000100.log');
    expect(readdirSync(dir).filter((f) => f.startsWith('pending-'))).toEqual([]);
    await spool.close();
  });

  it('checks frames across its read chunks and longer than them, and cuts a torn tail as before', async () => {
    // Prepare: small records around one of 3 MiB (longer than the 1 MiB read buffer), then half a frame.
    const dir = await leftover(0);
    const big = { line: JSON.stringify({ i: 1, s: 'y'.repeat(3 * 1024 * 1024) }), timeMs: 1_700_000_000_001 };
    const records = [
      rec(0),
      { ...big, bytes: Buffer.byteLength(big.line) },
      ...Array.from({ length: 5000 }, (_, k) => rec(2 + k)),
    ];
    const frames = encodeFrames(records);
    const path = join(dir, segmentName(0));
    writeFileSync(path, frames, { mode: 0o600 });
    appendFileSync(path, encodeFrames([rec(5002)]).subarray(0, 30));
    // Act
    const spool = open(dir);
    await spool.recovered(0);
    const read = await spool.read((await spool.register('s3')).seq, 10_000, 64 * 1024 * 1024);
    // Assess
    expect(spool.head).toBe(5002);
    expect(ids(read.records)).toEqual(Array.from({ length: 5002 }, (_, k) => k));
    expect(spool.stats()).toMatchObject({ corruptTails: 1 });
    expect(statSync(path).size).toBe(frames.length);
    await spool.close();
  });
});
