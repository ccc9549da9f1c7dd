/**
 * Admission against the spool's size limit. The spool drops its oldest events once it is over
 * `maxBytes`, and those may be events the collector already acknowledged; so a request is let in
 * only while the spool's bytes, plus what the requests in flight may still add, plus this
 * request's own estimate, stay under 90% of the limit. Otherwise it is a 503 and the exporter
 * retries later.
 */
import type { Analytics } from 'voicelake';

/** Fraction of the spool's size limit past which exports are refused (503) rather than dropped. */
const SPOOL_FULL = 0.9;
/** What one spooled event costs beyond its share of the body: the envelope (ids, times, schema). */
const PER_EVENT_BYTES = 512;
/** Events one span or line may become at most (a LiveKit `user_turn`: user_turn and eou_metrics). */
const EVENTS_PER_ITEM = 2;

export class SpoolAdmission {
  #reserved = 0;
  /**
   * The spool's limit less its bytes, read once per turn of the event loop: `stats()` gathers
   * every destination's too, and one turn serves many requests. What requests add meanwhile is
   * in `#reserved` until they are answered; those answered within the turn are missing from both
   * until the next, a few requests' worth, well inside the 10% margin.
   */
  #limit: number | null | undefined;

  constructor(private readonly analytics: Analytics) {}

  /** Bytes the spool may still take before it is refused, or undefined when it has no limit (memory). */
  #room(): number | undefined {
    if (this.#limit === undefined) {
      const spool = this.analytics.stats().spool;
      this.#limit =
        spool === undefined || !('maxBytes' in spool) ? null : spool.maxBytes * SPOOL_FULL - spool.diskBytes;
      setImmediate(() => {
        this.#limit = undefined;
      }).unref();
    }
    return this.#limit === null ? undefined : this.#limit - this.#reserved;
  }

  /** The spool is already near its limit: refuse before reading the body. */
  full(): boolean {
    const room = this.#room();
    return room !== undefined && room <= 0;
  }

  /**
   * Reserve room for a request of `bodyBytes` (inflated) holding `items` spans or lines; returns the
   * release function, or undefined (refuse) when it would not fit.
   */
  reserve(bodyBytes: number, items: number): (() => void) | undefined {
    const estimate = EVENTS_PER_ITEM * (bodyBytes + items * PER_EVENT_BYTES);
    const room = this.#room();
    if (room !== undefined && estimate > room) return undefined;
    this.#reserved += estimate;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#reserved -= estimate;
    };
  }
}
