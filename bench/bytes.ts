/**
 * 5. Bytes: stored bytes per event and the compression achieved on demo calls, batch gzip
 * (voicelake: one object per partition and batch) beside per-event gzip (the seed's design).
 */
import { gzipSync } from 'node:zlib';
import { DEFAULTS } from '../packages/voicelake/src/config/defaults.js';
import { normalizeEvent } from '../packages/voicelake/src/event.js';
import { demoEvents, type Options, round } from './common.js';

export function bytes(options: Options) {
  const inputs = demoEvents(options.quick ? 20 : 1000, 5);
  const lines: string[] = [];
  for (const input of inputs) {
    const n = normalizeEvent(input, 1 << 20, Date.now());
    if (n.ok) lines.push(n.record.line);
  }
  const raw = lines.reduce((s, l) => s + Buffer.byteLength(l) + 1, 0);
  const ndjson = `${lines.join('\n')}\n`;
  const batch = gzipSync(ndjson, { level: DEFAULTS.s3.gzipLevel }).length;
  const batchLevel6 = gzipSync(ndjson, { level: 6 }).length;
  const perEvent = lines.reduce((s, l) => s + gzipSync(l, { level: 6 }).length, 0);
  return {
    events: lines.length,
    calls: options.quick ? 20 : 1000,
    rawBytesPerEvent: round(raw / lines.length, 1),
    batchGzipBytesPerEvent: round(batch / lines.length, 1),
    perEventGzipBytesPerEvent: round(perEvent / lines.length, 1),
    gzipLevel: DEFAULTS.s3.gzipLevel,
    batchReductionPct: round((1 - batch / raw) * 100, 1),
    batchLevel6ReductionPct: round((1 - batchLevel6 / raw) * 100, 1),
    perEventReductionPct: round((1 - perEvent / raw) * 100, 1),
    storedBytesPerCall: round(batch / (options.quick ? 20 : 1000), 0),
  };
}
