/**
 * `Analytics`: track / flush / close / stats. `track()` only normalizes and appends to the
 * log; each destination drains the log on its own schedule.
 */
import { type AdoptedUndelivered, Adopter, type AdoptionStats } from './adoption.js';
import { DEFAULTS } from './config/defaults.js';
import type { AnalyticsOptions } from './config/options.js';
import { type ResolvedConfig, resolveConfig } from './config/resolve.js';
import { Destination } from './destination.js';
import type { DestinationStats } from './destination-stats.js';
import {
  LineFlattener,
  normalizeEvent,
  REJECT_REASONS,
  type RedactPolicy,
  type RejectReason,
  type TrackResult,
  thrownMessage,
} from './event.js';
import type { Logger } from './logger.js';
import { FLUSH_OUTCOMES, type FlushOutcome } from './outcomes.js';
import type { RedactionKind } from './redact.js';
import { redactPolicy } from './redact-policy.js';
import { createSinks } from './sinks/factory.js';
import { openLog, type SpoolState } from './spool/open.js';
import { withTimeout } from './timers.js';

export interface AnalyticsStats {
  /** Events accepted by `track()`. */
  accepted: number;
  /** Inputs `track()` refused, by reason. */
  rejected: Partial<Record<RejectReason, number>>;
  /**
   * Personal data replaced by placeholders inside `track()`, by kind (`email`, `phone`, `card`,
   * `ssn`, `iban`; `redactor_error` when a custom redactor threw and its text was dropped;
   * `truncated` when a text over `DEFAULTS.maxRedactChars` was cut before redaction).
   */
  redacted: Partial<Record<RedactionKind | 'redactor_error' | 'truncated', number>>;
  /** Per destination: `s3`, `cloudwatch`, `local`. */
  destinations: Record<string, DestinationStats>;
  /** The spool: `mode: 'disk'` with its counters, or `mode: 'memory'` and why. Absent when turned off. */
  spool?: SpoolState;
  /** Spools left by processes that stopped early, adopted and delivered by this one (default spool only). */
  adoption?: AdoptionStats;
}

export interface FlushResult {
  /** Per destination, what happened to the events tracked before the flush. */
  destinations: Record<string, FlushOutcome>;
}

export interface CloseResult extends FlushResult {
  /** True if the timeout cut the final flush short. */
  timedOut: boolean;
  /** Per destination, events left undelivered at close. */
  undelivered: Record<string, number>;
  /**
   * Per destination, events of spools adopted from stopped processes still undelivered at close
   * (they stay in those directories for the next process), spools still being recovered
   * included: `close()` waits for their recovery within its bound. Present when adoption is on.
   */
  adopted?: Record<string, number>;
  /**
   * Present (true) when the bound ran out while an adopted spool was still being recovered:
   * `adopted` then counts only what was checked so far, a lower bound. Nothing is lost: the
   * rest is on disk for the next process.
   */
  adoptedLowerBound?: true;
}

/** What a `close()` cut short by its bound can still report. */
interface CloseProgress {
  flushed?: FlushResult | undefined;
}

/** The least time `close()` gives the spool's last group commit, whatever is left of its bound. */
const CLOSE_LOG_MIN_MS = 1000;

export class Analytics {
  readonly #config: ResolvedConfig;
  readonly #log: ReturnType<typeof openLog>;
  readonly #destinations: Destination[];
  readonly #adopter: Adopter | undefined;
  readonly #redacted: Partial<Record<RedactionKind | 'redactor_error' | 'truncated', number>> = {};
  readonly #redact: RedactPolicy | undefined;
  #accepted = 0;
  readonly #rejected: Partial<Record<RejectReason, number>> = {};
  #closing: Promise<CloseResult> | undefined;
  #flushChain: Promise<unknown> = Promise.resolve();
  readonly #lines = new LineFlattener();

  constructor(options: AnalyticsOptions = {}) {
    this.#config = resolveConfig(options);
    const { logger } = this.#config;
    this.#redact = redactPolicy(this.#config.redact, this.#redacted);
    // Sinks first: one that refuses its configuration (an unsafe lake directory) leaves no spool locked.
    const sinks = createSinks(this.#config);
    this.#log = openLog(this.#config);
    this.#destinations = sinks.map(
      ({ sink, intervalMs }) => new Destination(sink, this.#log.log, { intervalMs, logger }),
    );
    const { root, state } = this.#log;
    if (root !== undefined && state.dir !== undefined) {
      this.#adopter = new Adopter(
        root,
        state.dir,
        this.#config,
        sinks.map(({ sink }) => sink.name),
      );
      this.#adopter.start();
    }
  }

  /** The logger voicelake writes to (the one passed in, or the default pino logger). */
  get logger(): Logger {
    return this.#config.logger;
  }

  /**
   * Record one event. Synchronous, never throws, never waits: the event is serialized once
   * and handed to the destinations, which deliver it in the background.
   */
  track(input: unknown): TrackResult {
    if (this.#closing !== undefined) return this.#reject(REJECT_REASONS.closed, 'analytics is closed');
    const n = normalizeEvent(input, this.#config.maxEventBytes, Date.now(), this.#redact);
    if (!n.ok) return this.#reject(n.reason, n.message);
    try {
      this.#log.log.append(n.record);
      this.#lines.add(n.record);
      this.#accepted++;
      for (const d of this.#destinations) d.onAppend();
    } catch (error) {
      // Never reached in normal operation; if it is, the agent must not be the one to pay.
      return this.#reject(
        REJECT_REASONS.internalError,
        `could not record the event: ${thrownMessage(error)}`,
      );
    }
    return { accepted: true, eventId: n.eventId };
  }

  /** Resolve once every event tracked before this call is delivered, or held for retry, per destination. */
  flush(): Promise<FlushResult> {
    const log = this.#log.log;
    const head = log.head;
    const run = async (): Promise<FlushResult> => {
      // Numbers given while the spool recovers are provisional: the final one, once it is done.
      const mark = log.recovered === undefined ? head : await log.recovered(head);
      const outcomes = await Promise.all(this.#destinations.map((d) => d.flush(mark)));
      return {
        destinations: Object.fromEntries(
          this.#destinations.map((d, i) => [d.name, outcomes[i] as FlushOutcome]),
        ),
      };
    };
    // Flushes never overlap: each starts when the previous one ended.
    const result = this.#flushChain.then(run, run);
    this.#flushChain = result;
    return result;
  }

  /**
   * Resolve once every event tracked before this call is written and fsynced to the spool (its
   * next group commit): `persisted`. `buffered` when events are held in memory only (no usable
   * spool, or the analytics is closed). For a caller that acknowledges receipt to someone else
   * (the collector answers an exporter only after this).
   */
  commit(): Promise<FlushOutcome> {
    if (this.#log.state.mode !== 'disk') return Promise.resolve(FLUSH_OUTCOMES.buffered);
    return this.#log.log.held(this.#log.log.head);
  }

  /**
   * The redaction `track()` applies to its text columns, for a caller that must keep text before
   * tracking it (the collector holds a call's events until the call is known). The identity when
   * redaction is off (`ANALYTICS_REDACT=off`).
   */
  redact(text: string): string {
    return this.#redact === undefined ? text : this.#redact.apply(text);
  }

  /**
   * Flush, then release clients and timers. Bounded by `timeoutMs` (default
   * `DEFAULTS.closeTimeoutMs`), and at most `CLOSE_LOG_MIN_MS` more for the spool's last write.
   * Idempotent.
   */
  close(options: { timeoutMs?: number } = {}): Promise<CloseResult> {
    this.#closing ??= this.#boundedClose(options.timeoutMs ?? DEFAULTS.closeTimeoutMs);
    return this.#closing;
  }

  /**
   * `#close` within `timeoutMs + CLOSE_LOG_MIN_MS`, whatever hangs (an adopted spool's sink, a
   * stalled disk). The bound's timer keeps the process alive until it fires: an `await close()`
   * settles even when nothing else holds the event loop open (every other timer is unref'd).
   */
  async #boundedClose(timeoutMs: number): Promise<CloseResult> {
    const progress: CloseProgress = {};
    const closing = this.#close(timeoutMs, progress);
    const done = await withTimeout(closing, timeoutMs + CLOSE_LOG_MIN_MS, true);
    if (done !== undefined) return done;
    this.#config.logger.error(
      { timeoutMs },
      'close: stopping took longer than its bound; returning (what is not delivered stays in the spool)',
    );
    const undelivered = Object.fromEntries(this.#destinations.map((d) => [d.name, d.stats().pending]));
    // What the flush inside close() proved stands; the rest is only held in memory for sure.
    const destinations = Object.fromEntries(
      this.#destinations.map((d) => [
        d.name,
        progress.flushed?.destinations[d.name] ?? FLUSH_OUTCOMES.buffered,
      ]),
    );
    return { timedOut: true, destinations, undelivered, ...adoptedFields(this.#adopter?.undelivered()) };
  }

  async #close(timeoutMs: number, progress: CloseProgress): Promise<CloseResult> {
    const started = Date.now();
    const flushed = await withTimeout(this.flush(), timeoutMs);
    progress.flushed = flushed;
    // Adopted backlogs get what is left of the same bound; the rest waits for the next process.
    await this.#adopter?.drain(Math.max(0, timeoutMs - (Date.now() - started)));
    // What follows stops things (no I/O but the spools' last commits): a failure is logged, never thrown.
    const { logger } = this.#config;
    const step = (what: string) => (error: unknown) => {
      logger.error({ error: (error as Error)?.message }, `close: ${what} failed`);
      return undefined;
    };
    // Counted once stopped: a spool still recovering is waited for (within the bound) and counted in full.
    const adopted = await this.#adopter?.close().catch(step('stopping the adopted spools'));
    await Promise.all(this.#destinations.map((d) => d.stop().catch(step(`stopping ${d.name}`))));
    const durable = this.#log.state.mode === 'disk';
    const undelivered: Record<string, number> = {};
    const destinations: Record<string, FlushOutcome> = {};
    for (const d of this.#destinations) {
      const pending = d.stats().pending;
      undelivered[d.name] = pending;
      destinations[d.name] =
        flushed?.destinations[d.name] ??
        (pending === 0
          ? FLUSH_OUTCOMES.delivered
          : durable
            ? FLUSH_OUTCOMES.persisted
            : FLUSH_OUTCOMES.buffered);
      if (pending > 0) {
        this.#config.logger.warn(
          { destination: d.name, events: pending },
          durable
            ? `${pending} events were not delivered to ${d.name} before close; they are kept in the spool at ${this.#log.state.dir} and the next start delivers them`
            : `${pending} events were not delivered to ${d.name} before close; without a spool they are lost`,
        );
      }
    }
    // The spool's last group commit (write, fdatasync, cursors) gets what is left of the bound,
    // and at least CLOSE_LOG_MIN_MS: on a disk that stalls, close() still returns. `true` when
    // everything is fsynced; `false` when the last write failed (a full disk); `undefined` when
    // it did not finish in time. Unless `true`, the events are `buffered`, not `persisted`.
    const logClosed = await withTimeout(
      this.#log.close().catch((error: unknown) => {
        step('the spool')(error);
        return false;
      }),
      Math.max(CLOSE_LOG_MIN_MS, timeoutMs - (Date.now() - started)),
    );
    if (logClosed !== true) {
      // Only the answers reached here; one flush() gave was already proved.
      for (const d of this.#destinations)
        if (flushed?.destinations[d.name] === undefined && destinations[d.name] === FLUSH_OUTCOMES.persisted)
          destinations[d.name] = FLUSH_OUTCOMES.buffered;
      if (logClosed === undefined)
        logger.error({ dir: this.#log.state.dir }, 'close: the spool did not finish its last write in time');
    }
    return {
      timedOut: flushed === undefined || logClosed === undefined,
      destinations,
      undelivered,
      ...adoptedFields(adopted ?? this.#adopter?.undelivered()),
    };
  }

  stats(): AnalyticsStats {
    const state = this.#log.stats();
    return {
      accepted: this.#accepted,
      rejected: { ...this.#rejected },
      redacted: { ...this.#redacted },
      destinations: Object.fromEntries(this.#destinations.map((d) => [d.name, d.stats()])),
      ...(state ? { spool: state } : {}),
      ...(this.#adopter ? { adoption: this.#adopter.stats() } : {}),
    };
  }

  #reject(reason: RejectReason, message: string): TrackResult {
    this.#rejected[reason] = (this.#rejected[reason] ?? 0) + 1;
    return { accepted: false, reason, message };
  }
}

/** `CloseResult`'s `adopted` and `adoptedLowerBound` (absent without adoption). */
function adoptedFields(
  left: AdoptedUndelivered | undefined,
): Pick<CloseResult, 'adopted' | 'adoptedLowerBound'> {
  if (left === undefined) return {};
  return left.lowerBound ? { adopted: left.counts, adoptedLowerBound: true } : { adopted: left.counts };
}

/** Create the analytics pipeline. With no options, everything comes from the environment. */
export function createAnalytics(options?: AnalyticsOptions): Analytics {
  return new Analytics(options);
}
