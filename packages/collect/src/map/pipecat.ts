/**
 * Pipecat (1.14) spans to voicelake events: `conversation` is the call; `turn` becomes
 * `agent_turn`; `stt` becomes `user_turn` and `stt_metrics`; `llm` and `tts` become
 * `llm_metrics` and `tts_metrics`. Pipecat has no tool span: a tool call shows in the next `llm`
 * span's input messages (an assistant `tool_calls` entry and its `tool` result), recorded once
 * per call id. A failed `stt`/`llm`/`tts` span (status ERROR) is also an `error`: in 1.14 only
 * `llm` is ever marked (its `start_as_current_span` records the exception the service raised).
 */
import type { Span } from '../otlp/model.js';
import { errorEvent } from './error.js';
import {
  bool,
  bytesOf,
  compact,
  durationMs,
  type Framework,
  jsonAttr,
  type MapContext,
  model,
  num,
  type SpanEvent,
  type SpanMapping,
  secToMs,
  str,
} from './types.js';

export const pipecat: Framework = {
  name: 'pipecat',
  identifiedBy: 'call-id',
  matches: (span) => span.scope === 'pipecat' || span.scope === 'pipecat.turn',
  map(span: Span, ctx: MapContext): SpanMapping | undefined {
    const a = span.attributes;
    const agentId = str(span.resource.get('service.name'));
    switch (span.name) {
      case 'conversation':
        return { events: [], call: { callId: str(a.get('conversation.id')), agentId, root: true } };
      case 'turn':
        return {
          events: [
            {
              kind: 'agent_turn',
              type: 'agent_turn',
              timeMs: span.endMs,
              data: compact({
                role: 'assistant',
                interrupted: bool(a.get('turn.was_interrupted')) ?? false,
                e2eLatencyMs: secToMs(a.get('turn.user_bot_latency_seconds')),
                durationMs: secToMs(a.get('turn.duration_seconds')),
                turnNumber: num(a.get('turn.number')),
                // What the bot said: its TTS requests' text (the turn span has none).
                text: ctx.hint?.text,
                llmNodeTtftMs: ctx.hint?.llmNodeTtftMs,
                ttsNodeTtfbMs: ctx.hint?.ttsNodeTtfbMs,
              }),
            },
          ],
          call: { callId: str(a.get('conversation.id')), agentId },
        };
      case 'stt':
        return {
          events: [
            {
              kind: 'user_turn',
              type: 'user_turn',
              timeMs: span.endMs,
              data: compact({
                role: 'user',
                transcript: str(a.get('transcript')),
                isFinal: bool(a.get('is_final')) ?? true,
                language: str(a.get('settings.language')),
              }),
            },
            {
              kind: 'stt_metrics',
              type: 'stt_metrics',
              timeMs: span.endMs,
              data: compact({
                durationMs: durationMs(span),
                audioDurationMs: secToMs(a.get('metrics.audio_seconds')),
                sttTtfbMs: secToMs(a.get('metrics.ttfb')),
                ...model(span),
              }),
            },
            ...failure(span, 'stt'),
          ],
          call: { agentId },
        };
      case 'llm': {
        const ttft = secToMs(a.get('metrics.ttfb'));
        const input = num(a.get('gen_ai.usage.input_tokens'));
        const output = num(a.get('gen_ai.usage.output_tokens'));
        const events: SpanEvent[] = [
          {
            kind: 'llm_metrics',
            type: 'llm_metrics',
            timeMs: span.endMs,
            data: compact({
              durationMs: durationMs(span),
              ttftMs: ttft,
              promptTokens: input,
              promptCachedTokens: num(a.get('gen_ai.usage.cache_read.input_tokens')),
              completionTokens: output,
              totalTokens: input !== undefined && output !== undefined ? input + output : undefined,
              ...model(span),
            }),
          },
          ...toolCalls(span, ctx),
          ...failure(span, 'llm'),
        ];
        return {
          events,
          call: { agentId },
          ...(ttft === undefined ? {} : { parentHint: { llmNodeTtftMs: ttft } }),
        };
      }
      case 'tts': {
        const ttfb = secToMs(a.get('metrics.ttfb'));
        const text = str(a.get('text'));
        return {
          events: [
            {
              kind: 'tts_metrics',
              type: 'tts_metrics',
              timeMs: span.endMs,
              data: compact({
                ttfbMs: ttfb,
                durationMs: durationMs(span),
                charactersCount: num(a.get('metrics.character_count')) ?? str(a.get('text'))?.length,
                cancelled: bool(a.get('tts.interrupted')),
                ...model(span),
              }),
            },
            ...failure(span, 'tts'),
          ],
          call: { agentId },
          parentHint: {
            ...(ttfb === undefined ? {} : { ttsNodeTtfbMs: ttfb }),
            ...(text === undefined ? {} : { text }),
          },
        };
      }
      default:
        return undefined;
    }
  },
};

/** The span's `error` event, if it failed. */
const failure = (span: Span, source: 'stt' | 'llm' | 'tts'): SpanEvent[] => {
  const error = errorEvent(span, source);
  return error === undefined ? [] : [error];
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A tool result that says the tool failed: an `{"error": ...}` object, or the message Pipecat
 * itself puts in the context when a function handler raised (`LLMService.
 * FUNCTION_CALL_ERROR_MESSAGE_TEMPLATE`, JSON-encoded as a string).
 */
const isToolError = (result: string): boolean =>
  /^\s*\{?\s*"?error"?\s*[:=]/i.test(result) ||
  /^\s*"?The function `[^`]{1,256}` failed and returned no result\.?"?\s*$/.test(result);

/** Tool calls found in an `llm` span's input messages, not yet recorded for this call. */
function toolCalls(span: Span, ctx: MapContext): SpanEvent[] {
  const messages = jsonAttr(span.attributes.get('input'));
  if (!Array.isArray(messages)) return [];
  const results = new Map<string, string>();
  for (const m of messages)
    if (isObj(m) && m.role === 'tool' && typeof m.tool_call_id === 'string')
      results.set(
        m.tool_call_id,
        typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? ''),
      );
  const out: SpanEvent[] = [];
  for (const m of messages) {
    if (!isObj(m) || m.role !== 'assistant' || !Array.isArray(m.tool_calls)) continue;
    for (const call of m.tool_calls) {
      if (!isObj(call) || typeof call.id !== 'string' || call.id.length > 256 || ctx.toolCallIds.has(call.id))
        continue;
      const fn = isObj(call.function) ? call.function : {};
      const result = results.get(call.id);
      out.push({
        kind: `tool_call:${call.id}`,
        type: 'tool_call',
        timeMs: span.startMs,
        data: compact({
          toolName: typeof fn.name === 'string' ? fn.name : undefined,
          toolCallId: call.id,
          isError: result !== undefined && isToolError(result),
          argsBytes: bytesOf(typeof fn.arguments === 'string' ? fn.arguments : undefined),
          outputBytes: bytesOf(result),
        }),
      });
    }
  }
  return out;
}
