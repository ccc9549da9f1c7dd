/**
 * Normalize, validate and serialize one `track()` input into one immutable JSON line.
 * Runs on the hot path: synchronous, never throws, allocation-light.
 *
 * Over 300 lines: the hot path (normalize, validate, redact, serialize) stays in one module so it reads, and inlines, as one pass.
 */

import { toTimeMs } from './event-time.js';
import { COLUMN_BY_KEY, type KnownData, SCHEMA_VERSION } from './schema.js';
import { uuidv7 } from './uuid7.js';

/** Why `track()` refused an input. Stable strings, counted in `stats().rejected`. */
export const REJECT_REASONS = {
  notAnObject: 'not_an_object',
  invalidType: 'invalid_type',
  invalidCallId: 'invalid_call_id',
  invalidAgentId: 'invalid_agent_id',
  invalidEventId: 'invalid_event_id',
  invalidTime: 'invalid_time',
  invalidData: 'invalid_data',
  invalidField: 'invalid_field',
  unserializable: 'unserializable',
  tooLarge: 'too_large',
  closed: 'closed',
  /** A bug or resource exhaustion inside voicelake; the message says what. */
  internalError: 'internal_error',
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
  /**
   * The event's id, for a caller that must make a re-sent event the same event (the collector
   * derives it from a span's trace and span ids): a lowercase UUID. Default: a new UUIDv7.
   */
  eventId?: string | undefined;
  /**
   * When it happened. Default: now. Must fall in [2000-01-01, 2100-01-01). A string must be an
   * ISO 8601 date-time with a zone (`Z` or `±HH:MM`) and a real date; fractional ms are truncated.
   */
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
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const reject = (reason: RejectReason, message: string): Normalized => ({ ok: false, reason, message });

function isId(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max;
}

/** How `track()` redacts personal data before anything is written (see redact.ts). */
export interface RedactPolicy {
  /** Stored text columns to redact, e.g. `transcript`, `text`, `message`. */
  readonly fields: ReadonlySet<string>;
  /** Redact every string inside `custom` too (tool arguments and outputs go there). */
  readonly custom: boolean;
  /** Replaces personal data in one string and counts what it replaced. */
  readonly apply: (text: string) => string;
}

/** Turn any input into a record, or a typed reason why not. Never throws. */
export function normalizeEvent(
  input: unknown,
  maxEventBytes: number,
  now: number,
  redact?: RedactPolicy,
): Normalized {
  try {
    return normalizeUnsafe(input, maxEventBytes, now, redact);
  } catch (error) {
    // Even inspecting what was thrown may throw (a revoked Proxy): nothing here may escape.
    let tooLarge = false;
    try {
      tooLarge = error instanceof TooLarge;
    } catch {
      tooLarge = false;
    }
    if (tooLarge) return reject(REJECT_REASONS.tooLarge, (error as TooLarge).message);
    return reject(REJECT_REASONS.unserializable, `event could not be serialized: ${thrownMessage(error)}`);
  }
}

/** The message of anything thrown, even when reading it throws. */
export function thrownMessage(error: unknown): string {
  try {
    const m = (error as { message?: unknown })?.message;
    return typeof m === 'string' ? m : String(error);
  } catch {
    return 'an unprintable error';
  }
}

class TooLarge extends Error {}

/**
 * JSON for custom fields, abandoned as soon as its strings pass `budget` characters: a `toJSON`
 * that returns 50 MB is refused before it is serialized, not after.
 */
function boundedJson(
  value: Record<string, unknown>,
  budget: number,
  redact: RedactPolicy | undefined,
): string {
  // Fast path, when no custom string is redacted: flat fields of primitives, measured without a
  // replacer (a replacer makes JSON.stringify slow).
  if (!redact?.custom) {
    let size = 0;
    let flat = true;
    for (const k in value) {
      const v = value[k];
      if (typeof v === 'string') size += v.length + k.length + 8;
      else if (typeof v === 'object' && v !== null) {
        flat = false;
        break;
      } else size += k.length + 32;
    }
    if (flat && size <= budget) return JSON.stringify(value);
  }
  let used = 0;
  return JSON.stringify(value, function (this: unknown, key: string, raw: unknown) {
    used += key.length + 8;
    // A boxed String is unboxed by JSON.stringify after this replacer: measure it as the string it is.
    const v = typeof raw === 'object' && raw !== null && raw instanceof String ? raw.valueOf() : raw;
    // A typed array serializes as one key per element: count it before JSON.stringify lists them all.
    if (ArrayBuffer.isView(v)) used += v.byteLength * 4;
    if (typeof v === 'string') {
      used += v.length;
      if (used > budget) throw new TooLarge(`custom fields are larger than the ${budget}-byte event limit`);
      return redact?.custom ? redact.apply(v) : v;
    }
    if (used > budget) throw new TooLarge(`custom fields are larger than the ${budget}-byte event limit`);
    return raw;
  });
}

/** A lone UTF-16 surrogate as JSON.stringify escapes it (paired ones are written raw). */
const LONE_SURROGATE = /(?<!\\)((?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/gi;

type WellFormedString = string & { isWellFormed(): boolean; toWellFormed(): string };

/**
 * `quote` for ids that repeat event after event (the call, the agent, the event type): the last
 * value of each slot is remembered, so a call's events quote its id once.
 */
const lastQuoted = ['', '', ''];
const lastRaw = ['', '', ''];
const lastExtra = [0, 0, 0];
function quoteId(slot: 0 | 1 | 2, value: string): string {
  if (lastRaw[slot] !== value) {
    lastQuoted[slot] = quote(value);
    lastRaw[slot] = value;
    lastExtra[slot] = quotedExtra;
  }
  quotedExtra = lastExtra[slot] as number;
  return lastQuoted[slot] as string;
}

/**
 * UTF-8 bytes beyond one per UTF-16 code unit in the string `quote` (or `quoteId`) returned
 * last. The line's byte length is its length plus these, summed over its user strings: every
 * other piece (keys, ids, times, numbers, escapes) is ASCII. Counting the small strings as they
 * are quoted spares `track()` a `Buffer.byteLength` of the whole line, which would also flatten
 * it (see `LineFlattener`).
 */
let quotedExtra = 0;

/**
 * A user string as JSON, with any lone surrogate replaced by U+FFFD first (`toWellFormed`):
 * every stored line is valid UTF-8 for every reader. Checking each short string is far cheaper
 * than scanning the finished line.
 */
function quote(value: string): string {
  // Most strings are printable ASCII without a quote or a backslash: one scan says so, and
  // such a string is well-formed, one byte per unit, and needs no escape.
  if (!NOT_PLAIN.test(value)) {
    quotedExtra = 0;
    return `"${value}"`;
  }
  const v = value as WellFormedString;
  const s = v.isWellFormed() ? v : v.toWellFormed();
  // Escapes are ASCII: the quoted string has the same extra bytes as `s` (well-formed, so pairs only).
  quotedExtra = Buffer.byteLength(s) - s.length;
  // Most strings need no escape: quoting them directly is ~10x cheaper than JSON.stringify.
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** Anything but printable ASCII other than `"` and `\\`. */
const NOT_PLAIN = /[^ !#-[\]-~]/;

/** What JSON must escape: a quote, a backslash, or a code unit below the space (U+0000-U+001F). */
const NEEDS_ESCAPE = /["\\]|[^ -\uffff]/;

/** Replace escaped lone surrogates with U+FFFD in JSON text (custom fields, keys included). */
function wellFormed(line: string): string {
  // JSON.stringify writes its escapes in lower case.
  return line.includes('\\ud') ? line.replace(LONE_SURROGATE, '$1\\ufffd') : line;
}

function normalizeUnsafe(
  input: unknown,
  maxEventBytes: number,
  now: number,
  redact: RedactPolicy | undefined,
): Normalized {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return reject(REJECT_REASONS.notAnObject, `track() expects an object, got ${describe(input)}`);
  }
  // Each field is read exactly once: a getter may answer differently the second time.
  const e = input as Record<string, unknown>;
  const type = e.type;
  const callId = e.callId;
  const agentId = e.agentId;
  const time = e.time;
  const data = e.data;
  const givenId = e.eventId;
  if (!isId(type, MAX_TYPE_LENGTH)) {
    return reject(REJECT_REASONS.invalidType, `type must be a string of 1-${MAX_TYPE_LENGTH} characters`);
  }
  if (!isId(callId, MAX_ID_LENGTH)) {
    return reject(REJECT_REASONS.invalidCallId, `callId must be a string of 1-${MAX_ID_LENGTH} characters`);
  }
  if (agentId !== undefined && agentId !== null && !isId(agentId, MAX_ID_LENGTH)) {
    return reject(REJECT_REASONS.invalidAgentId, `agentId must be a string of 1-${MAX_ID_LENGTH} characters`);
  }
  if (givenId !== undefined && givenId !== null && !(typeof givenId === 'string' && UUID.test(givenId))) {
    return reject(REJECT_REASONS.invalidEventId, 'eventId must be a lowercase UUID (8-4-4-4-12 hex digits)');
  }
  // Whole milliseconds, as Date keeps them.
  const timeMs = Math.trunc(toTimeMs(time, now));
  if (!(timeMs >= MIN_TIME && timeMs < MAX_TIME)) {
    return reject(
      REJECT_REASONS.invalidTime,
      'time must be a Date, epoch ms or ISO 8601 date-time with a zone (Z or ±HH:MM), in [2000, 2100)',
    );
  }
  const hasData = data !== undefined && data !== null;
  if (hasData && (typeof data !== 'object' || Array.isArray(data) || !isPlainObject(data))) {
    return reject(REJECT_REASONS.invalidData, `data must be a plain object, got ${describe(data)}`);
  }
  const eventId = typeof givenId === 'string' ? givenId : uuidv7(now);
  // The line is assembled as a string: cheaper than building an object for JSON.stringify.
  // The id and the time need no escaping; user strings go through `quote`.
  const typeJson = quoteId(0, type);
  let extra = quotedExtra;
  const callJson = quoteId(1, callId);
  extra += quotedExtra;
  let agentJson = 'null';
  if (typeof agentId === 'string') {
    agentJson = quoteId(2, agentId);
    extra += quotedExtra;
  }
  let line = `{"event_id":"${eventId}","event_type":${typeJson},"event_time":"${isoTime(timeMs)}","call_id":${callJson},"agent_id":${agentJson},"schema_version":${SCHEMA_VERSION}`;
  if (hasData) {
    // Own keys only; custom fields in a null-prototype object, so `__proto__` is kept as data.
    let custom: Record<string, unknown> | undefined;
    for (const key of Object.keys(data)) {
      const value = (data as Record<string, unknown>)[key];
      if (value === undefined) continue;
      if (typeof value === 'string' && value.length > maxEventBytes) {
        return reject(
          REJECT_REASONS.tooLarge,
          `data.${key.slice(0, 64)} is longer than the ${maxEventBytes}-byte event limit`,
        );
      }
      const column = COLUMN_BY_KEY.get(key);
      if (column === undefined) {
        // JSON keeps neither; and a `toJSON` function must not replace the custom fields.
        if (typeof value === 'function' || typeof value === 'symbol') continue;
        if (custom === undefined) custom = Object.create(null) as Record<string, unknown>;
        custom[key] = value;
        continue;
      }
      if (value === null) continue;
      if (column.kind === 'string') {
        if (typeof value !== 'string') return invalidField(key, column.kind, value);
        const text = redact?.fields.has(column.name) ? redact.apply(value) : value;
        line += column.jsonKey + quote(text);
        extra += quotedExtra;
      } else if (column.kind === 'boolean') {
        if (typeof value !== 'boolean') return invalidField(key, column.kind, value);
        line += column.jsonKey + (value ? 'true' : 'false');
      } else {
        if (typeof value !== 'number' || !Number.isFinite(value))
          return invalidField(key, column.kind, value);
        // Integer columns hold what every reader can read as a 64-bit integer without loss;
        // a fraction is refused, never rounded.
        if (column.kind !== 'double' && !Number.isSafeInteger(value))
          return invalidField(key, `${column.kind} (a safe integer)`, value);
        // String(n) equals JSON for finite numbers (and writes -0 as 0).
        line += column.jsonKey + value;
      }
    }
    if (custom !== undefined) {
      const json = wellFormed(boundedJson(custom, maxEventBytes - line.length, redact));
      extra += Buffer.byteLength(json) - json.length;
      line += `,"custom":${JSON.stringify(json)}`;
    }
  }
  line += '}';
  const bytes = line.length + extra;
  if (bytes > maxEventBytes) {
    return reject(REJECT_REASONS.tooLarge, `event is ${bytes} bytes, over the ${maxEventBytes}-byte limit`);
  }
  return { ok: true, record: { line, bytes, timeMs }, eventId };
}

function invalidField(key: string, kind: string, value: unknown): Normalized {
  return reject(REJECT_REASONS.invalidField, `data.${key} must be a ${kind}, got ${describe(value)}`);
}

/**
 * A line is built by concatenation, so V8 holds it as a rope of ~40 pieces until something
 * flattens it into one string. Flattening costs about a third of `track()`, and a rope that is
 * never flattened costs far more: every reader (the spool's frames, the lake's join, CloudWatch)
 * walks it again, and the collector traces every piece while the record waits for delivery
 * (measured: 0.58× → 0.39× of the throughput limit, in its first definition). So each record's line is flattened once,
 * in place, by a batch at the end of the current task (a microtask, so a rope never outlives
 * the task that tracked it): on the same thread, after `track()` has returned, like the spool's
 * group commit. Measured: flattening costs ~0.5–0.7 µs per line, in track() or here; here it spares
 * the agent's handler that time, and costs the throughput benchmark (1,000 events per task)
 * 0.58× → 0.53× of that limit, for the ropes a 1,000-event task keeps alive.
 */
export class LineFlattener {
  #pending: EventRecord[] = [];
  #scheduled = false;

  add(record: EventRecord): void {
    this.#pending.push(record);
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(this.flush);
  }

  /** Flatten every pending line now. */
  readonly flush = (): void => {
    this.#scheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    // `Buffer.byteLength` flattens a rope in place (the same string object, now flat).
    for (const r of batch) Buffer.byteLength(r.line);
  };
}

let cachedDay = -1;
let cachedDayPrefix = '';
/** Events come in bursts: the second's prefix is reused for every event in the same second. */
let cachedSecond = -1;
let cachedSecondPrefix = '';
const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

/** `toISOString()` for an integer epoch ms, with the date part cached: ~10x cheaper on the hot path. */
export function isoTime(ms: number): string {
  const milli = ms % 1000;
  const second = ms - milli;
  if (second !== cachedSecond) {
    cachedSecond = second;
    let t = second % 86_400_000;
    const day = second - t;
    if (day !== cachedDay) {
      cachedDay = day;
      cachedDayPrefix = new Date(day).toISOString().slice(0, 11);
    }
    const h = Math.floor(t / 3_600_000);
    t -= h * 3_600_000;
    const m = Math.floor(t / 60_000);
    t -= m * 60_000;
    cachedSecondPrefix = `${cachedDayPrefix}${pad2(h)}:${pad2(m)}:${pad2(t / 1000)}.`;
  }
  return `${cachedSecondPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  try {
    if (Array.isArray(value)) return 'an array';
  } catch {
    return 'an unreadable value';
  }
  return typeof value;
}

/** `data` must be a plain object: typed arrays, boxed strings and class instances could hold millions of keys. */
function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
