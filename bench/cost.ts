/**
 * 7. Cost per 10,000 calls, from the bytes and requests measured in this run, at the list
 * prices in shared/REFERENCE.md (us-east-1): S3 PUT $0.005 / 1,000, S3 Standard $0.023 /
 * GB-month, CloudWatch Logs ingestion $0.50 / GB (PutLogEvents requests are not billed;
 * Infrequent Access ingestion $0.25 / GB).
 *
 * CloudWatch is measured from the demo's event mix: the demo calls (the LiveKit recorder's
 * events) are serialized as `track()` does, each event type's count and bytes (+ 26 per event,
 * as CloudWatch counts them) are added up, and the EMF document of each `call_ended` is built by
 * the sink's own code. Two settings: `events: 'all'` and the summaries-and-errors filter
 * (`call_started,call_ended,error`), each with the EMF documents (on by default), and without
 * them on the Infrequent Access class (which refuses EMF).
 */
import { normalizeEvent } from '../packages/voicelake/src/event.js';
import { eventTypeOf } from '../packages/voicelake/src/sinks/cloudwatch-batch.js';
import { CALL_METRICS, EMF_DEFAULT_NAMESPACE, emfDocument } from '../packages/voicelake/src/sinks/emf.js';
import { demoEvents, round } from './common.js';

const PRICE = {
  s3PutPer1000: 0.005,
  s3GbMonth: 0.023,
  cwIngestGb: 0.5,
  cwInfrequentAccessIngestGb: 0.25,
  /** A custom metric (first 10,000), per month: each EMF metric × dimension set × agent. */
  cwCustomMetricMonth: 0.3,
} as const;
const GB = 1e9;
const PER_EVENT = 26;

/** The event types the summaries-and-errors filter keeps. */
export const SUMMARIES_AND_ERRORS = ['call_started', 'call_ended', 'error'] as const;

export interface CloudWatchMix {
  readonly calls: number;
  readonly agents: number;
  /** Per event type: events and bytes as CloudWatch counts them (message + 26). */
  readonly byType: Record<string, { events: number; bytes: number }>;
  readonly emf: { docs: number; bytes: number };
}

/** The demo's event mix as CloudWatch would ingest it. */
export function cloudWatchMix(calls: number, seed = 5): CloudWatchMix {
  const now = Date.now();
  const byType: Record<string, { events: number; bytes: number }> = {};
  const emf = { docs: 0, bytes: 0 };
  const agents = new Set<string>();
  for (const input of demoEvents(calls, seed)) {
    const n = normalizeEvent(input, 1 << 20, now);
    if (!n.ok) continue;
    const type = eventTypeOf(n.record.line) ?? '?';
    const t = byType[type] ?? { events: 0, bytes: 0 };
    byType[type] = t;
    t.events++;
    t.bytes += n.record.bytes + PER_EVENT;
    if (input.agentId) agents.add(input.agentId);
    if (type === 'call_ended') {
      const doc = emfDocument(n.record.line, n.record.timeMs, EMF_DEFAULT_NAMESPACE);
      if (doc !== undefined) {
        emf.docs++;
        emf.bytes += Buffer.byteLength(doc) + PER_EVENT;
      }
    }
  }
  return { calls, agents: agents.size, byType, emf };
}

/** CloudWatch ingestion per 10,000 calls for the event types `keep` lets through. */
function ingestion(mix: CloudWatchMix, keep: (type: string) => boolean) {
  const scale = 10_000 / mix.calls;
  let events = 0;
  let bytes = 0;
  for (const [type, t] of Object.entries(mix.byType)) {
    if (!keep(type)) continue;
    events += t.events;
    bytes += t.bytes;
  }
  const eventBytes = bytes * scale;
  const emfBytes = mix.emf.bytes * scale;
  return {
    eventsPer10kCalls: Math.round(events * scale),
    emfDocsPer10kCalls: Math.round(mix.emf.docs * scale),
    mbPer10kCalls: round((eventBytes + emfBytes) / 1e6, 2),
    /** Standard class, events + EMF documents (the default). */
    ingestionUsd: round(((eventBytes + emfBytes) / GB) * PRICE.cwIngestGb, 4),
    /** Standard class, EMF off. */
    ingestionWithoutEmfUsd: round((eventBytes / GB) * PRICE.cwIngestGb, 4),
    /** Infrequent Access class (EMF must be off there). */
    infrequentAccessUsd: round((eventBytes / GB) * PRICE.cwInfrequentAccessIngestGb, 4),
  };
}

export function cost(input: {
  eventsPerCall: number;
  storedBytesPerEvent: number;
  rawBytesPerEvent: number;
  s3RequestsPer10kCalls: { voicelake: number; seed: number };
  perEventGzipBytesPerEvent: number;
  /** Demo calls measured for the CloudWatch mix. Default 1,000. */
  calls?: number;
}) {
  const events = input.eventsPerCall * 10_000;
  const cwBytes = events * (input.rawBytesPerEvent + 26);
  const voicelake = {
    s3Puts: round((input.s3RequestsPer10kCalls.voicelake / 1000) * PRICE.s3PutPer1000, 4),
    s3StoragePerMonth: round(((events * input.storedBytesPerEvent) / GB) * PRICE.s3GbMonth, 4),
    cloudWatchIngestion: round((cwBytes / GB) * PRICE.cwIngestGb, 4),
  };
  const seedDesign = {
    s3Puts: round((input.s3RequestsPer10kCalls.seed / 1000) * PRICE.s3PutPer1000, 4),
    s3StoragePerMonth: round(((events * input.perEventGzipBytesPerEvent) / GB) * PRICE.s3GbMonth, 4),
    cloudWatchIngestion: round((cwBytes / GB) * PRICE.cwIngestGb, 4),
  };
  const mix = cloudWatchMix(input.calls ?? 1000);
  const kept = new Set<string>(SUMMARIES_AND_ERRORS);
  const eventTypes = Object.fromEntries(
    Object.entries(mix.byType)
      .sort(([, a], [, b]) => b.bytes - a.bytes)
      .map(([type, t]) => [
        type,
        { perCall: round(t.events / mix.calls, 2), bytesPerEvent: round(t.bytes / t.events - PER_EVENT, 1) },
      ]),
  );
  const customMetrics = CALL_METRICS.length * (mix.agents + 1);
  return {
    prices: PRICE,
    eventsPer10kCalls: Math.round(events),
    voicelake: { ...voicelake, s3Total: round(voicelake.s3Puts + voicelake.s3StoragePerMonth, 4) },
    seedDesign: { ...seedDesign, s3Total: round(seedDesign.s3Puts + seedDesign.s3StoragePerMonth, 4) },
    seedClaimS3Per10kCalls: 0.2,
    /** CloudWatch ingestion per 10,000 calls by event filter, from the demo's event mix. */
    cloudWatch: {
      callsMeasured: mix.calls,
      eventTypes,
      emfBytesPerDoc: round(mix.emf.bytes / Math.max(1, mix.emf.docs) - PER_EVENT, 1),
      all: ingestion(mix, () => true),
      summariesAndErrors: ingestion(mix, (t) => kept.has(t)),
      /** EMF metrics are custom metrics: a monthly cost by metric and agent, not by call. */
      emfCustomMetrics: {
        agents: mix.agents,
        metrics: customMetrics,
        usdPerMonth: round(customMetrics * PRICE.cwCustomMetricMonth, 2),
      },
    },
  };
}
