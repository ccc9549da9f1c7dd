/**
 * The one interface every destination implements. A sink turns a contiguous run of
 * records into a plan of requests (fixed before the first attempt, so retries reuse
 * object keys), then executes what is left of the plan. It never throws: it returns
 * a tagged outcome and the pipeline decides what to do with it.
 */
import type { EventRecord } from '../event.js';

export type SinkOutcome =
  /** Every part of the plan is delivered. */
  | { readonly kind: 'ok' }
  /** Something transient failed; the undelivered parts stay in the plan. */
  | { readonly kind: 'retry-later'; readonly error: Error; readonly retryAfterMs?: number }
  /** Configuration is wrong (no bucket, access denied): retry slowly, keep the data. */
  | { readonly kind: 'fatal'; readonly error: Error }
  /** The destination refused these records for good; they are counted as failed. */
  | { readonly kind: 'rejected'; readonly error: Error; readonly count: number };

/** Counters a sink reports about one `send()` call. */
export interface SendReport {
  /** Records delivered by this call. */
  delivered: number;
  /** Raw bytes (NDJSON) delivered. */
  bytes: number;
  /** Bytes as stored (after gzip). */
  storedBytes: number;
  /** Requests made. */
  requests: number;
  /** Records this destination skipped for good, by reason (e.g. CloudWatch `too_old`). */
  skipped: Record<string, number>;
  /** Messages truncated to fit the destination's event size limit. */
  truncated: number;
  /** Records sent again after an attempt whose outcome is unknown (a retry of the same part). */
  resent: number;
  /** Records this destination's event filter left out on purpose (CloudWatch `events`); not failures. */
  filtered: number;
  /** Embedded metric format documents delivered beside the records (CloudWatch, one per `call_ended`). */
  emf: number;
}

export interface Plan {
  /** True once every part is delivered. */
  readonly done: boolean;
  /** What must be persisted to replay this plan identically after a crash (e.g. S3 keys). */
  meta(): unknown;
  /** Set when a replayed plan's saved meta was invalid and a fresh plan was made instead. */
  readonly metaProblem?: string | undefined;
}

export interface Sink<P extends Plan = Plan> {
  /** Destination name in stats and logs: `s3`, `cloudwatch`, `local`. */
  readonly name: string;
  /** Batch limits for one plan. */
  readonly limits: { readonly maxEvents: number; readonly maxBytes: number };
  /**
   * Split records into requests. Keys and ordering are decided here, once; `meta` replays a
   * saved plan; `writer` is the log's writer id (lake keys carry it, and replayed ones must).
   */
  prepare(records: readonly EventRecord[], meta?: unknown, writer?: string): P;
  /** Execute the parts of `plan` not yet delivered. */
  send(plan: P, report: SendReport, signal: AbortSignal): Promise<SinkOutcome>;
  /** Release clients and sockets. */
  close(): Promise<void>;
}

export function emptyReport(): SendReport {
  return {
    delivered: 0,
    bytes: 0,
    storedBytes: 0,
    requests: 0,
    skipped: {},
    truncated: 0,
    resent: 0,
    filtered: 0,
    emf: 0,
  };
}
