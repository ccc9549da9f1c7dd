/**
 * The event log between `track()` and the destinations: an ordered sequence of
 * records, each with a sequence number, read by one cursor per destination.
 * `MemoryLog` (memory-log.ts) is the bounded in-memory variant; the spool is the durable one.
 */
import type { EventRecord } from './event.js';
import type { FlushOutcome } from './outcomes.js';

/**
 * A batch a destination is sending, persisted before its first attempt: the records
 * [start, end) and the sink's plan (e.g. S3 object keys), so a replay after a crash
 * reuses the same keys.
 */
export interface Inflight {
  readonly start: number;
  readonly end: number;
  readonly meta?: unknown;
}

export interface ReadResult {
  /** Sequence number of `records[0]`; above the requested one if records were dropped or corrupt. */
  readonly start: number;
  readonly records: readonly EventRecord[];
}

export interface Registration {
  /** First sequence number the destination has not delivered. */
  readonly seq: number;
  /** A batch that was being sent when the previous process stopped, to replay as it was planned. */
  readonly inflight?: Inflight;
}

export interface EventLog {
  /**
   * The id of this log's writer (6 hex digits): every object key planned from it begins with
   * it, and a replayed plan's keys must too (lake/layout.ts `writerIdOf`).
   */
  readonly writerId: string;
  /** Sequence number the next appended record gets. */
  readonly head: number;
  /** Oldest sequence number still held; records below it were acknowledged or dropped. */
  readonly tail: number;
  /** Append one record. Synchronous and cheap: the hot path calls it. */
  append(record: EventRecord): void;
  /** Up to `maxEvents` records / `maxBytes` bytes starting at `from` (clamped to `tail`). */
  read(from: number, maxEvents: number, maxBytes: number): Promise<ReadResult>;
  /** Bytes of the records in [from, to). */
  bytesBetween(from: number, to: number): number;
  /** A destination has delivered everything below `seq`. */
  ack(destination: string, seq: number): void;
  /**
   * Register a destination's cursor; returns where it resumes (a promise of it while the log
   * is still recovering what a previous process left).
   */
  register(destination: string): Registration | Promise<Registration>;
  /**
   * Resolves once the log has recovered what a previous process left, with `mark` (a `head`
   * read before) in its final numbering. Absent or immediate when there is nothing to recover.
   */
  recovered?(mark: number): Promise<number>;
  /**
   * What `destination`, whose registration is still a promise (`since`: the head then), has not
   * delivered. Absent when `register` never returns a promise.
   */
  pendingOf?(destination: string, since: number): number;
  /** Record the batch a destination is about to send (durably, for a spool) before its first attempt. */
  beginBatch(destination: string, inflight: Inflight): Promise<void>;
  /** What `flush()` reports for events below `mark` held while their destination fails. */
  held(mark: number): Promise<FlushOutcome>;
  close(): Promise<void>;
}
