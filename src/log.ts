/**
 * The event log between `track()` and the destinations: an ordered sequence of
 * records, each with a sequence number, read by one cursor per destination.
 * `MemoryLog` is the bounded in-memory variant; the spool is the durable one.
 */
import { FLUSH_OUTCOMES, type FlushOutcome } from './destination.js';
import type { EventRecord } from './event.js';
import type { Inflight } from './spool/cursors.js';

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
  /** Sequence number the next appended record gets. */
  readonly head: number;
  /** Oldest sequence number still held; records below it were acknowledged or dropped. */
  readonly tail: number;
  /** Records dropped because the log was full (drop-oldest policy). */
  readonly dropped: number;
  /** Bytes of the records currently held. */
  readonly heldBytes: number;
  /** Append one record. Synchronous and cheap: the hot path calls it. */
  append(record: EventRecord): void;
  /** Up to `maxEvents` records / `maxBytes` bytes starting at `from` (clamped to `tail`). */
  read(from: number, maxEvents: number, maxBytes: number): Promise<ReadResult>;
  /** Bytes of the records in [from, to). */
  bytesBetween(from: number, to: number): number;
  /** A destination has delivered everything below `seq`. */
  ack(destination: string, seq: number): void;
  /** Register a destination's cursor; returns where it resumes. */
  register(destination: string): Registration;
  /** Record the batch a destination is about to send (durably, for a spool) before its first attempt. */
  beginBatch(destination: string, inflight: Inflight): Promise<void>;
  /** What `flush()` reports for events below `mark` held while their destination fails. */
  held(mark: number): Promise<FlushOutcome>;
  close(): Promise<void>;
}

/** Bounded in-memory log. When full, the oldest records are dropped and counted. */
export class MemoryLog implements EventLog {
  #records: (EventRecord | undefined)[] = [];
  /** Byte offset of each record from the start of the stream (prefix sums). */
  #offsets: number[] = [];
  #start = 0; // index in #records of `tail`
  #tail = 0;
  #totalBytes = 0; // bytes ever appended
  #dropped = 0;
  #cursors = new Map<string, number>();

  constructor(readonly maxBytes: number) {}

  get head(): number {
    return this.#tail + this.#records.length - this.#start;
  }
  get tail(): number {
    return this.#tail;
  }
  get dropped(): number {
    return this.#dropped;
  }
  get heldBytes(): number {
    return this.#totalBytes - this.#offsetOf(this.#tail);
  }

  register(destination: string): Registration {
    this.#cursors.set(destination, this.#tail);
    return { seq: this.#tail };
  }

  async beginBatch(): Promise<void> {}

  async held(): Promise<FlushOutcome> {
    return FLUSH_OUTCOMES.buffered;
  }

  append(record: EventRecord): void {
    this.#records.push(record);
    this.#offsets.push(this.#totalBytes);
    this.#totalBytes += record.bytes;
    while (this.heldBytes > this.maxBytes && this.#tail < this.head - 1) {
      this.#dropped++;
      this.#advanceTail(this.#tail + 1);
    }
  }

  async read(from: number, maxEvents: number, maxBytes: number): Promise<ReadResult> {
    const out: EventRecord[] = [];
    let bytes = 0;
    const start = Math.max(from, this.#tail);
    for (let seq = start; seq < this.head && out.length < maxEvents; seq++) {
      const record = this.#records[this.#start + seq - this.#tail] as EventRecord;
      if (out.length > 0 && bytes + record.bytes > maxBytes) break;
      bytes += record.bytes;
      out.push(record);
    }
    return { start, records: out };
  }

  bytesBetween(from: number, to: number): number {
    return this.#offsetOf(Math.min(to, this.head)) - this.#offsetOf(Math.max(from, this.#tail));
  }

  ack(destination: string, seq: number): void {
    this.#cursors.set(destination, seq);
    let min = this.head;
    for (const cursor of this.#cursors.values()) min = Math.min(min, cursor);
    if (min > this.#tail) this.#advanceTail(min);
  }

  async close(): Promise<void> {
    this.#records = [];
    this.#offsets = [];
    this.#start = 0;
  }

  #offsetOf(seq: number): number {
    if (seq >= this.head) return this.#totalBytes;
    return this.#offsets[this.#start + seq - this.#tail] as number;
  }

  #advanceTail(seq: number): void {
    const n = Math.min(seq, this.head) - this.#tail;
    for (let i = 0; i < n; i++) this.#records[this.#start + i] = undefined;
    this.#start += n;
    this.#tail += n;
    // Compact occasionally so the arrays do not grow without bound.
    if (this.#start > 4096 && this.#start * 2 > this.#records.length) {
      this.#records = this.#records.slice(this.#start);
      this.#offsets = this.#offsets.slice(this.#start);
      this.#start = 0;
    }
  }
}
