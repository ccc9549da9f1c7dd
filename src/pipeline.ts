/**
 * `Analytics`: track / flush / close / stats. `track()` only normalizes and appends to the
 * log; each destination drains the log on its own schedule.
 */
import { type AnalyticsOptions, type ResolvedConfig, resolveConfig } from './config.js';
import { Destination, type DestinationStats, type FlushOutcome } from './destination.js';
import { SpoolError } from './errors.js';
import { normalizeEvent, REJECT_REASONS, type RejectReason, type TrackResult } from './event.js';
import { type EventLog, MemoryLog } from './log.js';
import { CloudWatchSink } from './sinks/cloudwatch.js';
import { LocalSink } from './sinks/local.js';
import { S3Sink } from './sinks/s3.js';
import type { Sink } from './sinks/types.js';
import { Spool, type SpoolStats } from './spool/spool.js';

export interface AnalyticsStats {
  /** Events accepted by `track()`. */
  accepted: number;
  /** Inputs `track()` refused, by reason. */
  rejected: Partial<Record<RejectReason, number>>;
  /** Per destination: `s3`, `cloudwatch`, `local`. */
  destinations: Record<string, DestinationStats>;
  /** The durable spool, when enabled. */
  spool?: SpoolStats;
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
}

export class Analytics {
  readonly config: ResolvedConfig;
  readonly #log: EventLog;
  readonly #spool: Spool | undefined;
  readonly #destinations: Destination[];
  #accepted = 0;
  readonly #rejected: Partial<Record<RejectReason, number>> = {};
  #closing: Promise<CloseResult> | undefined;
  #flushChain: Promise<unknown> = Promise.resolve();

  constructor(options: AnalyticsOptions = {}) {
    this.config = resolveConfig(options);
    const { logger } = this.config;
    this.#log = openLog(this.config);
    this.#spool = this.#log instanceof Spool ? this.#log : undefined;
    const sinks: Sink[] = [];
    const { s3, cloudWatch, local, aws } = this.config;
    if (s3) {
      logger.info(`S3 analytics enabled: bucket=${s3.bucket}`);
      sinks.push(
        new S3Sink({
          ...s3,
          maxEvents: s3.maxBatchEvents,
          maxBytes: s3.maxBatchBytes,
          client: { ...aws, endpoint: s3.endpoint },
          logger,
        }),
      );
    } else if (cloudWatch) {
      logger.warn('S3 analytics disabled');
    } else {
      logger.info('S3 analytics disabled');
    }
    if (cloudWatch) {
      logger.info(
        `CloudWatch analytics enabled: group=${cloudWatch.logGroup} stream=${cloudWatch.logStream}`,
      );
      sinks.push(
        new CloudWatchSink({ ...cloudWatch, client: { ...aws, endpoint: cloudWatch.endpoint }, logger }),
      );
    } else if (s3) {
      logger.warn('CloudWatch analytics disabled: ANALYTICS_LOG_GROUP is not set');
    }
    if (local) {
      logger.info(`Local lake analytics enabled: dir=${local.dir}`);
      sinks.push(
        new LocalSink({
          dir: local.dir,
          prefix: local.prefix,
          maxEvents: local.maxBatchEvents,
          maxBytes: local.maxBatchBytes,
          gzipLevel: local.gzipLevel,
          logger,
        }),
      );
    }
    const intervals: Record<string, number> = {
      s3: s3?.intervalMs ?? 0,
      cloudwatch: cloudWatch?.intervalMs ?? 0,
      local: local?.intervalMs ?? 0,
    };
    this.#destinations = sinks.map(
      (sink) =>
        new Destination(sink, this.#log, {
          intervalMs: intervals[sink.name] ?? 1000,
          logger,
        }),
    );
  }

  /**
   * Record one event. Synchronous, never throws, never waits: the event is serialized once
   * and handed to the destinations, which deliver it in the background.
   */
  track(input: unknown): TrackResult {
    if (this.#closing !== undefined) return this.#reject(REJECT_REASONS.closed, 'analytics is closed');
    const n = normalizeEvent(input, this.config.maxEventBytes, Date.now());
    if (!n.ok) return this.#reject(n.reason, n.message);
    try {
      this.#log.append(n.record);
      this.#accepted++;
      for (const d of this.#destinations) d.onAppend();
    } catch (error) {
      // Never reached in normal operation; if it is, the agent must not be the one to pay.
      return this.#reject(
        REJECT_REASONS.internalError,
        `could not record the event: ${(error as Error)?.message}`,
      );
    }
    return { accepted: true, eventId: n.eventId };
  }

  /** Resolve once every event tracked before this call is delivered, or held for retry, per destination. */
  flush(): Promise<FlushResult> {
    const mark = this.#log.head;
    const run = async (): Promise<FlushResult> => {
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

  /** Flush, then release clients and timers. Bounded by `timeoutMs` (default 5000). Idempotent. */
  close(options: { timeoutMs?: number } = {}): Promise<CloseResult> {
    this.#closing ??= this.#close(options.timeoutMs ?? 5000);
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<CloseResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
      timer.unref();
    });
    const flushed = await Promise.race([this.flush(), timeout]);
    clearTimeout(timer);
    await Promise.all(this.#destinations.map((d) => d.stop()));
    const undelivered: Record<string, number> = {};
    const destinations: Record<string, FlushOutcome> = {};
    for (const d of this.#destinations) {
      const pending = d.stats().pending;
      undelivered[d.name] = pending;
      destinations[d.name] =
        flushed?.destinations[d.name] ??
        (pending === 0 ? 'delivered' : this.#spool ? 'persisted' : 'buffered');
      if (pending > 0) {
        this.config.logger.warn(
          { destination: d.name, events: pending },
          this.#spool
            ? `${pending} events were not delivered to ${d.name} before close; they are kept in the spool at ${this.#spool.stats().dir} and the next start delivers them`
            : `${pending} events were not delivered to ${d.name} before close; without a spool they are lost`,
        );
      }
    }
    await this.#log.close();
    return { timedOut: flushed === undefined, destinations, undelivered };
  }

  stats(): AnalyticsStats {
    return {
      accepted: this.#accepted,
      rejected: { ...this.#rejected },
      destinations: Object.fromEntries(this.#destinations.map((d) => [d.name, d.stats()])),
      ...(this.#spool ? { spool: this.#spool.stats() } : {}),
    };
  }

  #reject(reason: RejectReason, message: string): TrackResult {
    this.#rejected[reason] = (this.#rejected[reason] ?? 0) + 1;
    return { accepted: false, reason, message };
  }
}

/**
 * The spool when configured, else a bounded memory buffer. An explicit spool directory that
 * another process holds is an error; a busy default directory falls back to the next slot.
 */
function openLog(config: ResolvedConfig): EventLog {
  const { spool, logger } = config;
  if (spool === undefined) return new MemoryLog(config.bufferBytes);
  const slots = spool.defaultDir ? 8 : 1;
  for (let slot = 1; slot <= slots; slot++) {
    const dir = slot === 1 ? spool.dir : `${spool.dir}-${slot}`;
    try {
      const opened = Spool.open({ ...spool, dir, logger });
      logger.info(`Analytics spool enabled: dir=${dir}`);
      return opened;
    } catch (error) {
      if (!spool.defaultDir) throw error;
      if (!(error instanceof SpoolError) || slot === slots) {
        logger.warn(
          { error: (error as Error).message },
          'no usable default spool directory; events are buffered in memory only (set ANALYTICS_SPOOL_DIR)',
        );
        return new MemoryLog(config.bufferBytes);
      }
    }
  }
  return new MemoryLog(config.bufferBytes);
}

/** Create the analytics pipeline. With no options, everything comes from the environment. */
export function createAnalytics(options?: AnalyticsOptions): Analytics {
  return new Analytics(options);
}
