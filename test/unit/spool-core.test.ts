/**
 * The spool on its own: framing, recovery, rollover, deletion, drop-oldest, in-flight plans
 * and the lock.
 */
import { spawn } from 'node:child_process';
import fsModule, {
  closeSync,
  ftruncateSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { type FileHandle, open as openPromises } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { EventRecord } from '../../packages/voicelake/src/event.js';
import { createAnalytics } from '../../packages/voicelake/src/index.js';
import { silentLogger } from '../../packages/voicelake/src/logger.js';
import { decodeFrames, encodeFrames } from '../../packages/voicelake/src/spool/frame.js';
import { LOCK_STALE_MS, refreshLock } from '../../packages/voicelake/src/spool/lock.js';
import { SegmentSet } from '../../packages/voicelake/src/spool/segments.js';
import { Spool } from '../../packages/voicelake/src/spool/spool.js';
import { spoolStatus } from '../../packages/voicelake/src/spool/status.js';
import { tempDir } from '../helpers/tmp.js';

const rec = (i: number, pad = 50): EventRecord => {
  const line = JSON.stringify({ i, s: 'é🎙'.repeat(pad) });
  return { line, bytes: Buffer.byteLength(line), timeMs: 1_700_000_000_000 + i };
};
const open = (dir: string, extra: Partial<Parameters<typeof Spool.open>[0]> = {}) =>
  Spool.open({
    dir,
    identity: 'test',
    maxBytes: 64 * 1024 * 1024,
    segmentBytes: 1024 * 1024,
    commitIntervalMs: 5,
    cacheBytes: 1024 * 1024,
    logger: silentLogger,
    ...extra,
  });
/** A LOCK file as a process on this host would write it (start time from /proc unless given). */
function lockOf(pid: number, startTime?: string): string {
  let stat = '';
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    stat = '';
  }
  const start = startTime ?? stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  return JSON.stringify({ pid, host: hostname(), bootId, startTime: start, token: 'feedfacefeedface' });
}
const ids = (records: readonly EventRecord[]) => records.map((r) => JSON.parse(r.line).i as number);

/**
 * Run `fn` while node:fs's `openSync` (`sync`) or node:fs/promises' `open` (`promises`) fails
 * with `code` for paths matching `path`: the modules' named exports are patched for everyone
 * (syncBuiltinESMExports), and restored after.
 */
async function withFailingOpen<T>(
  which: 'sync' | 'promises',
  path: RegExp,
  code: string,
  fn: () => T | Promise<T>,
): Promise<T> {
  const target = (which === 'sync' ? fsModule : fsModule.promises) as unknown as Record<
    string,
    (...a: unknown[]) => unknown
  >;
  const name = which === 'sync' ? 'openSync' : 'open';
  const original = target[name] as (...a: unknown[]) => unknown;
  target[name] = (...args: unknown[]) => {
    if (path.test(String(args[0]))) {
      const error = Object.assign(new Error(`${code}: injected, open '${args[0]}'`), { code });
      if (which === 'sync') throw error;
      return Promise.reject(error);
    }
    return original(...args);
  };
  syncBuiltinESMExports();
  try {
    return await fn();
  } finally {
    target[name] = original;
    syncBuiltinESMExports();
  }
}

describe('frames', () => {
  it('round-trip, and decoding stops at a torn or corrupt frame', () => {
    const records = [rec(1), rec(2), rec(3)];
    const buf = encodeFrames(records);
    expect(decodeFrames(buf).records).toEqual(records);
    expect(decodeFrames(buf.subarray(0, buf.length - 3)).records).toEqual(records.slice(0, 2));
    const flipped = Buffer.from(buf);
    const second = decodeFrames(buf).offsets[1] as number;
    flipped[second + 20] = (flipped[second + 20] as number) ^ 0xff;
    expect(decodeFrames(flipped).records).toEqual(records.slice(0, 1));
  });
});

describe('Spool', () => {
  it('reads back what it holds, persists it, and recovers it after a reopen', async () => {
    // Prepare
    const dir = tempDir('vl-spool-unit');
    const first = open(dir);
    first.register('s3');
    for (let i = 0; i < 1000; i++) first.append(rec(i));
    // Act
    expect(await first.held(1000)).toBe('persisted');
    first.ack('s3', 400);
    await first.close();
    const second = open(dir);
    const registration = await second.register('s3');
    const read = await second.read(registration.seq, 10_000, 64 * 1024 * 1024);
    // Assess
    expect(registration.seq).toBe(400);
    expect(read.start).toBe(400);
    expect(ids(read.records)).toEqual(Array.from({ length: 600 }, (_, k) => 400 + k));
    await second.close();
  });

  it('close() writes what was appended while a group commit was running: nothing is lost', async () => {
    // Prepare: a commit in progress (it has read its target and awaits the disk)
    const dir = tempDir('vl-spool-unit');
    const first = open(dir, { commitIntervalMs: 60_000 });
    first.register('s3');
    for (let i = 0; i < 500; i++) first.append(rec(i));
    const running = first.held(500);
    // Act: more records arrive during that commit, then the process closes
    for (let i = 500; i < 510; i++) first.append(rec(i));
    await first.close();
    await running;
    // Assess: a reopened spool holds all 510
    const second = open(dir);
    const read = await second.read((await second.register('s3')).seq, 10_000, 64 * 1024 * 1024);
    expect(second.head).toBe(510);
    expect(ids(read.records)).toEqual(Array.from({ length: 510 }, (_, k) => k));
    await second.close();
  });

  it('rolls segments, reads across them from disk, and deletes segments every destination passed', async () => {
    const dir = tempDir('vl-spool-unit');
    const spool = open(dir, { segmentBytes: 64 * 1024, cacheBytes: 1024 });
    spool.register('a');
    spool.register('b');
    for (let i = 0; i < 3000; i++) spool.append(rec(i));
    await spool.held(3000);
    const segments = readdirSync(dir).filter((f) => f.startsWith('seg-')).length;
    expect(segments).toBeGreaterThan(5);
    const all = await spool.read(0, 10_000, 64 * 1024 * 1024);
    expect(ids(all.records)).toEqual(Array.from({ length: 3000 }, (_, k) => k));
    spool.ack('a', 3000);
    spool.ack('b', 1500);
    await spool.sync();
    const after = readdirSync(dir).filter((f) => f.startsWith('seg-')).length;
    expect(after).toBeLessThan(segments);
    expect(spool.tail).toBeLessThanOrEqual(1500);
    spool.ack('b', 3000);
    await spool.close();
    expect(readdirSync(dir).filter((f) => f.startsWith('seg-'))).toEqual([]);
    // Numbering continues after the cursors, not from zero.
    const reopened = open(dir);
    expect(reopened.head).toBe(3000);
    expect((await reopened.register('a')).seq).toBe(3000);
    await reopened.close();
  });

  it('a spool that fills up during a group commit still writes every record it keeps', async () => {
    // Prepare: 6 small segments pending; their first write waits while 12 more records arrive,
    // more than the spool holds, so its oldest segments are dropped during the write
    const dir = tempDir('vl-spool-unit');
    const spool = open(dir, { segmentBytes: 200, maxBytes: 1400, commitIntervalMs: 60_000 });
    spool.register('s3');
    for (let i = 0; i < 18; i++) spool.append(rec(i, 5));
    const write = SegmentSet.prototype.write;
    let arrivals: (() => void) | undefined = () => {
      for (let i = 18; i < 30; i++) spool.append(rec(i, 5));
    };
    const slowWrite = vi.spyOn(SegmentSet.prototype, 'write').mockImplementation(async function (
      this: SegmentSet,
      ...args: Parameters<SegmentSet['write']>
    ) {
      // Only this spool's first write (another test's spool may still be finishing).
      const during = args[0].path.startsWith(dir) ? arrivals : undefined;
      if (during !== undefined) {
        arrivals = undefined;
        during();
        // The dropped segments' files are removed before this write opens its segment, one of
        // them: a dropped segment must not be created again (its records would come back).
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return write.apply(this, args);
    });
    // Act
    await spool.sync();
    slowWrite.mockRestore();
    const { dropped } = spool.stats();
    const tail = spool.tail;
    await spool.close();
    const reopened = open(dir);
    const read = await reopened.read((await reopened.register('s3')).seq, 1000, 64 * 1024 * 1024);
    // Assess: what was not dropped (and counted) is on disk, every record of it
    expect(dropped).toBeGreaterThan(0);
    expect(tail).toBe(dropped);
    expect(reopened.tail).toBe(tail);
    expect(ids(read.records)).toEqual(Array.from({ length: 30 - tail }, (_, k) => tail + k));
    await reopened.close();
  });

  it('a write that takes only part of the frames (a disk filling up) is continued, not counted whole', async () => {
    // Prepare: a segment whose file handle writes at most 7 bytes a call
    const dir = tempDir('vl-spool-unit');
    const path = join(dir, 'seg-0000000000000000.log');
    const real = await openPromises(path, 'a', 0o600);
    const handle = {
      write: (buf: Buffer, offset: number, length: number) => real.write(buf, offset, Math.min(length, 7)),
      datasync: () => real.datasync(),
      close: () => real.close(),
    } as unknown as FileHandle;
    const set = new SegmentSet(dir, 1024 * 1024);
    const segment = { start: 0, count: 3, globalStart: 0, size: 0, path, handle, writtenBytes: 0 };
    const frames = encodeFrames([rec(1), rec(2), rec(3)]);
    // Act
    await set.write(segment, frames);
    await set.sync();
    await real.close().catch(() => undefined);
    // Assess
    expect(readFileSync(path).equals(frames)).toBe(true);
    expect(segment.writtenBytes).toBe(frames.length);
  });

  it('a failed group commit is retried on its own, with no new event or flush to prompt it', async () => {
    // Prepare: the first write fails
    const dir = tempDir('vl-spool-unit');
    const spool = open(dir, { commitIntervalMs: 60_000 });
    spool.register('s3');
    const failOnce = vi
      .spyOn(SegmentSet.prototype, 'write')
      .mockRejectedValueOnce(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
    for (let i = 0; i < 5; i++) spool.append(rec(i));
    // Act
    expect(await spool.held(5)).toBe('buffered');
    const segmentBytes = () =>
      readdirSync(dir)
        .filter((f) => f.startsWith('seg-'))
        .reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    const before = segmentBytes();
    const deadline = Date.now() + 5000;
    while (segmentBytes() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    failOnce.mockRestore();
    // Assess
    expect(before).toBe(0);
    expect(spool.stats().writeErrors).toBe(1);
    expect(segmentBytes()).toBe(encodeFrames([rec(0), rec(1), rec(2), rec(3), rec(4)]).length);
    await spool.close();
  });

  it('a segment that cannot be read for now (out of file descriptors) is read again later, not skipped', async () => {
    // Prepare: records on disk only (a reopened spool reads them from their segment)
    const dir = tempDir('vl-spool-unit');
    const first = open(dir);
    first.register('s3');
    for (let i = 0; i < 10; i++) first.append(rec(i));
    await first.close();
    const spool = open(dir);
    const cursor = (await spool.register('s3')).seq;
    // Act
    const failed = await withFailingOpen('promises', /seg-\d+\.log$/, 'EMFILE', () =>
      spool.read(cursor, 100, 64 * 1024 * 1024).then(
        () => undefined,
        (error: Error) => error,
      ),
    );
    const later = await spool.read(cursor, 100, 64 * 1024 * 1024);
    // Assess
    expect(failed?.message).toMatch(/EMFILE/);
    expect(later.start).toBe(cursor);
    expect(ids(later.records)).toEqual(Array.from({ length: 10 }, (_, k) => k));
    await spool.close();
  });

  it('a saved cursor ahead of the recovered head is brought back to it: new records are not deleted unsent', async () => {
    // Prepare: 9 records on disk, and a cursor saved at 12 (acks saved before a crash lost records 9-11)
    const dir = tempDir('vl-spool-unit');
    const first = open(dir, { segmentBytes: 200 });
    first.register('s3');
    for (let i = 0; i < 9; i++) first.append(rec(i, 5));
    await first.close();
    const file = JSON.parse(readFileSync(join(dir, 'cursors.json'), 'utf8'));
    file.destinations.s3.seq = 12;
    writeFileSync(join(dir, 'cursors.json'), JSON.stringify(file));
    // Act: the destination is down while 9 new records arrive and are committed
    const spool = open(dir, { segmentBytes: 200 });
    const resume = (await spool.register('s3')).seq;
    for (let i = 9; i < 18; i++) spool.append(rec(i, 5));
    await spool.sync();
    const read = await spool.read(resume, 100, 64 * 1024 * 1024);
    // Assess
    expect(resume).toBe(9);
    expect(read.start).toBe(9);
    expect(ids(read.records)).toEqual(Array.from({ length: 9 }, (_, k) => 9 + k));
    await spool.close();
  });

  it('a flush() racing close() starts no commit of its own: only close() commits', async () => {
    // Prepare: a commit (A) running when close() is called, so close() waits for one more (B);
    // while B writes, a flush asks for a commit
    const dir = tempDir('vl-spool-unit');
    const spool = open(dir, { commitIntervalMs: 60_000 });
    spool.register('s3');
    for (let i = 0; i < 100; i++) spool.append(rec(i));
    const syncs = vi.spyOn(SegmentSet.prototype, 'sync');
    const write = SegmentSet.prototype.write;
    let writes = 0;
    let late: Promise<string> | undefined;
    const writeSpy = vi.spyOn(SegmentSet.prototype, 'write').mockImplementation(async function (
      this: SegmentSet,
      ...args: Parameters<SegmentSet['write']>
    ) {
      if (args[0].path.startsWith(dir) && ++writes === 2) late = spool.held(spool.head);
      return write.apply(this, args);
    });
    // Act
    void spool.sync();
    for (let i = 100; i < 110; i++) spool.append(rec(i));
    await spool.close();
    await new Promise((r) => setTimeout(r, 20));
    const count = syncs.mock.calls.length;
    syncs.mockRestore();
    writeSpy.mockRestore();
    // Assess: A and B, nothing after; the flush got its answer from B
    expect(writes).toBe(2);
    expect(await late).toBe('persisted');
    expect(count).toBe(2);
  });

  it('spool status names a lock it cannot read, with an unknown owner', async () => {
    // Prepare
    const dir = tempDir('vl-spool-unit');
    writeFileSync(join(dir, 'LOCK'), lockOf(999_999));
    // Act
    const status = await withFailingOpen('sync', /\/LOCK$/, 'EMFILE', () => spoolStatus(dir));
    // Assess
    expect(status.owner).toBeUndefined();
    expect(status.lockError).toMatch(/cannot read the lock .*EMFILE/);
  });

  it('truncates a torn tail on open and keeps every complete record', async () => {
    const dir = tempDir('vl-spool-unit');
    const spool = open(dir);
    spool.register('s3');
    for (let i = 0; i < 100; i++) spool.append(rec(i));
    await spool.held(100);
    await spool.close();
    const segment = join(dir, readdirSync(dir).find((f) => f.startsWith('seg-')) as string);
    const fd = openSync(segment, 'r+');
    ftruncateSync(fd, statSync(segment).size - 7);
    closeSync(fd);
    const reopened = open(dir);
    reopened.register('s3');
    const read = await reopened.read(0, 1000, 64 * 1024 * 1024);
    expect(ids(read.records)).toEqual(Array.from({ length: 99 }, (_, k) => k));
    expect(reopened.stats().corruptTails).toBe(1);
    await reopened.close();
  });

  it('a segment whose corrupt tail was cut leaves a gap before the next one: a reader is told to skip it, and gets past it', async () => {
    // Prepare: small segments; a byte of the second one's last record corrupted
    const dir = tempDir('vl-spool-unit');
    const first = open(dir, { segmentBytes: 400 });
    first.register('s3');
    for (let i = 0; i < 20; i++) first.append(rec(i, 5));
    await first.sync();
    await first.close();
    const segments = readdirSync(dir)
      .filter((f) => f.startsWith('seg-'))
      .sort();
    expect(segments.length).toBeGreaterThan(2);
    const second = join(dir, segments[1] as string);
    const bytes = readFileSync(second);
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] as number) ^ 0xff;
    writeFileSync(second, bytes);
    // Act: read the reopened spool the way a destination does
    const spool = open(dir);
    let cursor = (await spool.register('s3')).seq;
    const seen: number[] = [];
    let skipped = 0;
    for (let reads = 0; cursor < spool.head && reads < 50; reads++) {
      const r = await spool.read(cursor, 3, 64 * 1024 * 1024);
      if (r.start > cursor) skipped += r.start - cursor;
      else expect(r.records.length, `read at ${cursor} made progress`).toBeGreaterThan(0);
      seen.push(...ids(r.records));
      cursor = r.start + r.records.length;
      spool.ack('s3', cursor);
    }
    // Assess: everything but the lost record was read, the loss was reported, and the reader reached the head
    expect(cursor).toBe(spool.head);
    expect(spool.stats().corruptRecords).toBe(1);
    expect(skipped).toBe(1);
    expect(seen.length).toBe(19);
    await spool.close();
  });

  it('drops the oldest segments when full, counts them, and reports the gap to a reader', async () => {
    const dir = tempDir('vl-spool-unit');
    const spool = open(dir, { maxBytes: 256 * 1024, segmentBytes: 32 * 1024 });
    spool.register('s3');
    for (let i = 0; i < 5000; i++) spool.append(rec(i));
    await spool.held(5000);
    expect(spool.stats().dropped).toBeGreaterThan(0);
    expect(spool.heldBytes).toBeLessThanOrEqual(256 * 1024);
    const read = await spool.read(0, 10, 1 << 20);
    expect(read.start).toBe(spool.tail);
    expect(read.start).toBe(spool.stats().dropped);
    await spool.close();
  });

  it('reports pending events, bytes and the oldest age per destination (spool status)', async () => {
    const dir = tempDir('vl-spool-unit');
    const spool = open(dir);
    spool.register('s3');
    spool.register('cloudwatch');
    for (let i = 0; i < 100; i++) spool.append(rec(i));
    spool.ack('cloudwatch', 60);
    await spool.sync();
    const status = spoolStatus(dir, 1_700_000_000_000 + 10_000);
    expect(status.owner, 'the live owner in LOCK').toMatchObject({ pid: process.pid, alive: true });
    expect(status.records).toBe(100);
    const byName = Object.fromEntries(status.destinations.map((d) => [d.destination, d]));
    expect(byName.s3).toMatchObject({ events: 100, oldestAgeMs: 10_000 });
    expect(byName.cloudwatch).toMatchObject({ events: 40, oldestAgeMs: 10_000 - 60 });
    expect(byName.s3?.bytes).toBe(
      Array.from({ length: 100 }, (_, i) => rec(i).bytes).reduce((a, b) => a + b, 0),
    );
    await spool.close();
    expect(() => spoolStatus(join(dir, 'missing'))).toThrow(
      expect.objectContaining({ code: 'VL_ERR_SPOOL' }),
    );
  });

  it('hands back an in-flight batch, with its plan, after a reopen', async () => {
    const dir = tempDir('vl-spool-unit');
    const spool = open(dir);
    spool.register('s3');
    for (let i = 0; i < 10; i++) spool.append(rec(i));
    await spool.beginBatch('s3', { start: 0, end: 10, meta: { keys: { p: ['k1'] } } });
    await spool.close();
    const reopened = open(dir);
    expect(await reopened.register('s3')).toEqual({
      seq: 0,
      inflight: { start: 0, end: 10, meta: { keys: { p: ['k1'] } } },
    });
    await reopened.close();
  });

  it('never takes over a lock it cannot read (out of file descriptors): its owner may be alive', async () => {
    // Prepare: a lock that would be stale (a dead pid), but unreadable for now
    const dir = tempDir('vl-spool-unit');
    writeFileSync(join(dir, 'LOCK'), lockOf(999_999));
    // Act
    const attempt = await withFailingOpen('sync', /\/LOCK$/, 'EMFILE', () => {
      try {
        return open(dir);
      } catch (error) {
        return error as Error;
      }
    });
    const later = open(dir);
    // Assess
    expect(attempt).toMatchObject({
      code: 'VL_ERR_SPOOL',
      message: expect.stringMatching(/cannot read the lock .*EMFILE/),
    });
    expect(JSON.parse(readFileSync(join(dir, 'LOCK'), 'utf8')).pid).toBe(process.pid);
    await later.close();
  });

  it('refuses a second owner in this process and a live other process, and takes over a dead one', async () => {
    const dir = tempDir('vl-spool-unit');
    const spool = open(dir);
    expect(() => open(dir)).toThrow(expect.objectContaining({ code: 'VL_ERR_SPOOL' }));
    await spool.close();

    const sleeper = spawn('sleep', ['30']);
    try {
      await new Promise((r) => sleeper.once('spawn', r));
      writeFileSync(join(dir, 'LOCK'), lockOf(sleeper.pid as number));
      expect(() => open(dir)).toThrow(new RegExp(`in use by process ${sleeper.pid}`));
    } finally {
      sleeper.kill();
    }
    // A dead owner, a pid reused by another process (wrong start time), and garbage are all stale.
    for (const stale of [lockOf(999_999), lockOf(process.ppid, '1'), 'garbage\n']) {
      writeFileSync(join(dir, 'LOCK'), stale);
      const takeover = open(dir);
      await takeover.close();
    }
  });
});

describe('a spool directory shared by hosts (containers on one volume)', () => {
  /** A LOCK written by a process on another host, refreshed `ageMs` ago. */
  function otherHostLock(dir: string, ageMs: number, heartbeatMs: number | null = 60_000): void {
    const path = join(dir, 'LOCK');
    const owner = { pid: 1, host: 'container-gone', bootId: 'b', startTime: '7', token: 'c0ffee' };
    writeFileSync(path, JSON.stringify(heartbeatMs === null ? owner : { ...owner, heartbeatMs }));
    const at = new Date(Date.now() - ageMs);
    utimesSync(path, at, at);
  }

  it('leaves a lock from another host alone while its heartbeat is fresh, and takes it over once stale', async () => {
    const dir = tempDir('vl-spool-hosts');
    await open(dir).close();
    otherHostLock(dir, 60_000);
    expect(() => open(dir)).toThrow(/in use by process 1 on container-gone/);
    // Just inside the window is still alive: a clock a few minutes off never steals a live spool.
    otherHostLock(dir, LOCK_STALE_MS - 60_000);
    expect(() => open(dir)).toThrow(/in use by process 1 on container-gone/);
    // Ten missed heartbeats count too, when the owner's interval is long.
    otherHostLock(dir, LOCK_STALE_MS + 60_000, 10 * 60_000);
    expect(() => open(dir)).toThrow(/in use by process 1 on container-gone/);
    otherHostLock(dir, LOCK_STALE_MS + 60_000);
    const status = spoolStatus(dir);
    expect(status.owner).toMatchObject({ host: 'container-gone', alive: false });
    const adopted = open(dir);
    expect(JSON.parse(readFileSync(join(dir, 'LOCK'), 'utf8'))).toMatchObject({ host: hostname() });
    await adopted.close();
  });

  it('never takes over a lock from another host that has no heartbeat (an older voicelake), however old', async () => {
    const dir = tempDir('vl-spool-hosts');
    await open(dir).close();
    otherHostLock(dir, 30 * 24 * 3_600_000, null);
    expect(spoolStatus(dir).owner).toMatchObject({ host: 'container-gone', alive: true });
    expect(() => open(dir)).toThrow(/in use by process 1 on container-gone/);
  });

  it('keeps its own lock fresh while open, and says so once if another process took it over', async () => {
    const dir = tempDir('vl-spool-hosts');
    const errors: string[] = [];
    const logger = { ...silentLogger, error: (_o: unknown, msg?: string) => void errors.push(String(msg)) };
    const spool = open(dir, { heartbeatMs: 20, logger: logger as typeof silentLogger });
    const lock = join(dir, 'LOCK');
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(lock, old, old);
    await expect.poll(() => Date.now() - statSync(lock).mtimeMs, { interval: 5 }).toBeLessThan(5_000);
    expect(JSON.parse(readFileSync(lock, 'utf8'))).toMatchObject({ heartbeatMs: 20, pid: process.pid });
    for (let i = 0; i < 5; i++) spool.append(rec(i));
    await spool.sync();
    // Another host adopted it (this process looked dead to it): the next heartbeat notices.
    otherHostLock(dir, 0);
    const takenOver = () => errors.filter((e) => /lock was taken over by another process/.test(e));
    await expect.poll(() => takenOver().length, { interval: 5 }).toBeGreaterThan(0);
    expect(takenOver()).toHaveLength(1);
    expect(spool.stats()).toMatchObject({ mode: 'memory', reason: expect.stringMatching(/taken over/) });
    // From then on the directory is the new owner's: nothing written, deleted or persisted there.
    const snapshot = () =>
      Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f)).toString('base64')]));
    const before = snapshot();
    for (let i = 5; i < 10; i++) spool.append(rec(i));
    await spool.sync();
    expect(await spool.held(spool.head)).toBe('buffered');
    const read = await spool.read(5, 100, 1 << 20);
    expect(ids(read.records)).toEqual([5, 6, 7, 8, 9]);
    spool.register('local');
    spool.ack('local', spool.head);
    await spool.close();
    expect(spool.removable, "the new owner's directory is never removed").toBe(false);
    expect(snapshot()).toEqual(before);
    expect(JSON.parse(readFileSync(lock, 'utf8'))).toMatchObject({ host: 'container-gone' });
  });

  it('a heartbeat tells a lock taken or tampered with from an I/O error', async () => {
    const dir = tempDir('vl-spool-hosts');
    const owner = { pid: 1, host: 'h', bootId: '', startTime: '', token: 'mine' };
    const path = join(dir, 'LOCK');
    writeFileSync(path, JSON.stringify(owner));
    expect(refreshLock(path, owner)).toBe('ours');
    expect(refreshLock(path, { ...owner, token: 'other' })).toBe('lost');
    writeFileSync(path, 'garbage');
    expect(refreshLock(path, owner)).toBe('lost');
    rmSync(path);
    expect(refreshLock(path, owner)).toBe('lost');
    symlinkSync(join(dir, 'elsewhere'), path);
    expect(refreshLock(path, owner)).toBe('lost');
    // Not the lock's fault: the path cannot be read (here a file where a directory should be).
    const file = join(dir, 'plain');
    writeFileSync(file, '');
    expect(refreshLock(join(file, 'LOCK'), owner)).toBe('unknown');
  });
});

describe('spoolProblem and spoolDirFor', () => {
  it('a default spool root that is not usable is no problem while the per-user temp fallback is: processes spool there', async () => {
    // Prepare: the state directory's `voicelake` is a file, so the default root cannot be made.
    const state = tempDir('vl-state-broken');
    writeFileSync(join(state, 'voicelake'), 'not a directory');
    const options = { env: { XDG_STATE_HOME: state, ANALYTICS_LAKE_DIR: tempDir('vl-lake') } };
    const { spoolDirFor, spoolProblem } = await import('../../packages/voicelake/src/spool/index.js');
    const { createAnalytics } = await import('../../packages/voicelake/src/index.js');
    // Act
    const problem = spoolProblem(options);
    const dir = spoolDirFor(options);
    const analytics = createAnalytics({ ...options, logger: silentLogger });
    const spool = analytics.stats().spool;
    await analytics.close();
    // Assess: the status command and the process agree.
    expect(problem).toBeUndefined();
    expect(dir?.startsWith(state)).toBe(false);
    expect(spool).toMatchObject({ mode: 'disk' });
    expect((spool as { dir?: string }).dir?.startsWith(dir as string)).toBe(true);
  });

  it('an unusable explicit ANALYTICS_SPOOL_DIR: the process refuses to start, and spool status says so (not memory)', async () => {
    // Prepare: the explicit directory is a file.
    const file = join(tempDir('vl-explicit'), 'spool');
    writeFileSync(file, 'not a directory');
    const env = { ...process.env, ANALYTICS_SPOOL_DIR: file, ANALYTICS_LAKE_DIR: tempDir('vl-lake') };
    const { createAnalytics } = await import('../../packages/voicelake/src/index.js');
    const { voicelake, CliFailed } = await import('../helpers/cli.js');
    // Act
    const status = await voicelake(['spool', 'status'], env).then(
      () => undefined,
      (error: unknown) => error,
    );
    // Assess
    expect(() => createAnalytics({ env, logger: silentLogger })).toThrow(
      expect.objectContaining({ code: 'VL_ERR_SPOOL' }),
    );
    expect(status).toBeInstanceOf(CliFailed);
    const failed = status as InstanceType<typeof CliFailed>;
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(
      /^unusable spool directory .*fail at createAnalytics\(\) with a SpoolError/,
    );
    expect(failed.stdout).not.toMatch(/memory only/);
  });

  it('says why when neither root is usable', async () => {
    // Prepare: both the state directory and the temp fallback are files.
    const root = tempDir('vl-roots-broken');
    writeFileSync(join(root, 'voicelake'), 'x');
    const { spoolProblem } = await import('../../packages/voicelake/src/spool/index.js');
    const saved = process.env.TMPDIR;
    const tmp = tempDir('vl-tmp-broken');
    process.env.TMPDIR = tmp;
    try {
      writeFileSync(join(tmp, `voicelake-${process.getuid?.() ?? 0}`), 'x');
      // Act
      const problem = spoolProblem({ env: { XDG_STATE_HOME: root, ANALYTICS_LAKE_DIR: tempDir('vl-lake') } });
      // Assess
      expect(problem).toContain(join(root, 'voicelake'));
      expect(problem).toContain(tmp);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });
});

describe('Analytics.close() on a spool whose disk stalls', () => {
  /** Analytics whose only destination (S3) cannot be reached, spooling under `dir`. */
  const unreachableS3 = (dir: string) =>
    createAnalytics({
      s3: { bucket: 'vl-unreachable' },
      local: false,
      aws: { endpoint: 'http://127.0.0.1:1', region: 'us-east-1', connectionTimeoutMs: 50 },
      spool: { dir: join(dir, 'spool') },
      logger: silentLogger,
      env: {},
    });

  it('returns within its bound (and a second) and says it timed out', async () => {
    // Prepare: a destination that cannot deliver, and a spool whose close never finishes
    const dir = tempDir('vl-spool-unit');
    const analytics = unreachableS3(dir);
    for (let i = 0; i < 10; i++) analytics.track({ type: 'custom', callId: 'c1' });
    const stall = vi.spyOn(Spool.prototype, 'close').mockReturnValue(new Promise<void>(() => undefined));
    // Act
    const started = Date.now();
    const closed = await analytics.close({ timeoutMs: 200 });
    const took = Date.now() - started;
    stall.mockRestore();
    // Assess
    expect(took).toBeLessThan(3000);
    expect(closed.timedOut).toBe(true);
    // The flush inside close() saw them fsynced before the spool's close stalled.
    expect(closed.destinations.s3).toBe('persisted');
    expect(closed.undelivered.s3).toBe(10);
  });

  it('a disk that refuses every write: close() does not say the events were persisted', async () => {
    // Prepare
    const dir = tempDir('vl-spool-unit');
    const analytics = unreachableS3(dir);
    const full = vi
      .spyOn(SegmentSet.prototype, 'write')
      .mockRejectedValue(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
    for (let i = 0; i < 10; i++) analytics.track({ type: 'custom', callId: 'c1' });
    // Act: a bound too short for the flush, so close() itself says what became of the events
    const closed = await analytics.close({ timeoutMs: 1 });
    full.mockRestore();
    // Assess
    expect(closed.destinations.s3).toBe('buffered');
    expect(closed.undelivered.s3).toBe(10);
  });
});
