/** track({ eventId }) keeps a caller's id (the collector's deterministic ids); commit() waits for the spool's fsync. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAnalytics } from '../../packages/voicelake/src/index.js';
import { tempDir } from '../helpers/tmp.js';

const silent = { info() {}, warn() {}, error() {}, debug() {} } as never;

describe('track({ eventId }) and commit()', () => {
  it('keeps a given lowercase UUID, refuses anything else with invalid_event_id', async () => {
    // Prepare
    const analytics = createAnalytics({ spool: false, local: { dir: tempDir('vl-eid') }, logger: silent });
    const id = '0190a1b2-c3d4-7e5f-8a9b-0123456789ab';
    // Act
    const kept = analytics.track({ type: 't', callId: 'c', eventId: id });
    const upper = analytics.track({ type: 't', callId: 'c', eventId: id.toUpperCase() });
    const notUuid = analytics.track({ type: 't', callId: 'c', eventId: 'span-1' });
    await analytics.close();
    // Assess
    expect(kept).toEqual({ accepted: true, eventId: id });
    expect(upper).toMatchObject({ accepted: false, reason: 'invalid_event_id' });
    expect(notUuid).toMatchObject({ accepted: false, reason: 'invalid_event_id' });
    expect(analytics.stats().rejected).toEqual({ invalid_event_id: 2 });
  });

  it('resolves persisted once the events are in a spool segment on disk', async () => {
    // Prepare
    const spool = tempDir('vl-commit');
    const analytics = createAnalytics({
      spool: { dir: spool },
      local: { dir: tempDir('vl-commit-lake') },
      logger: silent,
    });
    // Act
    for (let i = 0; i < 100; i++) analytics.track({ type: 't', callId: 'c', data: { n: i } });
    const outcome = await analytics.commit();
    const bytes = readdirSync(spool)
      .filter((f) => f.startsWith('seg-'))
      .reduce((n, f) => n + statSync(join(spool, f)).size, 0);
    await analytics.close();
    // Assess
    expect(outcome).toBe('persisted');
    expect(bytes).toBeGreaterThan(100 * 50);
  });

  it('answers buffered without a spool', async () => {
    // Prepare
    const analytics = createAnalytics({
      spool: false,
      local: { dir: tempDir('vl-commit-mem') },
      logger: silent,
    });
    analytics.track({ type: 't', callId: 'c' });
    // Act
    const outcome = await analytics.commit();
    await analytics.close();
    // Assess
    expect(outcome).toBe('buffered');
  });
});
