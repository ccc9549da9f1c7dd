/**
 * What one destination reports in `stats().destinations`: its counters and state, and how a
 * sink's report of one send is added to them.
 */
import type { SendReport } from './sinks/types.js';

export const DESTINATION_STATES = {
  idle: 'idle',
  sending: 'sending',
  retrying: 'retrying',
  /** A configuration error: delivery is paused and re-probed slowly. */
  failing: 'failing',
  closed: 'closed',
} as const;
export type DestinationState = (typeof DESTINATION_STATES)[keyof typeof DESTINATION_STATES];

export interface DestinationStats {
  /** Events accepted by the destination. */
  delivered: number;
  /** Events tracked but not yet delivered. */
  pending: number;
  /** Failed attempts that were scheduled for retry. */
  retried: number;
  /** Events the destination refused for good (e.g. CloudWatch too old), or that could not be delivered. */
  failed: number;
  /** Events dropped before delivery because the buffer or spool was full. */
  dropped: number;
  /** Raw NDJSON bytes delivered. */
  bytes: number;
  /** Bytes as stored (gzip for the lake). */
  storedBytes: number;
  /** Requests made (PutObject, PutLogEvents, ...). */
  requests: number;
  /** Messages truncated to fit the destination's event size limit. */
  truncated: number;
  /** Events not sent, by reason (CloudWatch: too_old, too_new, expired, rejected). */
  skipped: Record<string, number>;
  /**
   * Events sent again because an earlier attempt's outcome is unknown: a retry after a lost
   * response, or a batch left in flight by a crashed process. The lake overwrites the same
   * objects (no duplicates); CloudWatch may hold these events twice (at-least-once).
   */
  replayed: number;
  /**
   * Replayed batches whose saved plan (object keys read back from the spool) was invalid and
   * was replaced by a fresh one: a forged or corrupt key never writes outside the lake.
   */
  replayRejected: number;
  /**
   * Events this destination's filter leaves out on purpose (`cloudWatch.events`): skipped
   * without a request, never counted as failed. The lake and S3 always take every event.
   */
  filtered: number;
  /**
   * CloudWatch: embedded metric format documents delivered, one per `call_ended` (not counted in
   * `delivered`, which counts events; their bytes are in `bytes`, as CloudWatch bills them).
   */
  emf: number;
  state: DestinationState;
  /** The last error, in one line, if the last attempt failed. */
  lastError: string | undefined;
}

/** A destination's counters before anything happened. */
export function newStats(): Omit<DestinationStats, 'pending'> {
  return {
    delivered: 0,
    retried: 0,
    failed: 0,
    dropped: 0,
    bytes: 0,
    storedBytes: 0,
    requests: 0,
    truncated: 0,
    skipped: {},
    replayed: 0,
    replayRejected: 0,
    filtered: 0,
    emf: 0,
    state: DESTINATION_STATES.idle,
    lastError: undefined,
  };
}

/** Add what one `send()` did to the counters. */
export function accountReport(s: Omit<DestinationStats, 'pending'>, report: SendReport): void {
  s.delivered += report.delivered;
  s.bytes += report.bytes;
  s.storedBytes += report.storedBytes;
  s.requests += report.requests;
  s.truncated += report.truncated;
  s.replayed += report.resent;
  s.filtered += report.filtered;
  s.emf += report.emf;
  for (const [reason, n] of Object.entries(report.skipped)) {
    s.skipped[reason] = (s.skipped[reason] ?? 0) + n;
    s.failed += n;
  }
}
