/**
 * What a process reports while spools recover (issue 22's gaps): `close()` during the recovery
 * of an adopted spool counts that spool's events in `adopted` and leaves every one of them on
 * disk for the next process; `stats().destinations[name].pending` never counts more than the
 * spool can hold while its own leftover is recovered, and is exact once it is done.
 */
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { Adopter } from '../../packages/voicelake/src/adoption.js';
import { createAnalytics } from '../../packages/voicelake/src/index.js';
import { silentLogger } from '../../packages/voicelake/src/logger.js';
import { Spool } from '../../packages/voicelake/src/spool/spool.js';
import { configOf, envWithDeadS3, leaveSpool } from '../helpers/leftover-spool.js';

const LEFTOVER_BYTES = 48 * 1024 * 1024;
/** Polls often enough to see a recovery of tens of MB still running. */
const SOON = { timeout: 30_000, interval: 1 };

/** Undelivered events for `destination` in the spool directory `dir`, as the next process finds them. */
async function leftIn(dir: string, identity: string, destination: string): Promise<number> {
  const spool = Spool.open({
    dir,
    identity,
    maxBytes: 4 * LEFTOVER_BYTES,
    segmentBytes: 8 * 1024 * 1024,
    commitIntervalMs: 50,
    cacheBytes: 1024 * 1024,
    logger: silentLogger,
  });
  const from = await spool.register(destination);
  const left = spool.head - from.seq;
  await spool.close();
  return left;
}

describe('counts while a spool recovers', () => {
  it('close() while an adopted spool is still recovering: its events are reported in `adopted`, and all stay on disk', async () => {
    // Prepare: a leftover of tens of MB under the default spool root; S3 refuses connections.
    const env = await envWithDeadS3('vl-recovery-counts');
    const { identity, root } = configOf(env);
    const dir = join(root, 'p-1-0123456789ab');
    const events = await leaveSpool(dir, identity, LEFTOVER_BYTES);
    const analytics = createAnalytics({ env, logger: silentLogger });
    await vi.waitFor(() => expect(analytics.stats().adoption?.recovering).toBe(1), SOON);
    // Act: close in the middle of the recovery.
    const result = await analytics.close({ timeoutMs: 10_000 });
    // Assess: counted (the recovery finished within the bound), and nothing lost.
    expect(result.timedOut).toBe(false);
    expect(result.adopted).toEqual({ s3: events });
    expect(result.adoptedLowerBound).toBeUndefined();
    expect(await leftIn(dir, identity, 's3')).toBe(events);
  });

  it('the adopter reports a spool still recovering as a lower bound, flagged, and never more than it holds', async () => {
    // Prepare
    const env = await envWithDeadS3('vl-recovery-counts');
    const { identity, root, config } = configOf(env);
    const dir = join(root, 'p-2-0123456789ab');
    const events = await leaveSpool(dir, identity, LEFTOVER_BYTES);
    const adopter = new Adopter(root, join(root, 'p-3-0123456789ab'), config, ['s3']);
    // Act
    adopter.start();
    await vi.waitFor(() => expect(adopter.stats().recovering).toBe(1), SOON);
    const during = adopter.undelivered();
    await vi.waitFor(() => expect(adopter.stats().adopted).toBe(1), SOON);
    const after = adopter.undelivered();
    await adopter.close();
    // Assess
    expect(during.lowerBound).toBe(true);
    expect(during.counts.s3 ?? 0).toBeLessThanOrEqual(events);
    expect(after).toEqual({ counts: { s3: events }, lowerBound: false });
    expect(await leftIn(dir, identity, 's3')).toBe(events);
  });

  it('starting on an own leftover: `pending` never counts more than the spool holds while it recovers, and is exact once done', async () => {
    // Prepare: the leftover is this process's own spool (ANALYTICS_SPOOL_DIR).
    const env = await envWithDeadS3('vl-recovery-counts');
    const dir = join(configOf(env).root, 'own');
    const events = await leaveSpool(dir, configOf(env).identity, LEFTOVER_BYTES);
    const analytics = createAnalytics({ env: { ...env, ANALYTICS_SPOOL_DIR: dir }, logger: silentLogger });
    // Act: track while it recovers, and look at the counts.
    const seen: number[] = [];
    let tracked = 0;
    await vi.waitFor(() => {
      expect(analytics.track({ type: 'call_started', callId: 'c-1' }).accepted).toBe(true);
      tracked++;
      const stats = analytics.stats();
      if (stats.spool?.mode === 'disk' && stats.spool.recovering)
        seen.push(stats.destinations.s3?.pending ?? Number.NaN);
      expect(stats.spool).toMatchObject({ recovering: false });
    }, SOON);
    const done = analytics.stats().destinations.s3?.pending;
    await analytics.close({ timeoutMs: 0 });
    // Assess
    expect(seen.length).toBeGreaterThan(0);
    for (const pending of seen) {
      expect(pending).toBeGreaterThanOrEqual(1);
      expect(pending).toBeLessThanOrEqual(events + tracked);
    }
    expect(done).toBe(events + tracked);
  });
});
