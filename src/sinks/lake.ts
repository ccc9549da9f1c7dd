/**
 * Shared by the S3 and local-lake sinks: group a run of records by event-date
 * partition, fix one object key per partition, gzip NDJSON off the event loop, and
 * write each object through a `put` function. Parts already written are not rewritten
 * on retry, and a retried part reuses its key, so a replay overwrites, never duplicates.
 */
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import type { EventRecord } from '../event.js';
import { objectKey, partitionPath } from '../lake/layout.js';
import { classifyError, describeError, FAILURE_CLASSES, retryAfterMs } from '../retry.js';
import type { Plan, SendReport, SinkOutcome } from './types.js';

const gzip = promisify(gzipCb);

export interface LakePart {
  readonly partition: string;
  readonly key: string;
  readonly records: readonly EventRecord[];
  readonly rawBytes: number;
  done: boolean;
  attempts: number;
}

export class LakePlan implements Plan {
  constructor(readonly parts: LakePart[]) {}
  get done(): boolean {
    return this.parts.every((p) => p.done);
  }
  /** Partition → key: enough to rebuild the same plan from the same records. */
  meta(): { keys: Record<string, string> } {
    return { keys: Object.fromEntries(this.parts.map((p) => [p.partition, p.key])) };
  }
}

/**
 * Group records by partition, in arrival order within each, one fresh key per partition,
 * or the saved key when replaying a plan (`meta` from `LakePlan.meta()`).
 */
export function planLake(
  records: readonly EventRecord[],
  prefix: string,
  meta?: unknown,
  now: number = Date.now(),
): LakePlan {
  const saved = (meta as { keys?: Record<string, string> } | undefined)?.keys ?? {};
  const groups = new Map<string, EventRecord[]>();
  for (const record of records) {
    const partition = partitionPath(record.timeMs);
    let group = groups.get(partition);
    if (group === undefined) {
      group = [];
      groups.set(partition, group);
    }
    group.push(record);
  }
  const parts: LakePart[] = [];
  for (const [partition, group] of groups) {
    let rawBytes = 0;
    for (const r of group) rawBytes += r.bytes + 1;
    const key = saved[partition] ?? objectKey(prefix, partition, now);
    parts.push({ partition, key, records: group, rawBytes, done: false, attempts: 0 });
  }
  return new LakePlan(parts);
}

/** NDJSON body of one part, gzipped in zlib's thread pool (not on the event loop). */
export async function gzipPart(part: LakePart, level = 6): Promise<Buffer> {
  let ndjson = '';
  for (const r of part.records) ndjson += `${r.line}\n`;
  return gzip(ndjson, { level });
}

export type PutObject = (key: string, body: Buffer, signal: AbortSignal) => Promise<void>;

/** Write every undone part, at most `concurrency` at a time; report and classify. */
export async function sendLakePlan(
  plan: LakePlan,
  report: SendReport,
  signal: AbortSignal,
  put: PutObject,
  onWritten: (key: string) => void,
  concurrency = 4,
  gzipLevel = 6,
): Promise<SinkOutcome> {
  const todo = plan.parts.filter((p) => !p.done);
  let firstError: unknown;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < todo.length && !signal.aborted) {
      const part = todo[next++] as LakePart;
      try {
        const body = await gzipPart(part, gzipLevel);
        report.requests++;
        if (part.attempts++ > 0) report.resent += part.records.length;
        await put(part.key, body, signal);
        part.done = true;
        report.delivered += part.records.length;
        report.bytes += part.rawBytes;
        report.storedBytes += body.length;
        onWritten(part.key);
      } catch (error) {
        firstError ??= error;
        if (classifyError(error) === FAILURE_CLASSES.config) return;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, todo.length) }, worker));
  if (plan.done) return { kind: 'ok' };
  const error = firstError ?? new Error('aborted');
  const wrapped = error instanceof Error ? error : new Error(describeError(error));
  if (classifyError(error) === FAILURE_CLASSES.config) return { kind: 'fatal', error: wrapped };
  return { kind: 'retry-later', error: wrapped, retryAfterMs: retryAfterMs(error) };
}
