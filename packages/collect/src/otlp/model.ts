/**
 * One span as the mappings see it, whatever its encoding (protobuf or JSON): ids as lowercase
 * hex, times as epoch ms, attribute values as plain JS values.
 */

/** An OTLP `AnyValue` as a JS value: int64 beyond 2^53 loses precision (never a time here). */
export type AttrValue = string | number | boolean | null | AttrValue[] | { [key: string]: AttrValue };

export interface Span {
  /** 32 lowercase hex digits. */
  readonly traceId: string;
  /** 16 lowercase hex digits. */
  readonly spanId: string;
  /** Undefined for a root span. */
  readonly parentSpanId: string | undefined;
  readonly name: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly attributes: ReadonlyMap<string, AttrValue>;
  /** Instrumentation scope name, e.g. `livekit-agents`, `pipecat`. */
  readonly scope: string;
  /** Resource attributes (shared by the spans of one `ResourceSpans`). */
  readonly resource: ReadonlyMap<string, AttrValue>;
  /** `Span.status`: UNSET when the span has none. */
  readonly status: SpanStatus;
  /** The span's first `exception` event (OTel's `record_exception`), if it has one. */
  readonly exception: SpanException | undefined;
}

/** OTLP `Status.StatusCode`: 0 UNSET, 1 OK, 2 ERROR. */
export const STATUS_UNSET = 0;
export const STATUS_OK = 1;
export const STATUS_ERROR = 2;

export interface SpanStatus {
  readonly code: typeof STATUS_UNSET | typeof STATUS_OK | typeof STATUS_ERROR;
  /** The status description, cut to `MAX_STATUS_MESSAGE` characters; undefined when empty. */
  readonly message: string | undefined;
}

/** `exception.type` / `exception.message` of an `exception` event, each cut to the same bound. */
export interface SpanException {
  readonly type: string | undefined;
  readonly message: string | undefined;
}

/** Status descriptions and exception texts are exception messages: kept to this many characters. */
export const MAX_STATUS_MESSAGE = 2048;

/** A status or exception text as kept: undefined when empty, else cut to `MAX_STATUS_MESSAGE`. */
export function boundedText(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  if (text.length <= MAX_STATUS_MESSAGE) return text;
  // Never cut a surrogate pair in half: the cut text must stay well-formed.
  const end = /[\uD800-\uDBFF]/.test(text[MAX_STATUS_MESSAGE - 1] ?? '')
    ? MAX_STATUS_MESSAGE - 1
    : MAX_STATUS_MESSAGE;
  return `${text.slice(0, end)}…`;
}

/** A status from the wire: code 0-2, else (an unknown future code) UNSET; the message bounded. */
export function statusOf(code: number, message: string | undefined): SpanStatus {
  return {
    code: code === STATUS_OK || code === STATUS_ERROR ? code : STATUS_UNSET,
    message: boundedText(message),
  };
}

/** An `exception` event's attributes as its type and message. */
export function exceptionOf(attributes: ReadonlyMap<string, AttrValue>): SpanException {
  const text = (v: AttrValue | undefined) => boundedText(typeof v === 'string' ? v : undefined);
  return { type: text(attributes.get('exception.type')), message: text(attributes.get('exception.message')) };
}

/** A decoded request: the spans kept, and those refused (counted into `partial_success`). */
export interface Decoded {
  readonly spans: Span[];
  readonly rejected: number;
  /** Why spans were refused, for `partial_success.error_message`. */
  readonly problems: string[];
}

/** Attributes one span may have: OTel SDKs default to 128; beyond this the span is refused. */
export const MAX_ATTRIBUTES = 1024;

/** A problem with one span, or undefined when it can be kept. */
export function spanProblem(
  traceId: string,
  spanId: string,
  attributes: number,
  startMs: number,
  endMs: number,
): string | undefined {
  if (!/^[0-9a-f]{32}$/.test(traceId) || /^0+$/.test(traceId)) return 'a span has an invalid trace id';
  if (!/^[0-9a-f]{16}$/.test(spanId) || /^0+$/.test(spanId)) return 'a span has an invalid span id';
  if (attributes > MAX_ATTRIBUTES)
    return `a span has ${attributes} attributes, over the limit of ${MAX_ATTRIBUTES}`;
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs) || startMs <= 0)
    return 'a span has no valid start time';
  return undefined;
}

/** Collects kept spans and refusals while a request is decoded. */
export class DecodedBuilder {
  readonly spans: Span[] = [];
  rejected = 0;
  readonly problems: string[] = [];

  add(span: Span, attributeCount: number): void {
    const problem = spanProblem(span.traceId, span.spanId, attributeCount, span.startMs, span.endMs);
    if (problem === undefined) {
      this.spans.push(span);
      return;
    }
    this.rejected++;
    if (!this.problems.includes(problem)) this.problems.push(problem);
  }

  result(): Decoded {
    return { spans: this.spans, rejected: this.rejected, problems: this.problems };
  }
}

/** Nanoseconds since the epoch (bigint, or a decimal string in JSON) to ms. */
export function nanosToMs(nanos: bigint | string | number | undefined): number {
  if (nanos === undefined) return Number.NaN;
  try {
    return Number(BigInt(nanos) / 1_000_000n) + Number(BigInt(nanos) % 1_000_000n) / 1e6;
  } catch {
    return Number.NaN;
  }
}
