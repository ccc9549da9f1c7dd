/**
 * Recovery off the event loop (issue 22): a process that adopts a leftover spool of tens of MB,
 * or starts on one given as ANALYTICS_SPOOL_DIR, keeps a 1 ms timer on time (never late by more
 * than 50 ms: generous for CI noise, far below the hundreds a synchronous recovery costs),
 * returns from createAnalytics() at once, and makes its first event durable while it recovers.
 */
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configOf, envWithDeadS3, leaveSpool } from '../helpers/leftover-spool.js';
import { resultOf, runNode } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';

const fixture = resolve(import.meta.dirname, '../fixtures/loop-gap.mjs');
const LEFTOVER_BYTES = 40 * 1024 * 1024;
const MAX_LATE_MS = 50;

interface GapResult {
  createMs: number;
  committed: string;
  worstLateMs: number;
  eldMaxMs: number;
  stats: {
    spool: { diskBytes: number; segments: number };
    adoption?: { adopted: number; events: number };
  };
}

describe('recovering a leftover spool of tens of MB', () => {
  it('adopting it: a 1 ms timer is never late by more than 50 ms', async () => {
    // Prepare
    const env = await envWithDeadS3('vl-recovery-loop');
    const { identity, root } = configOf(env);
    const events = await leaveSpool(join(root, 'p-1-0123456789ab'), identity, LEFTOVER_BYTES);
    // Act
    const run = await runNode(fixture, { ...env, VL_EXPECT_ADOPTED: '1' });
    // Assess
    const result = resultOf<GapResult>(run.stdout);
    expect(result.worstLateMs, JSON.stringify(result)).toBeLessThan(MAX_LATE_MS);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('CLOSED ');
    expect(result.stats.adoption).toMatchObject({ adopted: 1, events });
    expect(result.committed).toBe('persisted');
  });

  it('starting on it (ANALYTICS_SPOOL_DIR): createAnalytics() returns at once, and a 1 ms timer is never late by more than 50 ms', async () => {
    // Prepare
    const env = await envWithDeadS3('vl-recovery-loop');
    const dir = join(tempDir('vl-recovery-own'), 'spool');
    await leaveSpool(dir, configOf(env).identity, LEFTOVER_BYTES);
    // Act
    const run = await runNode(fixture, { ...env, ANALYTICS_SPOOL_DIR: dir });
    // Assess
    const result = resultOf<GapResult>(run.stdout);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('CLOSED ');
    expect(result.createMs, JSON.stringify(result)).toBeLessThan(MAX_LATE_MS);
    expect(result.worstLateMs, JSON.stringify(result)).toBeLessThan(MAX_LATE_MS);
    expect(result.stats.spool.diskBytes).toBeGreaterThan(LEFTOVER_BYTES);
    expect(result.committed).toBe('persisted');
  });
});
