/** What a framework mapping makes of one span: events, and what the span tells about its call. */
import type { AttrValue, Span } from '../otlp/model.js';

export type Data = Record<string, unknown>;

/** One event a span becomes. `kind` makes its id unique within the span (see ids.ts). */
export interface SpanEvent {
  readonly kind: string;
  readonly type: string;
  readonly timeMs: number;
  readonly data: Data;
}

/** What the span says about its call (any field may be unknown). */
export interface CallFacts {
  /** A candidate call id (e.g. the room sid on every LiveKit span). */
  callId?: string | undefined;
  agentId?: string | undefined;
  /** The call's root span (`agent_session`, `conversation`): the call is over. */
  root?: boolean;
  closeReason?: string | undefined;
  /** What the root span says about the call's start (`call_started` data, e.g. the job id). */
  started?: Data | undefined;
}

/**
 * What a child span leaves for its parent turn: LLM node TTFT, TTS node TTFB (the first of the
 * turn), the `on_user_turn_completed` hook's duration, and the text the agent spoke (each TTS
 * request's, in order, redacted as `track()` redacts text before it is kept).
 */
export interface TurnHint {
  llmNodeTtftMs?: number;
  ttsNodeTtfbMs?: number;
  onUserTurnCompletedDelayMs?: number;
  text?: string;
}

export interface SpanMapping {
  readonly events: SpanEvent[];
  readonly call?: CallFacts;
  /** A hint for the parent span's turn. */
  readonly parentHint?: TurnHint;
}

/** What a mapping may read about the call so far. */
export interface MapContext {
  /** The hints children left for this span. */
  readonly hint: TurnHint | undefined;
  /** Tool call ids already recorded in this call (Pipecat repeats them in every later LLM input). */
  readonly toolCallIds: ReadonlySet<string>;
}

export type FrameworkName = 'livekit' | 'pipecat' | 'genai';

export interface Framework {
  readonly name: FrameworkName;
  /** When the call's events may be written: its id (and agent) are known. */
  readonly identifiedBy: 'root' | 'call-id' | 'always';
  /** This span is one of this framework's. */
  matches(span: Span): boolean;
  /** Undefined: a span of the framework that carries nothing the lake keeps. */
  map(span: Span, ctx: MapContext): SpanMapping | undefined;
}

export const str = (v: AttrValue | undefined): string | undefined =>
  typeof v === 'string' && v !== '' ? v : undefined;
export const num = (v: AttrValue | undefined): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;
export const bool = (v: AttrValue | undefined): boolean | undefined =>
  typeof v === 'boolean' ? v : undefined;
/** Seconds to ms, rounded to the µs. */
export const secToMs = (v: AttrValue | undefined): number | undefined => {
  const s = num(v);
  return s === undefined ? undefined : Math.round(s * 1e6) / 1e3;
};
export const durationMs = (span: Span): number => Math.round((span.endMs - span.startMs) * 1e3) / 1e3;

/** Drop undefined values so only present metrics are stored. */
export function compact(data: Data): Data {
  const out: Data = {};
  for (const [k, v] of Object.entries(data)) if (v !== undefined) out[k] = v;
  return out;
}

/** A JSON-in-string attribute (`lk.llm_metrics`, Pipecat `input`), or undefined. */
export function jsonAttr(v: AttrValue | undefined): unknown {
  if (typeof v !== 'string' || v.length > 1_000_000) return undefined;
  try {
    return JSON.parse(v);
  } catch {
    return undefined;
  }
}

/** UTF-8 size of a string attribute. */
export const bytesOf = (v: AttrValue | undefined): number | undefined =>
  typeof v === 'string' ? Buffer.byteLength(v) : undefined;

/** `gen_ai.request.model` / `gen_ai.provider.name` as the schema's model columns. */
export const model = (span: Span): Data => ({
  modelName:
    str(span.attributes.get('gen_ai.response.model')) ?? str(span.attributes.get('gen_ai.request.model')),
  modelProvider: str(span.attributes.get('gen_ai.provider.name')),
});
