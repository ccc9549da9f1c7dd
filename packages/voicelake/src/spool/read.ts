/**
 * Reading a run of records from the spool: older ones from their segment files (across
 * segments, through the decode cache), newer ones from the in-memory window. A corrupt
 * stretch is reported by a `start` past the requested one, so the reader counts the loss.
 */
import type { EventRecord } from '../event.js';
import type { ReadResult } from '../event-log.js';
import type { RecordWindow } from '../record-window.js';
import type { SegmentSet } from './segments.js';

export async function readSpool(
  segments: SegmentSet,
  recent: RecordWindow,
  head: number,
  start: number,
  maxEvents: number,
  maxBytes: number,
): Promise<ReadResult> {
  const records: EventRecord[] = [];
  let bytes = 0;
  let seq = start;
  /** Take one record if it fits; false when the batch is full. */
  const take = (r: EventRecord): boolean => {
    if (records.length >= maxEvents || (records.length > 0 && bytes + r.bytes > maxBytes)) return false;
    bytes += r.bytes;
    records.push(r);
    seq++;
    return true;
  };
  // Older records come from their segment files (across segments), newer ones from memory.
  const recentBase = recent.base;
  while (seq < recentBase && seq < head) {
    const segment = segments.segmentOf(seq);
    if (segment === undefined) {
      // Between segments: a segment's corrupt tail was cut at open, and the next one starts
      // later. The records up to it are gone: report the gap, as for a corrupt stretch.
      if (records.length > 0) return { start, records };
      return { start: Math.min(segments.startAfter(seq) ?? recentBase, recentBase), records: [] };
    }
    const index = seq - segment.start;
    const decoded = await segments.records(segment, index);
    if (index >= decoded.length) {
      // A corrupt stretch: the records from here to the next segment are gone.
      if (records.length > 0) return { start, records };
      const next = segments.next(segment)?.start ?? recentBase;
      return { start: Math.max(next, seq + 1), records: [] };
    }
    const limit = Math.min(decoded.length, recentBase - segment.start);
    for (let i = index; i < limit; i++) {
      if (!take(decoded[i] as EventRecord)) return { start, records };
    }
    if (seq < segment.start + segment.count && seq < recentBase) break;
  }
  while (seq < head && seq >= recent.base) {
    if (!take(recent.get(seq))) break;
  }
  return { start, records };
}
