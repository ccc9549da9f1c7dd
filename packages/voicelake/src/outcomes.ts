/**
 * What `flush()` can report for one destination. A leaf module: the log, the spool and
 * the delivery loop all speak these outcomes without importing one another.
 */
export const FLUSH_OUTCOMES = {
  /** Everything tracked before the flush reached the destination. */
  delivered: 'delivered',
  /** The destination is failing; the events wait in the durable spool (fsynced) for a retry. */
  persisted: 'persisted',
  /** The destination is failing; the events wait in memory for a retry (no spool). */
  buffered: 'buffered',
  /** Some events were dropped because the buffer or spool was full. */
  dropped: 'dropped',
  /**
   * Everything was sent, but the destination refused some events for good (CloudWatch: too old,
   * too new, or a refused batch), counted in `stats().destinations.<name>.failed` and `skipped`.
   * The lake keeps them.
   */
  refused: 'refused',
} as const;
export type FlushOutcome = (typeof FLUSH_OUTCOMES)[keyof typeof FLUSH_OUTCOMES];

/** Delivery of the flushed events is over (whatever became of them): nothing is held for a retry. */
export const settled = (outcome: FlushOutcome): boolean =>
  outcome !== FLUSH_OUTCOMES.persisted && outcome !== FLUSH_OUTCOMES.buffered;
