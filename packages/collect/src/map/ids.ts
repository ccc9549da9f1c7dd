/**
 * Deterministic event ids: a span sent twice becomes the same `event_id`, so every reader counts
 * it once. A UUIDv7 whose 48-bit time is the event time and whose random bits are a SHA-256 of
 * (trace id, span id, event kind): still time-ordered, and the same for the same span.
 */
import { createHash } from 'node:crypto';

export function eventIdOf(traceId: string, spanId: string, kind: string, timeMs: number): string {
  const hash = createHash('sha256').update(`${traceId}/${spanId}/${kind}`).digest();
  const b = Buffer.alloc(16);
  b.writeUIntBE(Math.max(0, Math.min(Math.trunc(timeMs), 2 ** 48 - 1)), 0, 6);
  hash.copy(b, 6, 0, 10);
  b[6] = 0x70 | ((b[6] as number) & 0x0f);
  b[8] = 0x80 | ((b[8] as number) & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
