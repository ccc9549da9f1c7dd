/** The bounded in-memory event log, used when no spool is configured (or none is usable). */
import type { EventRecord } from './event.js';
import type { EventLog, ReadResult, Registration } from './event-log.js';
import { newWriterId } from './lake/layout.js';
import { FLUSH_OUTCOMES, type FlushOutcome } from './outcomes.js';
import { RecordWindow } from './record-window.js';

/** Bounded in-memory log. When full, the oldest records are dropped and counted. */
export class MemoryLog implements EventLog {
  readonly #window = new RecordWindow();
  #totalBytes = 0; // bytes ever appended
  readonly #cursors = new Map<string, number>();
  /** Never replayed: any fresh id does. */
  readonly writerId = newWriterId();

  constructor(readonly maxBytes: number) {}

  get head(): number {
    return this.#window.end;
  }
  get tail(): number {
    return this.#window.base;
  }

  register(destination: string): Registration {
    this.#cursors.set(destination, this.tail);
    return { seq: this.tail };
  }

  async beginBatch(): Promise<void> {}

  async held(): Promise<FlushOutcome> {
    return FLUSH_OUTCOMES.buffered;
  }

  append(record: EventRecord): void {
    this.#window.push(record, this.#totalBytes);
    this.#totalBytes += record.bytes;
    if (this.#window.bytes > this.maxBytes) {
      // Keep at least the newest record.
      this.#window.dropBelow(this.head - 1, (bytes) => bytes > this.maxBytes);
    }
  }

  async read(from: number, maxEvents: number, maxBytes: number): Promise<ReadResult> {
    const out: EventRecord[] = [];
    let bytes = 0;
    const start = Math.max(from, this.tail);
    for (let seq = start; seq < this.head && out.length < maxEvents; seq++) {
      const record = this.#window.get(seq);
      if (out.length > 0 && bytes + record.bytes > maxBytes) break;
      bytes += record.bytes;
      out.push(record);
    }
    return { start, records: out };
  }

  bytesBetween(from: number, to: number): number {
    return this.#offsetOf(Math.min(to, this.head)) - this.#offsetOf(Math.max(from, this.tail));
  }

  ack(destination: string, seq: number): void {
    this.#cursors.set(destination, seq);
    let min = this.head;
    for (const cursor of this.#cursors.values()) min = Math.min(min, cursor);
    if (min > this.tail) this.#window.dropBelow(min);
  }

  async close(): Promise<void> {
    this.#window.clear();
  }

  #offsetOf(seq: number): number {
    return seq >= this.head ? this.#totalBytes : this.#window.offsetOf(seq);
  }
}
