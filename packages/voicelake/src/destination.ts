/**
 * One destination's delivery loop: its own cursor into the log, its own batching timer,
 * its own retry timer and stats. Destinations never wait for one another.
 *
 * Over 300 lines: one destination's delivery loop: its timers, cursor and outcomes are one state machine.
 */

import { accountReport, DESTINATION_STATES, type DestinationStats, newStats } from './destination-stats.js';
import type { EventRecord } from './event.js';
import type { EventLog, Inflight } from './event-log.js';
import type { Logger } from './logger.js';
import { FLUSH_OUTCOMES, type FlushOutcome } from './outcomes.js';
import { backoffMs, CONFIG_BACKOFF, describeError, TRANSIENT_BACKOFF } from './retry.js';
import { emptyReport, type Plan, type Sink, type SinkOutcome } from './sinks/types.js';

interface Batch {
  readonly end: number;
  readonly plan: Plan;
}

interface Waiter {
  readonly mark: number;
  readonly dropped: number;
  readonly failed: number;
  readonly resolve: (outcome: FlushOutcome) => void;
}

export interface DestinationOptions {
  /** Longest time an event waits before its batch is sent, ms. */
  readonly intervalMs: number;
  readonly logger: Logger;
  readonly random?: () => number;
}

export class Destination {
  readonly name: string;
  #cursor: number;
  #batch: Batch | undefined;
  #drainTo = 0;
  #running = false;
  #scheduled = false;
  #closed = false;
  #attempt = 0;
  #intervalTimer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #waiters: Waiter[] = [];
  #configErrorLogged = false;
  #replay: Inflight | undefined;
  /** Where this destination resumes, while the log is still recovering (then nothing is read). */
  #registering: Promise<void> | undefined;
  /** The log's head when this destination registered (while `#registering`). */
  #since = 0;
  readonly #abort = new AbortController();
  readonly #stats: Omit<DestinationStats, 'pending'>;

  constructor(
    readonly sink: Sink,
    private readonly log: EventLog,
    private readonly options: DestinationOptions,
  ) {
    this.name = sink.name;
    this.#stats = newStats();
    const registration = log.register(sink.name);
    if (registration instanceof Promise) {
      this.#cursor = log.tail;
      this.#since = log.head;
      this.#registering = registration.then((r) => {
        this.#cursor = r.seq;
        this.#replay = r.inflight;
        this.#registering = undefined;
      });
    } else {
      this.#cursor = registration.seq;
      this.#replay = registration.inflight;
    }
  }

  stats(): DestinationStats {
    // Registering (the log recovers): the log knows what this destination's cursor will be.
    const pending =
      this.#registering !== undefined && this.log.pendingOf !== undefined
        ? this.log.pendingOf(this.name, this.#since)
        : this.log.head - Math.max(this.#cursor, this.log.tail);
    return { ...this.#stats, skipped: { ...this.#stats.skipped }, pending };
  }

  /** Called after every append, on the hot path: a few comparisons, at most one timer. */
  onAppend(): void {
    if (this.#running || this.#scheduled || this.#retryTimer !== undefined || this.#closed) return;
    if (this.#isFull()) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        void this.#pump();
      });
    } else if (this.#intervalTimer === undefined) {
      this.#armInterval();
    }
  }

  /** Deliver everything below `mark` now; resolve once delivered, or held because the destination fails. */
  flush(mark: number): Promise<FlushOutcome> {
    if (this.#cursor >= mark) return Promise.resolve(FLUSH_OUTCOMES.delivered);
    if (this.#closed) return this.log.held(mark);
    this.#drainTo = Math.max(this.#drainTo, mark);
    this.#clearTimers();
    const done = new Promise<FlushOutcome>((resolve) => {
      this.#waiters.push({ mark, dropped: this.#stats.dropped, failed: this.#stats.failed, resolve });
    });
    void this.#pump();
    return done;
  }

  /** Stop: abort in-flight requests, cancel timers, release waiters. Undelivered events stay in the log. */
  async stop(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stats.state = DESTINATION_STATES.closed;
    this.#clearTimers();
    this.#abort.abort(new Error('voicelake is closing'));
    this.#releaseWaiters();
    await this.sink.close();
  }

  #isFull(): boolean {
    const pending = this.log.head - this.#cursor;
    const { maxEvents, maxBytes } = this.sink.limits;
    return (
      pending >= maxEvents || (pending > 0 && this.log.bytesBetween(this.#cursor, this.log.head) >= maxBytes)
    );
  }

  #armInterval(): void {
    this.#intervalTimer = setTimeout(() => {
      this.#intervalTimer = undefined;
      this.#drainTo = Math.max(this.#drainTo, this.log.head);
      void this.#pump();
    }, this.options.intervalMs);
    this.#intervalTimer.unref();
  }

  #clearTimers(): void {
    clearTimeout(this.#intervalTimer);
    clearTimeout(this.#retryTimer);
    this.#intervalTimer = undefined;
    this.#retryTimer = undefined;
  }

  async #pump(): Promise<void> {
    if (this.#running || this.#closed) return;
    this.#running = true;
    try {
      if (this.#registering !== undefined) await this.#registering;
      while (!this.#closed) {
        if (this.#batch === undefined) {
          if (this.#replay !== undefined) {
            await this.#startReplay(this.#replay);
            continue;
          }
          if (this.#cursor >= this.log.head) break;
          if (this.#cursor >= this.#drainTo && !this.#isFull()) break;
          const { maxEvents, maxBytes } = this.sink.limits;
          const { start, records } = await this.log.read(this.#cursor, maxEvents, maxBytes);
          if (start > this.#cursor) {
            this.#skipTo(start);
            continue;
          }
          if (records.length === 0) break;
          await this.#begin(this.#cursor, records);
        }
        if (this.#batch === undefined) continue;
        this.#stats.state = DESTINATION_STATES.sending;
        const report = emptyReport();
        const outcome = await this.sink.send(this.#batch.plan, report, this.#abort.signal);
        accountReport(this.#stats, report);
        if (outcome.kind === 'rejected') {
          this.#stats.failed += outcome.count;
          this.#stats.skipped.rejected = (this.#stats.skipped.rejected ?? 0) + outcome.count;
          this.options.logger.error(
            { destination: this.name, events: outcome.count, error: describeError(outcome.error) },
            `${this.name} refused ${outcome.count} events for good; they are counted as failed`,
          );
          if (!this.#batch.plan.done) continue;
        } else if (outcome.kind !== 'ok') {
          if (this.#closed) break;
          this.#onFailure(outcome);
          break;
        }
        this.#cursor = this.#batch.end;
        this.#batch = undefined;
        this.log.ack(this.name, this.#cursor);
        this.#onSuccess();
      }
    } catch (error) {
      // A local failure (spool read, plan persistence): never let it escape as an unhandled
      // rejection; retry like any transient failure.
      if (!this.#closed) {
        this.#onFailure({
          kind: 'retry-later',
          error: error instanceof Error ? error : new Error(String(error)),
        });
      }
    } finally {
      this.#running = false;
      if (!this.#closed && this.#stats.state === DESTINATION_STATES.sending)
        this.#stats.state = DESTINATION_STATES.idle;
      if (
        !this.#closed &&
        this.#retryTimer === undefined &&
        this.#intervalTimer === undefined &&
        this.log.head > this.#cursor
      ) {
        this.#armInterval();
      }
      this.#releaseWaiters();
    }
  }

  /** Fix a batch's plan and record it in the log (durably, with a spool) before its first attempt. */
  async #begin(start: number, records: readonly EventRecord[], meta?: unknown): Promise<void> {
    const plan = this.sink.prepare(records, meta, this.log.writerId);
    if (plan.metaProblem !== undefined) {
      this.#stats.replayRejected++;
      this.options.logger.warn(
        { destination: this.name, events: records.length, problem: plan.metaProblem },
        `${this.name}: the saved plan of a replayed batch is invalid and was replaced by a fresh one`,
      );
    }
    const end = start + records.length;
    await this.log.beginBatch(this.name, { start, end, meta: plan.meta() });
    this.#batch = { end, plan };
  }

  /** Resend the batch a previous process had in flight, with the same plan (same S3 keys). */
  async #startReplay(inflight: Inflight): Promise<void> {
    const records: EventRecord[] = [];
    let first: number | undefined;
    let seq = Math.max(inflight.start, this.#cursor);
    while (seq < inflight.end) {
      const { start, records: chunk } = await this.log.read(
        seq,
        inflight.end - seq,
        Number.POSITIVE_INFINITY,
      );
      if (start !== seq) {
        // Records in the replayed range were lost (spool full or corrupt): replay what precedes the gap.
        if (records.length > 0) break;
        this.#skipTo(start);
        seq = start;
        continue;
      }
      if (chunk.length === 0) break;
      first ??= start;
      records.push(...chunk.slice(0, inflight.end - start));
      seq = start + chunk.length;
    }
    // Read: the saved plan is used now or never (a read that failed keeps it for the retry).
    this.#replay = undefined;
    if (records.length === 0) return;
    this.#stats.replayed += records.length;
    // The saved plan (the lake's object keys, by position) fits only the very same records: a
    // part of them (the batch's start dropped, or a gap) would overwrite objects already
    // written with other records. Then a fresh plan: a copy, which compaction removes.
    const whole = first === inflight.start && records.length === inflight.end - inflight.start;
    this.options.logger.info(
      { destination: this.name, events: records.length, samePlan: whole },
      `${this.name}: replaying a batch left in flight by the previous process`,
    );
    await this.#begin(this.#cursor, records, whole ? inflight.meta : undefined);
  }

  #skipTo(seq: number): void {
    if (seq <= this.#cursor) return;
    this.#stats.dropped += seq - this.#cursor;
    this.#cursor = seq;
    this.log.ack(this.name, seq);
  }

  #onSuccess(): void {
    if (this.#attempt > 0) {
      this.options.logger.info(
        { destination: this.name, failedAttempts: this.#attempt },
        `${this.name} delivery recovered after ${this.#attempt} failed attempts`,
      );
    }
    this.#attempt = 0;
    this.#configErrorLogged = false;
    this.#stats.lastError = undefined;
  }

  #onFailure(outcome: Exclude<SinkOutcome, { kind: 'ok' } | { kind: 'rejected' }>): void {
    const fatal = outcome.kind === 'fatal';
    const message = describeError(outcome.error);
    const delay = backoffMs(
      this.#attempt,
      fatal ? CONFIG_BACKOFF : TRANSIENT_BACKOFF,
      this.options.random,
      outcome.kind === 'retry-later' ? (outcome.retryAfterMs ?? 0) : 0,
    );
    this.#attempt++;
    this.#stats.retried++;
    this.#stats.lastError = message;
    this.#stats.state = fatal ? DESTINATION_STATES.failing : DESTINATION_STATES.retrying;
    const pending = this.log.head - this.#cursor;
    if (fatal) {
      if (!this.#configErrorLogged) {
        this.#configErrorLogged = true;
        this.options.logger.error(
          { destination: this.name, error: message, pending },
          `${this.name} delivery failed because of its configuration (${message}). Check the setting; ` +
            `events are kept and delivery is re-tried every few minutes`,
        );
      }
    } else if (this.#attempt === 1 || this.#attempt % 10 === 0) {
      this.options.logger.warn(
        { destination: this.name, error: message, attempt: this.#attempt, retryInMs: delay, pending },
        `${this.name} delivery failed, will retry: ${message}`,
      );
    }
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#drainTo = Math.max(this.#drainTo, this.log.head);
      void this.#pump();
    }, delay);
    this.#retryTimer.unref();
    this.#failWaiters();
  }

  /** Resolve waiters whose mark was reached. */
  #releaseWaiters(): void {
    if (this.#waiters.length === 0) return;
    const keep: Waiter[] = [];
    for (const w of this.#waiters) {
      if (this.#cursor >= w.mark) {
        w.resolve(
          this.#stats.dropped > w.dropped
            ? FLUSH_OUTCOMES.dropped
            : this.#stats.failed > w.failed
              ? FLUSH_OUTCOMES.refused
              : FLUSH_OUTCOMES.delivered,
        );
      } else if (this.#closed) {
        void this.log.held(w.mark).then(w.resolve);
      } else {
        keep.push(w);
      }
    }
    this.#waiters = keep;
  }

  /** The destination failed: every waiter learns its events are held for retry. */
  #failWaiters(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) void this.log.held(w.mark).then(w.resolve);
  }
}
