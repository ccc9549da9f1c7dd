/**
 * Spool work in bounded slices: checking and decoding frames never holds the event loop for
 * more than about {@link SLICE_MS} at a time, whatever the size of the segment (a voice agent
 * sends a 20 ms audio frame; a stall longer than that is audible). Between slices the loop
 * runs timers and I/O (`setImmediate`).
 */
import type { EventRecord } from '../event.js';
import { frameAt, recordAt } from './frame.js';

/** The longest synchronous step of spool recovery and segment decoding, ms. */
export const SLICE_MS = 2;

/** How many frames are handled between two looks at the clock. */
const FRAMES_PER_LOOK = 32;

/** Yields to the event loop once `SLICE_MS` of synchronous work has passed since the last yield. */
export class Slicer {
  #since = performance.now();

  async pause(): Promise<void> {
    if (performance.now() - this.#since < SLICE_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.#since = performance.now();
  }
}

/** Decode at most `maxRecords` valid frames from the start of `buf`, in slices. */
export async function decodeInSlices(
  buf: Buffer,
  maxRecords: number,
  slicer = new Slicer(),
): Promise<EventRecord[]> {
  const records: EventRecord[] = [];
  let at = 0;
  while (records.length < maxRecords) {
    const size = frameAt(buf, at);
    if (size === 0) break;
    records.push(recordAt(buf, at, size));
    at += size;
    if (records.length % FRAMES_PER_LOOK === 0) await slicer.pause();
  }
  return records;
}
