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
