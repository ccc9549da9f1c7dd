/**
 * Shared by the S3 and local-lake sinks: group a run of records by event-date
 * partition, fix one object key per partition, gzip NDJSON off the event loop, and
 * write each object through a `put` function. Parts already written are not rewritten
 * on retry, and a retried part reuses its key, so a replay overwrites, never duplicates.
 */
import { createGzip } from 'node:zlib';
import { DEFAULTS } from '../config/defaults.js';
import type { EventRecord } from '../event.js';
import { isLayoutKey, newWriterId, objectKey, partitionPath } from '../lake/layout.js';
import { classifyError, describeError, FAILURE_CLASSES, retryAfterMs } from '../retry.js';
import type { Plan, SendReport, SinkOutcome } from './types.js';

/** Work on the event loop is cut into slices of this many records, with a yield between. */
const SLICE = 4096;
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface LakePart {
  readonly partition: string;
  readonly key: string;
  readonly records: readonly EventRecord[];
  readonly rawBytes: number;
  done: boolean;
  attempts: number;
}

export class LakePlan implements Plan {
  constructor(
    readonly parts: LakePart[],
    /** Why saved keys were not reused, when a replayed plan held keys outside the layout. */
    readonly metaProblem?: string,
  ) {}
  get done(): boolean {
    return this.parts.every((p) => p.done);
  }
  /** Partition → its parts' keys, in order: enough to rebuild the same plan from the same records. */
  meta(): { keys: Record<string, string[]> } {
    const keys: Record<string, string[]> = {};
    for (const p of this.parts) keys[p.partition] = [...(keys[p.partition] ?? []), p.key];
    return { keys };
  }
}

/**
 * Group records by partition, in arrival order within each, split into objects of at most
 * `maxObjectBytes`, each with a fresh key — or the saved keys when replaying a plan (`meta`
 * from `LakePlan.meta()`; the split is deterministic, so the same records get the same keys).
 */
export interface PlanOptions {
  /** The log's writer id: new keys carry it, and a saved key without it is refused. Default: a fresh one. */
  readonly writer?: string | undefined;
  readonly now?: number | undefined;
  readonly maxObjectBytes?: number | undefined;
}

export function planLake(
  records: readonly EventRecord[],
  prefix: string,
  meta?: unknown,
  options: PlanOptions = {},
): LakePlan {
  const now = options.now ?? Date.now();
  const maxObjectBytes = options.maxObjectBytes ?? DEFAULTS.maxObjectBytes;
  const writer = options.writer ?? newWriterId();
  let saved = (meta as { keys?: unknown } | undefined)?.keys ?? {};
  let metaProblem: string | undefined;
  const groups = new Map<string, EventRecord[]>();
  let current = '';
  let group: EventRecord[] | undefined;
  for (const record of records) {
    const partition = partitionPath(record.timeMs);
    if (partition !== current || group === undefined) {
      current = partition;
      group = groups.get(partition);
      if (group === undefined) {
        group = [];
        groups.set(partition, group);
      }
    }
    group.push(record);
  }
  // Keys read back from disk are untrusted: reuse them only if every one is a layout key of
  // its own partition under this prefix; otherwise plan afresh (the replay may then write a
  // second copy, which compaction removes; a forged key must never write outside the lake).
  const problem = savedKeysProblem(saved, prefix, groups, writer);
  if (problem !== undefined) {
    metaProblem = problem;
    saved = {};
  }
  const savedKeys = saved as Record<string, string[]>;
  const parts: LakePart[] = [];
  for (const [partition, members] of groups) {
    const keys = savedKeys[partition] ?? [];
    let start = 0;
    let rawBytes = 0;
    const emit = (end: number): void => {
      const key =
        keys[parts.filter((p) => p.partition === partition).length] ??
        objectKey(prefix, partition, now, writer);
      parts.push({ partition, key, records: members.slice(start, end), rawBytes, done: false, attempts: 0 });
      start = end;
      rawBytes = 0;
    };
    for (let i = 0; i < members.length; i++) {
      const size = (members[i] as EventRecord).bytes + 1;
      if (rawBytes > 0 && rawBytes + size > maxObjectBytes) emit(i);
      rawBytes += size;
    }
    emit(members.length);
  }
  return new LakePlan(parts, metaProblem);
}

function savedKeysProblem(
  saved: unknown,
  prefix: string,
  groups: ReadonlyMap<string, unknown>,
  writer: string,
): string | undefined {
  if (typeof saved !== 'object' || saved === null || Array.isArray(saved))
    return 'saved keys are not an object';
  for (const [partition, keys] of Object.entries(saved)) {
    // A partition whose records were lost (spool full) is simply not replayed.
    if (!groups.has(partition)) continue;
    if (!Array.isArray(keys)) return `saved keys of ${partition} are not a list`;
    for (const key of keys) {
      if (!isLayoutKey(key, prefix, partition)) {
        return `saved key ${JSON.stringify(key).slice(0, 200)} is not a layout key of ${prefix}${partition}`;
      }
      if (!isLayoutKey(key, prefix, partition, writer)) {
        return `saved key ${JSON.stringify(key).slice(0, 200)} was not made by this spool's writer (${writer}): replaying it could overwrite another writer's object`;
      }
    }
  }
  return undefined;
}

/**
 * NDJSON body of one part, gzipped by a zlib stream: compression runs in zlib's thread pool,
 * and the event loop only joins lines, a slice at a time, yielding in between, so a large
 * batch never blocks it for long.
 */
export async function gzipPart(part: LakePart, level: number = DEFAULTS.s3.gzipLevel): Promise<Buffer> {
  // Large output chunks: fewer callbacks back onto the event loop.
  const gz = createGzip({ level, chunkSize: 128 * 1024 });
  const chunks: Buffer[] = [];
  gz.on('data', (c: Buffer) => chunks.push(c));
  const finished = new Promise<void>((resolve, reject) => {
    gz.on('end', resolve);
    gz.on('error', reject);
  });
  const records = part.records;
  for (let i = 0; i < records.length; i += SLICE) {
    const end = Math.min(records.length, i + SLICE);
    // Lines are encoded straight into one buffer per slice: no joined string to build and encode.
    let size = 0;
    for (let k = i; k < end; k++) size += (records[k] as EventRecord).bytes + 1;
    const ndjson = Buffer.allocUnsafe(size);
    let at = 0;
    for (let k = i; k < end; k++) {
      at += ndjson.write((records[k] as EventRecord).line, at, 'utf8');
      ndjson[at++] = 0x0a;
    }
    if (!gz.write(at === size ? ndjson : ndjson.subarray(0, at)))
      await new Promise<void>((resolve) => gz.once('drain', resolve));
    else if (end < records.length) await yieldToLoop();
  }
  gz.end();
  await finished;
  return Buffer.concat(chunks);
}

export type PutObject = (key: string, body: Buffer, signal: AbortSignal) => Promise<void>;

/** Write every undone part, at most `concurrency` at a time; report and classify. */
export async function sendLakePlan(
  plan: LakePlan,
  report: SendReport,
  signal: AbortSignal,
  put: PutObject,
  onWritten: (key: string) => void,
  concurrency: number = DEFAULTS.s3.concurrency,
  gzipLevel: number = DEFAULTS.s3.gzipLevel,
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
        if (classifyError(error) !== FAILURE_CLASSES.transient) return;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, todo.length) }, worker));
  if (plan.done) return { kind: 'ok' };
  const error = firstError ?? new Error('aborted');
  const wrapped = error instanceof Error ? error : new Error(describeError(error));
  // A refused request (bad SSE setting, wrong owner) is a configuration problem for the lake:
  // the data is kept and the request re-probed slowly.
  if (classifyError(error) !== FAILURE_CLASSES.transient) return { kind: 'fatal', error: wrapped };
  return { kind: 'retry-later', error: wrapped, retryAfterMs: retryAfterMs(error) };
}
