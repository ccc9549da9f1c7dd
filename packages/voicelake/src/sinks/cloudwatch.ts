/**
 * CloudWatch Logs: PutLogEvents into one stream per process, creating the group and
 * stream when missing. Each plan's requests are fixed by `batchForCloudWatch`; a retry
 * resends only the requests not yet accepted. CloudWatch cannot deduplicate, so delivery
 * here is at least once.
 */
import {
  type CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import type { AwsClientConfig } from '../config/options.js';
import type { EventRecord } from '../event.js';
import type { Logger } from '../logger.js';
import { classifyError, describeError, FAILURE_CLASSES, retryAfterMs } from '../retry.js';
import { acquireCloudWatch } from './clients.js';
import { batchForCloudWatch, CW_LIMITS, type LogEvent } from './cloudwatch-batch.js';
import type { Plan, SendReport, Sink, SinkOutcome } from './types.js';

export interface CloudWatchSinkOptions {
  readonly logGroup: string;
  readonly logStream: string;
  readonly retentionDays?: number | undefined;
  /** KMS key for a group voicelake creates. */
  readonly kmsKeyId?: string | undefined;
  readonly maxEventBytes: number;
  /** Bytes per PutLogEvents request (≤ 1 MiB); smaller requests block the event loop for less. */
  readonly maxBatchBytes: number;
  readonly client: AwsClientConfig;
  readonly logger: Logger;
}

interface CwPart {
  readonly events: LogEvent[];
  readonly bytes: number;
  done: boolean;
  attempts: number;
}

class CloudWatchPlan implements Plan {
  constructor(
    readonly parts: CwPart[],
    /** Events refused before sending (too old / too new), reported with the first send. */
    public skipped: { too_old: number; too_new: number } | undefined,
    public truncated: number,
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
  #streamReady = false;

  constructor(private readonly options: CloudWatchSinkOptions) {
    this.limits = {
      maxEvents: CW_LIMITS.maxBatchEvents,
      maxBytes: Math.min(options.maxBatchBytes, CW_LIMITS.maxBatchBytes),
    };
    const { client, release } = acquireCloudWatch(options.client);
    this.#client = client;
    this.#release = release;
  }

  prepare(records: readonly EventRecord[]): CloudWatchPlan {
    const maxAgeMs = this.options.retentionDays ? this.options.retentionDays * 86_400_000 : undefined;
    const b = batchForCloudWatch(records, {
      now: Date.now(),
      maxEventBytes: this.options.maxEventBytes,
      ...(maxAgeMs ? { maxAgeMs } : {}),
    });
    const parts = b.batches.map((events) => ({
      events,
      bytes: events.reduce((n, e) => n + e.bytes, 0),
      done: false,
      attempts: 0,
    }));
    const skipped = b.tooOld + b.tooNew > 0 ? { too_old: b.tooOld, too_new: b.tooNew } : undefined;
    return new CloudWatchPlan(parts, skipped, b.truncated);
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
    try {
      for (const part of plan.parts) {
        if (part.done) continue;
        if (signal.aborted) throw signal.reason ?? new Error('aborted');
        await this.#putWithCreate(part, report, signal);
        part.done = true;
        report.delivered += part.events.length;
        report.bytes += part.bytes;
        report.storedBytes += part.bytes;
        logger.info({ events: part.events.length }, 'Analytics written to CloudWatch');
      }
      return { kind: 'ok' };
    } catch (error) {
      const wrapped = error instanceof Error ? error : new Error(describeError(error));
      const kind = classifyError(error);
      if (kind === FAILURE_CLASSES.config) return { kind: 'fatal', error: wrapped };
      if (kind === FAILURE_CLASSES.invalid) {
        const part = plan.parts.find((p) => !p.done);
        if (part) part.done = true;
        return { kind: 'rejected', error: wrapped, count: part?.events.length ?? 0 };
      }
      return { kind: 'retry-later', error: wrapped, retryAfterMs: retryAfterMs(error) };
    }
  }

  async #putWithCreate(part: CwPart, report: SendReport, signal: AbortSignal): Promise<void> {
    if (!this.#streamReady) await this.#ensureStream(report, signal);
    try {
      await this.#put(part, report, signal);
    } catch (error) {
      if ((error as Error)?.name !== 'ResourceNotFoundException') throw error;
      this.#streamReady = false;
      await this.#ensureStream(report, signal);
      await this.#put(part, report, signal);
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
      // Indexes are inclusive ends / starts into this request's events.
      const tooOld = info.tooOldLogEventEndIndex !== undefined ? info.tooOldLogEventEndIndex + 1 : 0;
      const expired = info.expiredLogEventEndIndex !== undefined ? info.expiredLogEventEndIndex + 1 : 0;
      const tooNew =
        info.tooNewLogEventStartIndex !== undefined ? part.events.length - info.tooNewLogEventStartIndex : 0;
      for (const [reason, n] of Object.entries({ too_old: tooOld, expired, too_new: tooNew })) {
        if (n > 0) report.skipped[reason] = (report.skipped[reason] ?? 0) + n;
      }
      this.options.logger.warn({ tooOld, expired, tooNew }, 'CloudWatch rejected some events in a batch');
      report.delivered -= Math.max(tooOld, expired) + tooNew;
    }
  }

  /** Create the stream; create the group only if it is missing (IAM often grants no CreateLogGroup). */
  async #ensureStream(report: SendReport, abortSignal: AbortSignal): Promise<void> {
    const { logGroup, logStream, retentionDays, kmsKeyId } = this.options;
    const createStream = async (): Promise<void> => {
      report.requests++;
      await this.#client
        .send(new CreateLogStreamCommand({ logGroupName: logGroup, logStreamName: logStream }), {
          abortSignal,
        })
        .catch(ignoreAlreadyExists);
    };
    try {
      await createStream();
    } catch (error) {
      if ((error as Error)?.name !== 'ResourceNotFoundException') throw error;
      report.requests++;
      const created = await this.#client
        .send(new CreateLogGroupCommand({ logGroupName: logGroup, ...(kmsKeyId ? { kmsKeyId } : {}) }), {
          abortSignal,
        })
        .then(() => true, ignoreAlreadyExists);
      if (created && retentionDays) {
        report.requests++;
        await this.#client.send(
          new PutRetentionPolicyCommand({ logGroupName: logGroup, retentionInDays: retentionDays }),
          { abortSignal },
        );
      }
      await createStream();
    }
    this.#streamReady = true;
  }

  async close(): Promise<void> {
    this.#release();
  }
}

function ignoreAlreadyExists(error: unknown): false {
  if ((error as Error)?.name !== 'ResourceAlreadyExistsException') throw error;
  return false;
}
