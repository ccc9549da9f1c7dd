/**
 * Normalize, validate and serialize one `track()` input into one immutable JSON line.
 * Runs on the hot path: synchronous, never throws, allocation-light.
 */
import { v7 as uuidv7 } from 'uuid';
import { COLUMN_BY_KEY, type KnownData, SCHEMA_VERSION } from './schema.js';

/** Why `track()` refused an input. Stable strings, counted in `stats().rejected`. */
export const REJECT_REASONS = {
  notAnObject: 'not_an_object',
  invalidType: 'invalid_type',
  invalidCallId: 'invalid_call_id',
  invalidAgentId: 'invalid_agent_id',
  invalidTime: 'invalid_time',
  invalidData: 'invalid_data',
  invalidField: 'invalid_field',
  unserializable: 'unserializable',
  tooLarge: 'too_large',
  closed: 'closed',
} as const;
export type RejectReason = (typeof REJECT_REASONS)[keyof typeof REJECT_REASONS];

/** One analytics event as the agent reports it. */
export interface TrackInput {
  /** Event type, e.g. `llm_metrics`. 1-128 characters. */
  type: string;
  /** The call this event belongs to. 1-512 characters. */
  callId: string;
  /** The agent that handled the call. */
  agentId?: string | undefined;
  /** When it happened. Default: now. Must fall in [2000-01-01, 2100-01-01). */
  time?: Date | number | string | undefined;
  /** Typed metrics (see `KnownData`) and any custom fields. */
  data?: (KnownData & Record<string, unknown>) | undefined;
}

export type TrackResult =
  | { readonly accepted: true; readonly eventId: string }
  | { readonly accepted: false; readonly reason: RejectReason; readonly message: string };

/** A serialized event: what the buffer, the spool and every sink carry. */
export interface EventRecord {
  /** The JSON line, without the trailing newline. */
  readonly line: string;
  /** UTF-8 byte length of `line`. */
  readonly bytes: number;
  /** Event time, epoch ms. */
  readonly timeMs: number;
}

export type Normalized =
  | { ok: true; record: EventRecord; eventId: string }
  | { ok: false; reason: RejectReason; message: string };

const MIN_TIME = Date.UTC(2000, 0, 1);
const MAX_TIME = Date.UTC(2100, 0, 1);
const MAX_TYPE_LENGTH = 128;
const MAX_ID_LENGTH = 512;

const reject = (reason: RejectReason, message: string): Normalized => ({ ok: false, reason, message });

function toTimeMs(time: unknown, now: number): number {
  if (time === undefined) return now;
  if (typeof time === 'number') return time;
  if (time instanceof Date) return time.getTime();
  if (typeof time === 'string') return Date.parse(time);
  return Number.NaN;
}

function isId(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max;
}

/** Turn any input into a record, or a typed reason why not. Never throws. */
export function normalizeEvent(input: unknown, maxEventBytes: number, now: number): Normalized {
  try {
    return normalizeUnsafe(input, maxEventBytes, now);
  } catch (error) {
    return reject(
      REJECT_REASONS.unserializable,
      `event could not be serialized: ${(error as Error)?.message}`,
    );
  }
}

function normalizeUnsafe(input: unknown, maxEventBytes: number, now: number): Normalized {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return reject(REJECT_REASONS.notAnObject, `track() expects an object, got ${describe(input)}`);
  }
  const e = input as Record<string, unknown>;
  if (!isId(e.type, MAX_TYPE_LENGTH)) {
    return reject(REJECT_REASONS.invalidType, `type must be a string of 1-${MAX_TYPE_LENGTH} characters`);
  }
  if (!isId(e.callId, MAX_ID_LENGTH)) {
    return reject(REJECT_REASONS.invalidCallId, `callId must be a string of 1-${MAX_ID_LENGTH} characters`);
  }
  if (e.agentId !== undefined && e.agentId !== null && !isId(e.agentId, MAX_ID_LENGTH)) {
    return reject(REJECT_REASONS.invalidAgentId, `agentId must be a string of 1-${MAX_ID_LENGTH} characters`);
  }
  const timeMs = toTimeMs(e.time, now);
  if (!(timeMs >= MIN_TIME && timeMs < MAX_TIME)) {
    return reject(REJECT_REASONS.invalidTime, 'time must be a Date, epoch ms or ISO string in [2000, 2100)');
  }
  const eventId = uuidv7();
  const out: Record<string, unknown> = {
    event_id: eventId,
    event_type: e.type,
    event_time: new Date(timeMs).toISOString(),
    call_id: e.callId,
    agent_id: e.agentId ?? null,
    schema_version: SCHEMA_VERSION,
  };
  const data = e.data;
  if (data !== undefined && data !== null) {
    if (typeof data !== 'object' || Array.isArray(data)) {
      return reject(REJECT_REASONS.invalidData, `data must be a plain object, got ${describe(data)}`);
    }
    let custom: Record<string, unknown> | undefined;
    for (const key in data) {
      const value = (data as Record<string, unknown>)[key];
      if (value === undefined) continue;
      if (typeof value === 'string' && value.length > maxEventBytes) {
        return reject(
          REJECT_REASONS.tooLarge,
          `data.${key} is longer than the ${maxEventBytes}-byte event limit`,
        );
      }
      const column = COLUMN_BY_KEY.get(key);
      if (column === undefined) {
        if (custom === undefined) custom = {};
        custom[key] = value;
        continue;
      }
      if (value === null) continue;
      const ok =
        column.kind === 'string'
          ? typeof value === 'string'
          : column.kind === 'boolean'
            ? typeof value === 'boolean'
            : typeof value === 'number' && Number.isFinite(value);
      if (!ok) {
        return reject(
          REJECT_REASONS.invalidField,
          `data.${key} must be a ${column.kind}, got ${describe(value)}`,
        );
      }
      out[column.name] = column.kind === 'bigint' ? Math.round(value as number) : value;
    }
    if (custom !== undefined) out.custom = JSON.stringify(custom);
  }
  const line = JSON.stringify(out);
  const bytes = Buffer.byteLength(line);
  if (bytes > maxEventBytes) {
    return reject(REJECT_REASONS.tooLarge, `event is ${bytes} bytes, over the ${maxEventBytes}-byte limit`);
  }
  return { ok: true, record: { line, bytes, timeMs }, eventId };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

/** `YYYY-MM-DD` of an epoch-ms time, in UTC. */
export function utcDay(timeMs: number): string {
  return new Date(timeMs).toISOString().slice(0, 10);
}
