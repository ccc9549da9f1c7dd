/**
 * CloudWatch Logs: PutLogEvents into one stream per process, creating the group and
 * stream when missing. Each plan's requests are fixed by `batchForCloudWatch`; a retry
 * resends only the requests not yet accepted. CloudWatch cannot deduplicate, so delivery
 * here is at least once.
 *
 * The plan is also where the destination's own choices are made, off the `track()` hot path:
 * records whose event type the filter (`events`) leaves out are skipped (the cursor moves past
 * them, counted as `filtered`), and each `call_ended` adds an embedded metric format document
 * (emf.ts) to the same requests.
 *
 * Over 300 lines: one sink's protocol: setup, sequence, classification of every CloudWatch answer.
 */
import {
  type CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import type { AwsClientConfig } from '../config/options.js';
import { ConfigError } from '../errors.js';
import type { EventRecord } from '../event.js';
import type { Logger } from '../logger.js';
import { classifyError, describeError, FAILURE_CLASSES, retryAfterMs } from '../retry.js';
import { acquireCloudWatch } from './clients.js';
import {
  type BatchInput,
  batchForCloudWatch,
  CW_LIMITS,
  eventTypeOf,
  type LogEvent,
} from './cloudwatch-batch.js';
import { emfDocument } from './emf.js';
import type { Plan, SendReport, Sink, SinkOutcome } from './types.js';

export interface CloudWatchSinkOptions {
  readonly logGroup: string;
  readonly logStream: string;
  readonly retentionDays?: number | undefined;
  /** KMS key for a group voicelake creates. */
  readonly kmsKeyId?: string | undefined;
  /** Log class of a group voicelake creates (CreateLogGroup `logGroupClass`). */
  readonly logGroupClass?: 'STANDARD' | 'INFREQUENT_ACCESS' | undefined;
  /** Put the retention on an existing group too. Default false: an existing group is left alone. */
  readonly applyToExisting?: boolean | undefined;
  /** Event types sent; others are skipped and counted as `filtered`. Default `'all'`. */
  readonly events?: 'all' | readonly string[] | ((eventType: string) => boolean) | undefined;
  /** Call metrics as EMF documents, in this namespace; `false` or absent: none. */
  readonly emf?: { readonly namespace: string } | false | undefined;
  readonly maxEventBytes: number;
  /** Bytes per PutLogEvents request (≤ 1 MiB); smaller requests block the event loop for less. */
  readonly maxBatchBytes: number;
  readonly client: AwsClientConfig;
  readonly logger: Logger;
}

interface CwPart {
  readonly events: LogEvent[];
  readonly bytes: number;
  /** Events of the part that are records (the rest are EMF documents). */
  readonly records: number;
  done: boolean;
  attempts: number;
}

class CloudWatchPlan implements Plan {
  constructor(
    readonly parts: CwPart[],
    /** Events refused before sending (too old / too new), reported with the first send. */
    public skipped: { too_old: number; too_new: number } | undefined,
    public truncated: number,
    /** Records the event filter left out, reported with the first send. */
    public filtered: number,
    /** EMF documents left out with their too old / too new `call_ended`, logged with the first send. */
    public emfSkipped: number,
  ) {}
  get done(): boolean {
    return this.parts.every((p) => p.done);
  }
  /** Nothing to keep: CloudWatch cannot deduplicate, a replay resends (counted as replayed). */
  meta(): undefined {
    return undefined;
  }
}

export class CloudWatchSink implements Sink<CloudWatchPlan> {
  readonly name = 'cloudwatch';
  readonly limits: { maxEvents: number; maxBytes: number };
  readonly #client: CloudWatchLogsClient;
  readonly #release: () => void;
  /** The event filter as a predicate; undefined sends everything. */
  readonly #accept: ((eventType: string) => boolean) | undefined;
  #streamReady = false;

  constructor(private readonly options: CloudWatchSinkOptions) {
    this.limits = {
      maxEvents: CW_LIMITS.maxBatchEvents,
      maxBytes: Math.min(options.maxBatchBytes, CW_LIMITS.maxBatchBytes),
    };
    const { client, release } = acquireCloudWatch(options.client);
    this.#client = client;
    this.#release = release;
    this.#accept = eventFilter(options.events);
  }

  prepare(records: readonly EventRecord[]): CloudWatchPlan {
    const maxAgeMs = this.options.retentionDays ? this.options.retentionDays * 86_400_000 : undefined;
    const { inputs, filtered } = this.#select(records);
    const b = batchForCloudWatch(inputs, {
      now: Date.now(),
      maxEventBytes: this.options.maxEventBytes,
      ...(maxAgeMs ? { maxAgeMs } : {}),
    });
    const parts = b.batches.map((events) => ({
      events,
      bytes: events.reduce((n, e) => n + e.bytes, 0),
      records: countRecords(events),
      done: false,
      attempts: 0,
    }));
    const skipped = b.tooOld + b.tooNew > 0 ? { too_old: b.tooOld, too_new: b.tooNew } : undefined;
    return new CloudWatchPlan(parts, skipped, b.truncated, filtered, b.emfSkipped);
  }

  /** The records the filter keeps, plus one EMF document per `call_ended` (filtered or not). */
  #select(records: readonly EventRecord[]): { inputs: BatchInput[]; filtered: number } {
    const accept = this.#accept;
    const emf = this.options.emf;
    if (accept === undefined && !emf) return { inputs: records as BatchInput[], filtered: 0 };
    const inputs: BatchInput[] = [];
    let filtered = 0;
    for (const r of records) {
      const type = eventTypeOf(r.line);
      if (emf && type === 'call_ended') {
        const doc = emfDocument(r.line, r.timeMs, emf.namespace);
        if (doc !== undefined)
          inputs.push({ line: doc, bytes: Buffer.byteLength(doc), timeMs: r.timeMs, emf: true });
      }
      if (accept === undefined || (type !== undefined && accept(type))) inputs.push(r);
      else filtered++;
    }
    return { inputs, filtered };
  }

  async send(plan: CloudWatchPlan, report: SendReport, signal: AbortSignal): Promise<SinkOutcome> {
    const { logger } = this.options;
    if (plan.skipped) {
      for (const [reason, n] of Object.entries(plan.skipped)) {
        if (n > 0) report.skipped[reason] = (report.skipped[reason] ?? 0) + n;
      }
      logger.warn(
        plan.skipped,
        'CloudWatch refuses events older than 14 days (or the retention) or over 2 h ahead: these were not sent to CloudWatch (they stay in the lake)',
      );
      plan.skipped = undefined;
    }
    report.truncated += plan.truncated;
    plan.truncated = 0;
    report.filtered += plan.filtered;
    plan.filtered = 0;
    if (plan.emfSkipped > 0) {
      logger.warn(
        { emf: plan.emfSkipped },
        'EMF documents of calls that ended over 14 days ago (or the retention) or over 2 h ahead were not sent',
      );
      plan.emfSkipped = 0;
    }
    try {
      for (const part of plan.parts) {
        if (part.done) continue;
        if (signal.aborted) throw signal.reason ?? new Error('aborted');
        await this.#putWithCreate(part, report, signal);
        part.done = true;
        report.delivered += part.records;
        report.emf += part.events.length - part.records;
        report.bytes += part.bytes;
        report.storedBytes += part.bytes;
        logger.info(
          { events: part.records, emf: part.events.length - part.records },
          'Analytics written to CloudWatch',
        );
      }
      return { kind: 'ok' };
    } catch (error) {
      const wrapped = error instanceof Error ? error : new Error(describeError(error));
      const kind = classifyError(error);
      if (kind === FAILURE_CLASSES.config) return { kind: 'fatal', error: wrapped };
      if (kind === FAILURE_CLASSES.invalid) {
        const part = plan.parts.find((p) => !p.done);
        if (part) part.done = true;
        return { kind: 'rejected', error: wrapped, count: part?.records ?? 0 };
      }
      return { kind: 'retry-later', error: wrapped, retryAfterMs: retryAfterMs(error) };
    }
  }

  async #putWithCreate(part: CwPart, report: SendReport, signal: AbortSignal): Promise<void> {
    if (!this.#streamReady) await this.#setUp(report, signal);
    try {
      await this.#put(part, report, signal);
    } catch (error) {
      if ((error as Error)?.name !== 'ResourceNotFoundException') throw error;
      // The stream (or group) is gone, deleted under us: that attempt stored nothing, so the
      // next one is not a re-send.
      part.attempts--;
      this.#streamReady = false;
      await this.#setUp(report, signal);
      await this.#put(part, report, signal);
    }
  }

  /**
   * {@link #ensureStream}, where a refused request (`InvalidParameterException`: a KMS key that
   * is missing or disabled, a name CloudWatch does not accept) is a configuration problem of the
   * group or stream, not of the events: they are kept and the setup re-probed slowly.
   */
  async #setUp(report: SendReport, signal: AbortSignal): Promise<void> {
    try {
      await this.#ensureStream(report, signal);
    } catch (error) {
      if (classifyError(error) !== FAILURE_CLASSES.invalid) throw error;
      throw new ConfigError(
        `CloudWatch refused to set up log group ${this.options.logGroup}, stream ${this.options.logStream}: ${describeError(error)}`,
        { cause: error },
      );
    }
  }

  async #put(part: CwPart, report: SendReport, abortSignal: AbortSignal): Promise<void> {
    report.requests++;
    // A part sent before may have landed although its response was lost: CloudWatch may hold it twice.
    if (part.attempts++ > 0) report.resent += part.events.length;
    const out = await this.#client.send(
      new PutLogEventsCommand({
        logGroupName: this.options.logGroup,
        logStreamName: this.options.logStream,
        logEvents: part.events.map((e) => ({ timestamp: e.timestamp, message: e.message })),
      }),
      { abortSignal },
    );
    const info = out.rejectedLogEventsInfo;
    if (info) {
      // Into this request's events, as the API reference defines them: the too-old end index is
      // exclusive, the too-new start index inclusive; the expired end index is undocumented and
      // read like the too-old one. (moto answers with inclusive ends: docs/cloudwatch.md.)
      const tooOld = info.tooOldLogEventEndIndex ?? 0;
      const expired = info.expiredLogEventEndIndex ?? 0;
      const tooNew =
        info.tooNewLogEventStartIndex !== undefined ? part.events.length - info.tooNewLogEventStartIndex : 0;
      this.options.logger.warn({ tooOld, expired, tooNew }, 'CloudWatch rejected some events in a batch');
      // The ranges overlap at the head (both start at 0): a record counts once, as expired if it
      // is in that range, else as too old. Skipped counts records only; EMF documents are
      // counted apart, so the rejected ones come off `emf` (added for the whole part by `send`).
      const events = part.events;
      const head = Math.max(tooOld, expired);
      const rejected = {
        expired: countRecords(events.slice(0, expired)),
        too_old: countRecords(events.slice(expired, head)),
        too_new: tooNew > 0 ? countRecords(events.slice(events.length - tooNew)) : 0,
      };
      let records = 0;
      for (const [reason, n] of Object.entries(rejected)) {
        if (n > 0) report.skipped[reason] = (report.skipped[reason] ?? 0) + n;
        records += n;
      }
      report.delivered -= records;
      report.emf -= head + tooNew - records;
    }
  }

  /**
   * Create the stream; create the group only if it is missing (IAM often grants no
   * CreateLogGroup), with its KMS key, class and retention. An existing group is left as it is,
   * unless `applyToExisting` asks for its retention to be put too.
   */
  async #ensureStream(report: SendReport, abortSignal: AbortSignal): Promise<void> {
    const { logGroup, logStream, retentionDays, kmsKeyId, logGroupClass, applyToExisting } = this.options;
    const createStream = async (): Promise<void> => {
      report.requests++;
      await this.#client
        .send(new CreateLogStreamCommand({ logGroupName: logGroup, logStreamName: logStream }), {
          abortSignal,
        })
        .catch(ignoreAlreadyExists);
    };
    let created = false;
    try {
      await createStream();
    } catch (error) {
      if ((error as Error)?.name !== 'ResourceNotFoundException') throw error;
      report.requests++;
      created = await this.#client
        .send(
          new CreateLogGroupCommand({
            logGroupName: logGroup,
            ...(kmsKeyId ? { kmsKeyId } : {}),
            ...(logGroupClass ? { logGroupClass } : {}),
          }),
          { abortSignal },
        )
        .then(() => true, ignoreAlreadyExists);
      await createStream();
    }
    if (retentionDays && (created || applyToExisting)) {
      report.requests++;
      await this.#client.send(
        new PutRetentionPolicyCommand({ logGroupName: logGroup, retentionInDays: retentionDays }),
        { abortSignal },
      );
    }
    this.#streamReady = true;
  }

  async close(): Promise<void> {
    this.#release();
  }
}

/** The filter as a predicate on the event type; undefined when every event goes. */
function eventFilter(events: CloudWatchSinkOptions['events']): ((eventType: string) => boolean) | undefined {
  if (events === undefined || events === 'all') return undefined;
  if (typeof events === 'function') {
    return (type) => {
      try {
        return events(type) === true;
      } catch {
        // A throwing predicate keeps the event: better a CloudWatch line too many than one lost.
        return true;
      }
    };
  }
  const set = new Set(events);
  return (type) => set.has(type);
}

function countRecords(events: readonly LogEvent[]): number {
  let n = 0;
  for (const e of events) if (!e.emf) n++;
  return n;
}

function ignoreAlreadyExists(error: unknown): false {
  if ((error as Error)?.name !== 'ResourceAlreadyExistsException') throw error;
  return false;
}
