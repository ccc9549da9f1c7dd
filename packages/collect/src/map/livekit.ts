/**
 * LiveKit Agents (Python, 1.8.x) spans to voicelake events, as the Node adapter records a call:
 * `agent_session` is the call; `user_turn`, `agent_turn`, `llm_request`, `tts_request` and
 * `function_tool` become `user_turn`/`eou_metrics`, `agent_turn`, `llm_metrics`, `tts_metrics`
 * and `tool_call`; a failed `llm_request_run`/`tts_request_run` attempt becomes `error`. Content attributes (`lk.pii.*`) are read only where the lake has a column.
 */
import type { Span } from '../otlp/model.js';
import { errorEvent, failed } from './error.js';
import {
  bool,
  bytesOf,
  compact,
  type Data,
  durationMs,
  type Framework,
  jsonAttr,
  type MapContext,
  model,
  num,
  type SpanMapping,
  secToMs,
  str,
} from './types.js';

const SCOPE = 'livekit-agents';

export const livekit: Framework = {
  name: 'livekit',
  identifiedBy: 'root',
  matches: (span) => span.scope === SCOPE,
  map(span: Span, ctx: MapContext): SpanMapping | undefined {
    const a = span.attributes;
    const call = { callId: str(a.get('gen_ai.conversation.id')) };
    switch (span.name) {
      case 'agent_session':
        return {
          events: [],
          call: {
            callId:
              str(a.get('lk.room_sid')) ?? str(a.get('gen_ai.conversation.id')) ?? str(a.get('lk.job_id')),
            // Empty with automatic dispatch (a worker without an agent_name): the service's name then.
            agentId: str(a.get('lk.agent_name')) ?? str(span.resource.get('service.name')),
            root: true,
            // As the Node adapter's call_started (`lk.pii.room_name` is redacted by the collector).
            started: compact({ jobId: str(a.get('lk.job_id')), roomName: str(a.get('lk.pii.room_name')) }),
          },
        };
      case 'session_close':
        return { events: [], call: { ...call, closeReason: str(a.get('lk.close_reason')) } };
      case 'on_user_turn_completed':
        // The hook's span, a child of user_turn: its duration is the delay the Node adapter
        // records on the user turn (LiveKit puts it on the agent_turn span only).
        return { events: [], call, parentHint: { onUserTurnCompletedDelayMs: durationMs(span) } };
      case 'user_turn': {
        const eou = secToMs(a.get('lk.end_of_turn_delay'));
        const transcription = secToMs(a.get('lk.transcription_delay'));
        const hook = ctx.hint?.onUserTurnCompletedDelayMs;
        const events = [
          {
            kind: 'user_turn',
            type: 'user_turn',
            timeMs: span.endMs,
            data: compact({
              role: 'user',
              transcript: str(a.get('lk.pii.user_transcript')),
              isFinal: true,
              transcriptionDelayMs: transcription,
              endOfUtteranceDelayMs: eou,
              onUserTurnCompletedDelayMs: hook,
              transcriptConfidence: num(a.get('lk.transcript_confidence')),
              ...model(span),
            }),
          },
        ];
        if (eou !== undefined)
          events.push({
            kind: 'eou_metrics',
            type: 'eou_metrics',
            timeMs: span.endMs,
            data: compact({
              endOfUtteranceDelayMs: eou,
              transcriptionDelayMs: transcription,
              onUserTurnCompletedDelayMs: hook,
            }),
          });
        return { events, call };
      }
      case 'agent_turn':
        return {
          events: [
            {
              kind: 'agent_turn',
              type: 'agent_turn',
              timeMs: span.endMs,
              data: compact({
                role: 'assistant',
                text: str(a.get('lk.pii.response.text')),
                interrupted: bool(a.get('lk.interrupted')) ?? false,
                interruptionSource: str(a.get('lk.interruption.source')),
                e2eLatencyMs: secToMs(a.get('lk.e2e_latency')),
                llmNodeTtftMs: ctx.hint?.llmNodeTtftMs,
                ttsNodeTtfbMs: ctx.hint?.ttsNodeTtfbMs,
                onUserTurnCompletedDelayMs: secToMs(a.get('lk.on_user_turn_completed_delay')),
                speechId: str(a.get('lk.speech_id')),
              }),
            },
          ],
          call,
        };
      case 'llm_node': {
        const ttft = secToMs(a.get('lk.response.ttft'));
        return { events: [], call, ...(ttft === undefined ? {} : { parentHint: { llmNodeTtftMs: ttft } }) };
      }
      case 'tts_node': {
        const ttfb = secToMs(a.get('lk.response.ttfb'));
        return { events: [], call, ...(ttfb === undefined ? {} : { parentHint: { ttsNodeTtfbMs: ttfb } }) };
      }
      case 'llm_request':
        return { events: [llmMetrics(span)], call };
      case 'tts_request':
        return { events: [ttsMetrics(span)], call };
      // One attempt of an LLM or TTS request: a failed one is the `error` the Node adapter records
      // for each failed attempt (LiveKit emits one per attempt, retried or not). The failure also
      // reaches the request and node spans above it (the same exception, re-raised): not counted again.
      case 'llm_request_run':
      case 'tts_request_run': {
        const error = errorEvent(span, span.name === 'llm_request_run' ? 'llm' : 'tts');
        return { events: error === undefined ? [] : [error], call };
      }
      case 'function_tool':
        return {
          events: [
            {
              kind: 'tool_call',
              type: 'tool_call',
              timeMs: span.endMs,
              data: compact({
                toolName: str(a.get('lk.function_tool.name')) ?? str(a.get('gen_ai.tool.name')),
                toolCallId: str(a.get('lk.function_tool.id')) ?? str(a.get('gen_ai.tool.call.id')),
                // A failing tool is a tool_call with isError, never an `error` (as the Node adapter).
                isError:
                  bool(a.get('lk.function_tool.is_error')) ??
                  (a.get('error.type') !== undefined || failed(span)),
                durationMs: durationMs(span),
                argsBytes: bytesOf(
                  a.get('lk.pii.function_tool.arguments') ?? a.get('gen_ai.tool.call.arguments'),
                ),
                outputBytes: bytesOf(a.get('lk.pii.function_tool.output')),
              }),
            },
          ],
          call,
        };
      default:
        return { events: [], call };
    }
  },
};

type Obj = Record<string, unknown>;
const o = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const n = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const ms = (v: unknown): number | undefined => {
  const s = n(v);
  return s === undefined || s < 0 ? undefined : Math.round(s * 1e6) / 1e3;
};

function llmMetrics(span: Span) {
  const a = span.attributes;
  const m = o(jsonAttr(a.get('lk.llm_metrics')));
  const data: Data = compact({
    durationMs: ms(m.duration) ?? durationMs(span),
    ttftMs: secToMs(a.get('gen_ai.response.time_to_first_chunk')) ?? ms(m.ttft),
    promptTokens: num(a.get('gen_ai.usage.input_tokens')) ?? n(m.prompt_tokens),
    promptCachedTokens: num(a.get('gen_ai.usage.cache_read.input_tokens')) ?? n(m.prompt_cached_tokens),
    completionTokens: num(a.get('gen_ai.usage.output_tokens')) ?? n(m.completion_tokens),
    totalTokens: n(m.total_tokens),
    tokensPerSecond: n(m.tokens_per_second),
    cancelled: typeof m.cancelled === 'boolean' ? m.cancelled : undefined,
    ...model(span),
  });
  return { kind: 'llm_metrics', type: 'llm_metrics', timeMs: span.endMs, data };
}

function ttsMetrics(span: Span) {
  const a = span.attributes;
  const m = o(jsonAttr(a.get('lk.tts_metrics')));
  const data: Data = compact({
    ttfbMs: ms(m.ttfb),
    durationMs: ms(m.duration) ?? durationMs(span),
    audioDurationMs: ms(m.audio_duration),
    charactersCount: n(m.characters_count) ?? str(a.get('lk.pii.input_text'))?.length,
    cancelled: typeof m.cancelled === 'boolean' ? m.cancelled : undefined,
    ...model(span),
  });
  return { kind: 'tts_metrics', type: 'tts_metrics', timeMs: span.endMs, data };
}
