/**
 * No PutLogEvents request breaks a limit: a proxy between the SDK and moto records every
 * request body, and each is checked against the published limits.
 */

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seededRandom } from '../../packages/voicelake/src/demo/generator.js';
import { createAnalytics } from '../../packages/voicelake/src/index.js';
import { silentLogger } from '../../packages/voicelake/src/logger.js';
import { clients, readLogGroup, uniqueName } from '../helpers/aws.js';
import { type InspectingProxy, startProxy } from '../helpers/proxy.js';
import { tempDir } from '../helpers/tmp.js';

const HOUR = 3_600_000;
const endpoint = inject('motoEndpoint');
const { logs } = clients(endpoint);

interface PutBody {
  logEvents: { timestamp: number; message: string }[];
}

describe('PutLogEvents requests respect every CloudWatch limit', () => {
  let proxy: InspectingProxy;
  const logGroup = uniqueName('/voicelake/limits');
  let stats: ReturnType<ReturnType<typeof createAnalytics>['stats']>;
  const expectedSent = { normal: 0, large: 0 };

  beforeAll(async () => {
    // Prepare: events spread over 3 days (so spans exceed 24 h), out of order, some larger
    // than the 256 KB event limit, some too old (20 days) and too new (5 h ahead).
    proxy = await startProxy(endpoint);
    const analytics = createAnalytics({
      s3: false,
      local: false,
      cloudWatch: { logGroup },
      aws: { endpoint: proxy.endpoint, region: 'us-east-1' },
      logger: silentLogger,
      spool: { dir: tempDir('vl-spool') },
    });
    const now = Date.now();
    const random = seededRandom(7);
    // Act
    for (let i = 0; i < 25_000; i++) {
      const time = now - Math.floor(random() * 72 * HOUR);
      analytics.track({
        type: 'llm_metrics',
        callId: `c${i % 7}`,
        time,
        data: { ttftMs: i, note: 'x'.repeat(40) },
      });
      expectedSent.normal++;
    }
    for (let i = 0; i < 6; i++) {
      analytics.track({
        type: 'big',
        callId: 'c-big',
        time: now - i * 30 * HOUR,
        data: { blob: 'y'.repeat(400_000) },
      });
      expectedSent.large++;
    }
    analytics.track({ type: 'old', callId: 'c-old', time: now - 20 * 24 * HOUR });
    analytics.track({ type: 'new', callId: 'c-new', time: now + 5 * HOUR });
    await analytics.close({ timeoutMs: 60_000 });
    stats = analytics.stats();
  });

  afterAll(async () => {
    await proxy.close();
    logs.destroy();
  });

  it('every request is within bytes + 26, 10,000 events, chronological, under 24 h, event size', () => {
    const puts = proxy.requests.filter((r) => r.target?.endsWith('.PutLogEvents'));
    expect(puts.length).toBeGreaterThan(3);
    let total = 0;
    for (const put of puts) {
      const body = JSON.parse(put.body.toString('utf8')) as PutBody;
      const events = body.logEvents;
      total += events.length;
      expect(events.length).toBeGreaterThan(0);
      expect(events.length).toBeLessThanOrEqual(10_000);
      const bytes = events.reduce((n, e) => n + Buffer.byteLength(e.message) + 26, 0);
      expect(bytes).toBeLessThanOrEqual(1_048_576);
      for (let i = 1; i < events.length; i++) {
        expect(events[i]?.timestamp).toBeGreaterThanOrEqual(events[i - 1]?.timestamp as number);
      }
      const first = events[0]?.timestamp as number;
      const last = events[events.length - 1]?.timestamp as number;
      expect(last - first).toBeLessThan(24 * HOUR);
      for (const e of events) {
        expect(Buffer.byteLength(e.message) + 26).toBeLessThanOrEqual(262_144);
        expect(e.timestamp).toBeGreaterThan(Date.now() - 14 * 24 * HOUR);
        expect(e.timestamp).toBeLessThan(Date.now() + 2 * HOUR);
      }
    }
    expect(total).toBe(expectedSent.normal + expectedSent.large);
  });

  it('oversized events are truncated and marked; too old and too new are counted, not silent', async () => {
    const cw = stats.destinations.cloudwatch;
    expect(cw?.truncated).toBe(6);
    expect(cw?.skipped).toEqual({ too_old: 1, too_new: 1 });
    expect(cw?.delivered).toBe(expectedSent.normal + expectedSent.large);
    expect(cw?.pending).toBe(0);
    const stored = await readLogGroup(logs, logGroup);
    expect(stored).toHaveLength(expectedSent.normal + expectedSent.large);
    const truncated = stored.map((e) => JSON.parse(e.message as string)).filter((m) => m.truncated === true);
    expect(truncated).toHaveLength(6);
    for (const t of truncated) {
      expect(t.event_type).toBe('big');
      expect(t.original_bytes).toBeGreaterThan(400_000);
      expect(typeof t.event_id).toBe('string');
    }
  });
});

describe('events CloudWatch rejects in a batch it accepted (rejectedLogEventsInfo)', () => {
  it('count as skipped records by reason, once each; rejected EMF documents count neither as skipped nor as sent', async () => {
    // Prepare: one call ending (its summary becomes an EMF document beside its events), sent in
    // one PutLogEvents that the proxy answers as CloudWatch does when every event of the batch is
    // too old and the first half is also expired.
    const proxy = await startProxy(endpoint);
    let sent: { message: string }[] = [];
    proxy.faults.push({
      target: '.PutLogEvents',
      times: 1,
      reply: (body) => {
        sent = (body as { logEvents: { message: string }[] }).logEvents;
        return {
          // End indexes exclusive, as the API reference defines tooOldLogEventEndIndex.
          rejectedLogEventsInfo: {
            tooOldLogEventEndIndex: sent.length,
            expiredLogEventEndIndex: Math.floor(sent.length / 2),
          },
        };
      },
    });
    const analytics = createAnalytics({
      s3: false,
      local: false,
      cloudWatch: { logGroup: uniqueName('/voicelake/rejected') },
      aws: { endpoint: proxy.endpoint, region: 'us-east-1' },
      logger: silentLogger,
      spool: false,
    });
    const now = Date.now();
    for (let i = 0; i < 5; i++)
      analytics.track({ type: 'llm_metrics', callId: 'c1', time: now + i, data: { ttftMs: 300 } });
    analytics.track({
      type: 'call_ended',
      callId: 'c1',
      time: now + 10,
      data: { callDurationMs: 60_000, turns: 3 },
    });
    // Act
    await analytics.close({ timeoutMs: 30_000 });
    await proxy.close();
    // Assess
    const emfSent = sent.filter((e) => e.message.includes('"_aws"')).length;
    expect(emfSent, 'the batch held the call summary as an EMF document').toBe(1);
    const records = sent.length - emfSent;
    expect(records).toBe(6);
    const half = Math.floor(sent.length / 2);
    const emfInExpired = sent.slice(0, half).filter((e) => e.message.includes('"_aws"')).length;
    const cw = analytics.stats().destinations.cloudwatch;
    expect(cw?.skipped).toEqual({ expired: half - emfInExpired, too_old: records - (half - emfInExpired) });
    expect(cw?.delivered).toBe(0);
    expect(cw?.emf ?? 0).toBe(0);
  }, 60_000);
});
