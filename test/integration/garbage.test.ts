/**
 * `track()` given garbage neither throws nor affects the events around it, and every
 * refusal is counted by reason.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAnalytics } from '../../packages/voicelake/src/index.js';
import { silentLogger } from '../../packages/voicelake/src/logger.js';
import { readLocalLake } from '../helpers/lake.js';

describe('track() with garbage', () => {
  it('never throws, keeps every valid neighbour, and counts each rejection by reason', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'vl-garbage-'));
    const analytics = createAnalytics({
      local: { dir },
      logger: silentLogger,
      env: {},
      spool: { dir: `${dir}.spool` },
    });
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    const garbage: unknown[] = [
      undefined,
      'a string',
      { type: 'x', callId: 'c', data: { loop: circular } },
      { type: 'x', callId: 'c', data: { big: 10n } },
      { type: 'x', callId: 'c', data: { blob: 'z'.repeat(5 * 1024 * 1024) } },
      null,
      42,
      [1, 2],
      { type: '', callId: 'c' },
      { type: 'x' },
      { type: 'x', callId: 'c', time: 'not a date' },
      { type: 'x', callId: 'c', data: { ttftMs: 'fast' } },
      { type: 'x', callId: 'c', data: { promptTokens: 1.5 } },
      { type: 'x', callId: 'c', time: '2024-02-30T00:00:00Z' },
      { type: 'x', callId: 'c', time: '2024-06-01T23:30:00' },
    ];
    const valid: string[] = [];
    // Act
    for (let i = 0; i < garbage.length; i++) {
      const before = analytics.track({ type: 'ok', callId: `call-${i}`, data: { ttftMs: i } });
      const bad = (() => {
        try {
          return analytics.track(garbage[i]);
        } catch (error) {
          return error;
        }
      })();
      const after = analytics.track({ type: 'ok', callId: `call-${i}`, data: { ttftMs: i + 0.5 } });
      expect(bad).toMatchObject({ accepted: false });
      for (const r of [before, after]) if (r.accepted) valid.push(r.eventId);
    }
    await analytics.close();
    // Assess
    expect(valid).toHaveLength(garbage.length * 2);
    const stored = readLocalLake(dir).map((l) => l.event);
    expect(stored.map((e) => e.event_id).sort()).toEqual([...valid].sort());
    expect(analytics.stats().rejected).toEqual({
      not_an_object: 5,
      unserializable: 2,
      too_large: 1,
      invalid_type: 1,
      invalid_call_id: 1,
      invalid_time: 3,
      invalid_field: 2,
    });
    expect(analytics.stats().accepted).toBe(valid.length);
    expect(analytics.track({ type: 'late', callId: 'c' })).toMatchObject({
      accepted: false,
      reason: 'closed',
    });
  });
});
