/** batchForCloudWatch: PutLogEvents limits, order, 24 h spans, too old/too new, truncation. */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../packages/voicelake/src/demo/generator.js';
import {
  batchForCloudWatch,
  CW_LIMITS,
  truncateLine,
} from '../../packages/voicelake/src/sinks/cloudwatch-batch.js';

const NOW = Date.UTC(2026, 10, 24, 12);

describe('batchForCloudWatch', () => {
  const record = (timeMs: number, size: number) => {
    const line = JSON.stringify({ event_id: `id-${timeMs}-${size}`, pad: 'p'.repeat(size) });
    return { line, bytes: Buffer.byteLength(line), timeMs };
  };

  it('splits into requests within every limit, sorted, without losing an event', () => {
    // Prepare: 30,000 events over 3 days, out of order, some large, a few too old or too new.
    const random = seededRandom(42);
    const records = Array.from({ length: 30_000 }, () =>
      record(
        NOW - Math.floor(random() * 72 * 3_600_000),
        Math.floor(random() * (random() < 0.01 ? 300_000 : 400)),
      ),
    );
    records.push(record(NOW - 20 * 86_400_000, 10), record(NOW + 5 * 3_600_000, 10));
    // Act
    const b = batchForCloudWatch(records, { now: NOW });
    // Assess
    let total = 0;
    for (const batch of b.batches) {
      total += batch.length;
      expect(batch.length).toBeLessThanOrEqual(CW_LIMITS.maxBatchEvents);
      expect(batch.reduce((n, e) => n + e.bytes + 26, 0)).toBeLessThanOrEqual(CW_LIMITS.maxBatchBytes);
      for (let i = 1; i < batch.length; i++) {
        expect((batch[i] as { timestamp: number }).timestamp).toBeGreaterThanOrEqual(
          (batch[i - 1] as { timestamp: number }).timestamp,
        );
      }
      expect((batch.at(-1)?.timestamp ?? 0) - (batch[0]?.timestamp ?? 0)).toBeLessThan(CW_LIMITS.maxSpanMs);
      for (const e of batch) expect(e.bytes + 26).toBeLessThanOrEqual(CW_LIMITS.maxEventBytes);
    }
    expect(b.tooOld).toBe(1);
    expect(b.tooNew).toBe(1);
    expect(total + b.tooOld + b.tooNew).toBe(records.length);
    expect(b.truncated).toBeGreaterThan(0);
  });

  it('truncates an oversized line into a marked envelope that fits, even with multi-byte text', () => {
    const line = JSON.stringify({
      event_id: 'e1',
      event_type: 't',
      call_id: 'c',
      blob: '🎙️語'.repeat(200_000),
    });
    const out = truncateLine(line, Buffer.byteLength(line), 262_118);
    const parsed = JSON.parse(out);
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(262_118);
    expect(parsed).toMatchObject({
      event_id: 'e1',
      event_type: 't',
      truncated: true,
      original_bytes: Buffer.byteLength(line),
    });
  });
});
