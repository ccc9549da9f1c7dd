/**
 * Pure batching for PutLogEvents: filter events CloudWatch would refuse by age, truncate
 * oversized messages (marked), sort chronologically, and split so that no request breaks
 * a limit: bytes + 26 per event, 10,000 events, a span under 24 h. Also the cheap read of a
 * line's event type that the per-destination event filter uses.
 */
import type { EventRecord } from '../event.js';

export const CW_LIMITS = {
  maxBatchBytes: 1_048_576,
  perEventOverhead: 26,
  maxBatchEvents: 10_000,
  maxSpanMs: 24 * 3600_000,
  /** Events older than this are refused (or the group's retention, if shorter). */
  maxAgeMs: 14 * 24 * 3600_000,
  /** Events further in the future than this are refused. */
  maxFutureMs: 2 * 3600_000,
  /** Conservative default event size limit (newer docs say 1 MB). */
  maxEventBytes: 262_144,
} as const;

/** Keep a margin from the age boundaries: the clock moves while a batch is retried. */
const AGE_MARGIN_MS = 5 * 60_000;

export interface LogEvent {
  readonly timestamp: number;
  readonly message: string;
  readonly bytes: number;
  /** An embedded metric format document made by the sink, not one of the records. */
  readonly emf?: true;
}

/** A record to send, or an EMF document (`emf: true`) derived from one. */
export type BatchInput = EventRecord & { readonly emf?: true };

export interface CloudWatchBatching {
  readonly batches: LogEvent[][];
  /** Records (not EMF documents) refused by age. */
  readonly tooOld: number;
  readonly tooNew: number;
  readonly truncated: number;
  /** EMF documents left out by age (their `call_ended` is too old or too new as well). */
  readonly emfSkipped: number;
}

export interface BatchingOptions {
  readonly now: number;
  readonly maxEventBytes?: number;
  readonly maxAgeMs?: number;
}

export function batchForCloudWatch(
  records: readonly BatchInput[],
  options: BatchingOptions,
): CloudWatchBatching {
  const maxEventBytes = options.maxEventBytes ?? CW_LIMITS.maxEventBytes;
  const maxAge = Math.min(options.maxAgeMs ?? CW_LIMITS.maxAgeMs, CW_LIMITS.maxAgeMs);
  const oldest = options.now - maxAge + AGE_MARGIN_MS;
  const newest = options.now + CW_LIMITS.maxFutureMs - AGE_MARGIN_MS;
  const maxMessageBytes = maxEventBytes - CW_LIMITS.perEventOverhead;
  let tooOld = 0;
  let tooNew = 0;
  let truncated = 0;
  let emfSkipped = 0;
  const events: LogEvent[] = [];
  for (const r of records) {
    if (r.timeMs < oldest || r.timeMs > newest) {
      if (r.emf) emfSkipped++;
      else if (r.timeMs < oldest) tooOld++;
      else tooNew++;
      continue;
    }
    if (r.emf) {
      events.push({ timestamp: r.timeMs, message: r.line, bytes: r.bytes, emf: true });
    } else if (r.bytes > maxMessageBytes) {
      truncated++;
      const message = truncateLine(r.line, r.bytes, maxMessageBytes);
      events.push({ timestamp: r.timeMs, message, bytes: Buffer.byteLength(message) });
    } else {
      events.push({ timestamp: r.timeMs, message: r.line, bytes: r.bytes });
    }
  }
  // Array.prototype.sort is stable: equal timestamps keep arrival order.
  events.sort((a, b) => a.timestamp - b.timestamp);
  const batches: LogEvent[][] = [];
  let batch: LogEvent[] = [];
  let bytes = 0;
  for (const e of events) {
    const size = e.bytes + CW_LIMITS.perEventOverhead;
    const first = batch[0];
    if (
      first !== undefined &&
      (batch.length >= CW_LIMITS.maxBatchEvents ||
        bytes + size > CW_LIMITS.maxBatchBytes ||
        e.timestamp - first.timestamp >= CW_LIMITS.maxSpanMs)
    ) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(e);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return { batches, tooOld, tooNew, truncated, emfSkipped };
}

/** Where the event type's value starts in a line voicelake wrote: after `{"event_id":"<uuid>","event_type":"`. */
const TYPE_AT = '{"event_id":"'.length + 36 + '","event_type":"'.length;

/**
 * The `event_type` of a line, read without parsing it when the line is as `track()` writes it
 * (`{"event_id":"<36 chars>","event_type":"…"`); any other line is parsed. Undefined when the
 * line has no string event type.
 */
export function eventTypeOf(line: string): string | undefined {
  if (line.startsWith('{"event_id":"') && line.startsWith('","event_type":"', TYPE_AT - 16)) {
    const end = line.indexOf('"', TYPE_AT);
    if (end > TYPE_AT) {
      const type = line.slice(TYPE_AT, end);
      // An escape (`\"`, `\u…`) needs the JSON parser.
      if (!type.includes('\\')) return type;
    }
  }
  try {
    const type = (JSON.parse(line) as { event_type?: unknown }).event_type;
    return typeof type === 'string' ? type : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Replace an oversized line by a marked envelope: the event's identity, `truncated: true`,
 * its original size, and as much of the original line as fits. The full line stays in the lake.
 */
export function truncateLine(line: string, bytes: number, maxBytes: number): string {
  let head: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    head = {
      event_id: parsed.event_id,
      event_type: parsed.event_type,
      event_time: parsed.event_time,
      call_id: parsed.call_id,
      agent_id: parsed.agent_id,
      schema_version: parsed.schema_version,
    };
  } catch {
    // Not JSON: keep only the marker and the prefix.
  }
  let keep = Math.floor(maxBytes / 2);
  for (;;) {
    const message = JSON.stringify({
      ...head,
      truncated: true,
      original_bytes: bytes,
      line_prefix: line.slice(0, keep),
    });
    if (Buffer.byteLength(message) <= maxBytes || keep === 0) return message;
    keep = Math.floor(keep / 2);
  }
}
