/**
 * Turns one call's LiveKit session events into schema v1 events and, when it ends, the call
 * summary (`call_ended`) with its percentiles. Structural: it does not import
 * `@livekit/agents`, so `voicelake demo` runs the very same code and demo data has the same
 * shape as real agent data.
 */
import type { TrackInput } from '../event.js';
import { bool, compact, mapMetrics, num, type Obj, secToMs, str } from './metrics.js';
import { emptyTotals, summaryFields, type Totals } from './totals.js';

/** Anything with `track()`: an `Analytics` instance. */
export interface Tracker {
  track(input: TrackInput): unknown;
}

export interface CallRecorderOptions {
  readonly callId: string;
  readonly agentId?: string | undefined;
  /** Record what was said (user transcripts and agent text, redacted by `track()`). Default true. */
  readonly transcripts?: boolean | undefined;
}

/**
 * Turns one call's session events into tracked events and, at the end, the call summary.
 * Each `on*` method takes the LiveKit payload as emitted (`createdAt` is the event time).
 */
export class CallRecorder {
  #startedAt: number | undefined;
  #ended = false;
  #language: string | undefined;
  #usage: unknown;
  readonly #t: Totals = emptyTotals();

  constructor(
    private readonly tracker: Tracker,
    private readonly options: CallRecorderOptions,
  ) {}

  #track(type: string, time: unknown, data: Obj): void {
    this.tracker.track({
      type,
      callId: this.options.callId,
      agentId: this.options.agentId,
      time: num(time) ?? Date.now(),
      data,
    });
  }

  callStarted(time: number = Date.now(), data: Obj = {}): void {
    this.#startedAt = time;
    this.#track('call_started', time, data);
  }

  /** `user_input_transcribed`: remembers the language; the final turn comes from the chat item. */
  userInputTranscribed(ev: Obj): void {
    if (ev.isFinal === true) this.#language = str(ev.language) ?? this.#language;
  }

  /** `conversation_item_added`: a user or agent turn, with per-turn latencies (seconds → ms). */
  conversationItemAdded(ev: Obj): void {
    const item = (ev.item ?? {}) as Obj;
    if (item.type !== undefined && item.type !== 'message') return;
    const role = str(item.role);
    const text = this.options.transcripts === false ? undefined : textOf(item);
    const metrics = (item.metrics ?? {}) as Obj;
    const time = num(ev.createdAt) ?? num(item.createdAt);
    if (role === 'user') {
      this.#t.userTurns++;
      this.#track(
        'user_turn',
        time,
        compact({
          role,
          transcript: text,
          isFinal: true,
          language: this.#language,
          transcriptionDelayMs: secToMs(metrics.transcriptionDelay),
          endOfUtteranceDelayMs: secToMs(metrics.endOfTurnDelay),
          onUserTurnCompletedDelayMs: secToMs(metrics.onUserTurnCompletedDelay),
        }),
      );
    } else if (role === 'assistant') {
      const interrupted = item.interrupted === true;
      const e2e = secToMs(metrics.e2eLatency);
      this.#t.turns++;
      if (interrupted) this.#t.interruptions++;
      if (e2e !== undefined) this.#t.e2e.push(e2e);
      this.#track(
        'agent_turn',
        time,
        compact({
          role,
          text,
          interrupted,
          e2eLatencyMs: e2e,
          llmNodeTtftMs: secToMs(metrics.llmNodeTtft),
          ttsNodeTtfbMs: secToMs(metrics.ttsNodeTtfb),
        }),
      );
    }
  }

  /** `metrics_collected`. */
  metricsCollected(ev: Obj): void {
    const metrics = (ev.metrics ?? {}) as Obj;
    const mapped = mapMetrics(metrics);
    if (mapped === undefined) return;
    const d = mapped.data;
    const t = this.#t;
    if (mapped.type === 'llm_metrics' || mapped.type === 'realtime_model_metrics') {
      if (typeof d.ttftMs === 'number' && d.ttftMs >= 0) t.ttft.push(d.ttftMs);
      t.promptTokens += (d.promptTokens as number) ?? (d.inputTokens as number) ?? 0;
      t.promptCachedTokens += (d.promptCachedTokens as number) ?? 0;
      t.completionTokens += (d.completionTokens as number) ?? (d.outputTokens as number) ?? 0;
    } else if (mapped.type === 'tts_metrics') {
      if (typeof d.ttfbMs === 'number' && d.ttfbMs >= 0) t.ttfb.push(d.ttfbMs);
      t.ttsCharacters += (d.charactersCount as number) ?? 0;
    } else if (mapped.type === 'stt_metrics') {
      t.sttAudioMs += (d.audioDurationMs as number) ?? 0;
    } else if (mapped.type === 'eou_metrics') {
      if (typeof d.endOfUtteranceDelayMs === 'number') t.eou.push(d.endOfUtteranceDelayMs);
    }
    this.#track(mapped.type, ev.createdAt ?? metrics.timestamp, d);
  }

  /** `function_tools_executed`: one `tool_call` per call, paired with its output by call id. */
  functionToolsExecuted(ev: Obj): void {
    const calls = (Array.isArray(ev.functionCalls) ? ev.functionCalls : []) as Obj[];
    const outputs = (Array.isArray(ev.functionCallOutputs) ? ev.functionCallOutputs : []) as (
      | Obj
      | undefined
    )[];
    calls.forEach((call, i) => {
      const output = outputs.find((o) => o && o.callId === call.callId) ?? outputs[i];
      const isError = output?.isError === true;
      this.#t.toolCalls++;
      if (isError) this.#t.toolErrors++;
      this.#track(
        'tool_call',
        ev.createdAt,
        compact({
          toolName: str(call.name),
          toolCallId: str(call.callId),
          isError,
          argsBytes: sizeOf(call.args),
          outputBytes: output ? sizeOf(output.output) : undefined,
        }),
      );
    });
  }

  /** `error`. */
  error(ev: Obj): void {
    const err = (ev.error ?? {}) as Obj;
    const inner = err.error;
    this.#t.errors++;
    this.#track(
      'error',
      ev.createdAt,
      compact({
        errorSource: str(err.type)?.replace(/_error$/, '') ?? sourceName(ev.source),
        errorLabel: sourceName(ev.source) ?? str(err.label),
        errorType: str(err.type) ?? (inner instanceof Error ? inner.name : undefined),
        recoverable: bool(err.recoverable),
        message: (inner instanceof Error ? inner.message : str(inner)) ?? str(err.message) ?? str(err.label),
      }),
    );
  }

  /** `session_usage_updated`: kept for the summary. */
  usageUpdated(ev: Obj): void {
    this.#usage = ev.usage;
  }

  /** The summary the `call_ended` event would carry now. */
  summary(endedAt: number = Date.now()): Obj {
    const t = this.#t;
    const usage = this.#usage;
    return compact({
      callDurationMs: this.#startedAt !== undefined ? Math.max(0, endedAt - this.#startedAt) : undefined,
      ...summaryFields(t),
      usageJson: usage === undefined ? undefined : safeJson(usage),
    });
  }

  /** `close`: the `call_ended` event with the call summary. Only the first call records. */
  callEnded(ev: Obj = {}, usage?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    if (usage !== undefined) this.#usage = usage;
    const time = num(ev.createdAt) ?? Date.now();
    const err = ev.error as Obj | null | undefined;
    this.#track(
      'call_ended',
      time,
      compact({
        ...this.summary(time),
        closeReason: str(ev.reason),
        message: err ? (str((err.error as Error | undefined)?.message) ?? str(err.type)) : undefined,
      }),
    );
  }
}

function textOf(item: Obj): string | undefined {
  if (typeof item.textContent === 'string') return item.textContent;
  if (Array.isArray(item.content)) {
    const parts = item.content.filter((c): c is string => typeof c === 'string');
    return parts.length > 0 ? parts.join('\n') : undefined;
  }
  return str(item.content);
}

function sizeOf(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  return Buffer.byteLength(typeof value === 'string' ? value : (safeJson(value) ?? ''));
}

function safeJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

function sourceName(source: unknown): string | undefined {
  if (typeof source === 'string') return source;
  if (source && typeof source === 'object') {
    // LiveKit's LLM/STT/TTS instances expose `label()` as a method.
    const label = (source as Obj).label;
    if (typeof label === 'string') return label;
    if (typeof label === 'function') {
      try {
        const value = (label as () => unknown).call(source);
        if (typeof value === 'string') return value;
      } catch {
        // Fall through to the class name.
      }
    }
    const name = (source as { constructor?: { name?: string } }).constructor?.name;
    if (name && name !== 'Object') return name;
  }
  return undefined;
}
