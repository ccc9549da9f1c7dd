/**
 * A window of consecutive records kept in memory, addressed by sequence number, with each
 * record's byte offset in the stream. The memory log holds all its records in one; the
 * spool holds its recent (not yet durable, or cached) records in one.
 */
import type { EventRecord } from './event.js';

export class RecordWindow {
  #records: (EventRecord | undefined)[] = [];
  #offsets: number[] = [];
  /** Index in the arrays of the record with sequence number `#base`. */
  #start = 0;
  #base: number;
  #bytes = 0;

  constructor(base = 0) {
    this.#base = base;
  }

  /** Sequence number of the oldest record held. */
  get base(): number {
    return this.#base;
  }
  /** One past the newest record held. */
  get end(): number {
    return this.#base + this.#records.length - this.#start;
  }
  /** Bytes of the records held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Append the record with sequence number `end`, at stream offset `offset`. */
  push(record: EventRecord, offset: number): void {
    this.#records.push(record);
    this.#offsets.push(offset);
    this.#bytes += record.bytes;
  }

  /** The record `seq`, which must be in [base, end). */
  get(seq: number): EventRecord {
    return this.#records[this.#start + seq - this.#base] as EventRecord;
  }

  /** Stream offset of record `seq`, which must be in [base, end). */
  offsetOf(seq: number): number {
    return this.#offsets[this.#start + seq - this.#base] as number;
  }

  /** Forget records below `seq`, oldest first, while `keep` (given the bytes held) says not to stop. */
  dropBelow(seq: number, more: (bytes: number) => boolean = () => true): void {
    const limit = Math.min(seq, this.end) - this.#base;
    let n = 0;
    while (n < limit && more(this.#bytes)) {
      const at = this.#start + n;
      this.#bytes -= (this.#records[at] as EventRecord).bytes;
      this.#records[at] = undefined;
      n++;
    }
    this.#start += n;
    this.#base += n;
    // Compact occasionally so the arrays do not grow without bound.
    if (this.#start > 4096 && this.#start * 2 > this.#records.length) {
      this.#records = this.#records.slice(this.#start);
      this.#offsets = this.#offsets.slice(this.#start);
      this.#start = 0;
    }
  }

  /**
   * Renumber: every sequence number goes down by `seqShift`, every stream offset up by
   * `byteShift` (records appended while the spool recovered, placed after the recovered ones).
   */
  renumber(seqShift: number, byteShift: number): void {
    this.#base -= seqShift;
    for (let i = this.#start; i < this.#offsets.length; i++)
      this.#offsets[i] = (this.#offsets[i] as number) + byteShift;
  }

  clear(): void {
    this.dropBelow(this.end);
    this.#records = [];
    this.#offsets = [];
    this.#start = 0;
  }
}
