/**
 * Lock contention is retried with timers, never a synchronous sleep (issue 22): while another
 * live process holds the takeover of a dead owner's lock, the event loop keeps running, and
 * the lock is taken as soon as that process lets go.
 */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../../packages/voicelake/src/spool/lock-acquire.js';
import { tempDir } from '../helpers/tmp.js';

/** A lock file naming `pid` on this host, with its start time from /proc (`''`: none). */
function lockOf(pid: number, startTime: string, token: string): string {
  const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  return JSON.stringify({ pid, host: hostname(), bootId, startTime, token });
}
const ownStart = (): string => {
  const stat = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
};

/** A dead owner's LOCK whose takeover a live process (this one) is in the middle of. */
function contended(): string {
  const dir = tempDir('vl-lock-contention');
  writeFileSync(join(dir, 'LOCK'), lockOf(999_999, '', 'dead'));
  writeFileSync(join(dir, 'LOCK.takeover'), lockOf(process.pid, ownStart(), 'taker'));
  return dir;
}

/** Run `act` while a 1 ms interval timer measures its worst lateness and counts its ticks. */
async function timed<T>(
  act: (ticks: () => number) => Promise<T>,
): Promise<{ result: T; worstLateMs: number; ticks: number }> {
  let last = performance.now();
  let worstLateMs = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worstLateMs = Math.max(worstLateMs, now - last - 1);
    last = now;
    ticks++;
  }, 1);
  try {
    const result = await act(() => ticks);
    return { result, worstLateMs, ticks };
  } finally {
    clearInterval(timer);
  }
}

describe('spool lock contention', () => {
  it('is retried with timers: the event loop runs meanwhile, and it ends in a SpoolError', async () => {
    // Prepare
    const dir = contended();
    // Act
    const { result, worstLateMs, ticks } = await timed(() =>
      acquireLock(dir).then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    // Assess
    expect(result).toMatchObject({
      code: 'VL_ERR_SPOOL',
      message: expect.stringMatching(/too much contention/),
    });
    expect(ticks, 'the 1 ms timer ran while the lock was retried').toBeGreaterThan(20);
    expect(worstLateMs).toBeLessThan(20);
  });

  it('is taken as soon as the other process lets go of the takeover', async () => {
    // Prepare
    const dir = contended();
    // Act: the other taker gives up once the loop has run a few times.
    const { result } = await timed(async (ticks) => {
      const attempt = acquireLock(dir);
      await expect.poll(ticks).toBeGreaterThan(5);
      unlinkSync(join(dir, 'LOCK.takeover'));
      return attempt;
    });
    // Assess
    expect(result.owner.pid).toBe(process.pid);
    expect(JSON.parse(readFileSync(join(dir, 'LOCK'), 'utf8')).token).toBe(result.owner.token);
    result.release();
  });
});
