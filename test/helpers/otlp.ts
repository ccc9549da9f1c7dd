/**
 * OTLP trace requests shaped like what LiveKit Agents 1.8.9 and Pipecat 1.14.0 send (see
 * docs/collect.md): span names, scopes, attributes and batching (children first, the root in
 * the last request), encoded with the official OTLP definitions, as protobuf or OTLP/JSON.
 */
import { randomBytes } from 'node:crypto';
// The collector's own @bufbuild/protobuf (v2): the workspace root has LiveKit's v1.
import { create, toBinary } from '../../packages/collect/node_modules/@bufbuild/protobuf/dist/esm/index.js';
import {
  type ExportTraceServiceRequest,
  ExportTraceServiceRequestSchema,
} from '../../packages/collect/src/gen/opentelemetry/proto/collector/trace/v1/trace_service_pb.js';
import type { AnyValue } from '../../packages/collect/src/gen/opentelemetry/proto/common/v1/common_pb.js';

export type Attr = string | number | boolean | string[];

export interface FakeSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startMs: number;
  endMs: number;
  attributes: Record<string, Attr>;
  scope: string;
  /** `Span.status`: code 0 UNSET, 1 OK, 2 ERROR; `codeName` sends the OTLP/JSON enum name instead. */
  status?: { code: 0 | 1 | 2; message?: string; codeName?: boolean };
  /** An `exception` event, as OTel's `record_exception` adds. */
  exception?: { type: string; message: string };
}

const STATUS_NAMES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'] as const;

const exceptionAttributes = (e: { type: string; message: string }): Record<string, Attr> => ({
  'exception.type': e.type,
  'exception.message': e.message,
  'exception.stacktrace': `Traceback (most recent call last):\n${e.type}: ${e.message}`,
  'exception.escaped': 'False',
});

export const hexId = (bytes: number): string => randomBytes(bytes).toString('hex');

function anyValue(v: Attr): AnyValue {
  const make = (value: AnyValue['value']) => ({ value }) as AnyValue;
  if (typeof v === 'string') return make({ case: 'stringValue', value: v });
  if (typeof v === 'boolean') return make({ case: 'boolValue', value: v });
  if (typeof v === 'number')
    return Number.isInteger(v)
      ? make({ case: 'intValue', value: BigInt(v) })
      : make({ case: 'doubleValue', value: v });
  return make({ case: 'arrayValue', value: { values: v.map((s) => anyValue(s)) } as never });
}

const ms2ns = (ms: number): bigint => BigInt(Math.round(ms * 1000)) * 1000n;

export function traceRequest(
  spans: FakeSpan[],
  resource: Record<string, Attr> = { 'service.name': 'agent' },
): ExportTraceServiceRequest {
  const scopes = [...new Set(spans.map((s) => s.scope))];
  return create(ExportTraceServiceRequestSchema, {
    resourceSpans: [
      {
        resource: { attributes: Object.entries(resource).map(([key, v]) => ({ key, value: anyValue(v) })) },
        scopeSpans: scopes.map((scope) => ({
          scope: { name: scope },
          spans: spans
            .filter((s) => s.scope === scope)
            .map((s) => ({
              traceId: Buffer.from(s.traceId, 'hex'),
              spanId: Buffer.from(s.spanId, 'hex'),
              parentSpanId: s.parentSpanId ? Buffer.from(s.parentSpanId, 'hex') : new Uint8Array(),
              name: s.name,
              kind: 1,
              startTimeUnixNano: ms2ns(s.startMs),
              endTimeUnixNano: ms2ns(s.endMs),
              flags: 256,
              attributes: Object.entries(s.attributes).map(([key, v]) => ({ key, value: anyValue(v) })),
              ...(s.status ? { status: { code: s.status.code, message: s.status.message ?? '' } } : {}),
              events: s.exception
                ? [
                    {
                      name: 'exception',
                      timeUnixNano: ms2ns(s.endMs),
                      attributes: Object.entries(exceptionAttributes(s.exception)).map(([key, v]) => ({
                        key,
                        value: anyValue(v),
                      })),
                    },
                  ]
                : [],
            })),
        })),
      },
    ],
  });
}

export const protobufBody = (spans: FakeSpan[]): Buffer =>
  Buffer.from(toBinary(ExportTraceServiceRequestSchema, traceRequest(spans)));

/** The same request in OTLP/JSON: hex ids, int64 as strings. */
export function jsonBody(spans: FakeSpan[]): string {
  const value = (v: Attr): unknown =>
    typeof v === 'string'
      ? { stringValue: v }
      : typeof v === 'boolean'
        ? { boolValue: v }
        : typeof v === 'number'
          ? Number.isInteger(v)
            ? { intValue: String(v) }
            : { doubleValue: v }
          : { arrayValue: { values: v.map(value) } };
  const scopes = [...new Set(spans.map((s) => s.scope))];
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'agent' } }] },
        scopeSpans: scopes.map((scope) => ({
          scope: { name: scope },
          spans: spans
            .filter((s) => s.scope === scope)
            .map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId ?? '',
              name: s.name,
              kind: 1,
              startTimeUnixNano: String(ms2ns(s.startMs)),
              endTimeUnixNano: String(ms2ns(s.endMs)),
              attributes: Object.entries(s.attributes).map(([key, v]) => ({ key, value: value(v) })),
              ...(s.status
                ? {
                    status: {
                      code: s.status.codeName ? STATUS_NAMES[s.status.code] : s.status.code,
                      ...(s.status.message === undefined ? {} : { message: s.status.message }),
                    },
                  }
                : {}),
              ...(s.exception
                ? {
                    events: [
                      {
                        name: 'exception',
                        timeUnixNano: String(ms2ns(s.endMs)),
                        attributes: Object.entries(exceptionAttributes(s.exception)).map(([key, v]) => ({
                          key,
                          value: value(v),
                        })),
                      },
                    ],
                  }
                : {}),
            })),
        })),
      },
    ],
  });
}

/** A scripted LiveKit call: greeting, a tool call, a failing tool, an interruption, a goodbye. */
export function livekitCall(
  room: string,
  t0 = Date.UTC(2026, 11, 7, 14, 0, 0),
): { batches: FakeSpan[][]; e2e: number[] } {
  const traceId = hexId(16);
  const root = hexId(8);
  const span = (
    name: string,
    parent: string,
    start: number,
    end: number,
    attributes: Record<string, Attr> = {},
  ): FakeSpan => ({
    traceId,
    spanId: hexId(8),
    parentSpanId: parent,
    name,
    startMs: t0 + start * 1000,
    endMs: t0 + end * 1000,
    attributes: { 'gen_ai.conversation.id': room, ...attributes },
    scope: 'livekit-agents',
  });
  const turns = [
    { user: 'Hello there.', agent: "Hi! I'm a fake assistant.", e2e: 1.0938, interrupted: false },
    {
      user: "What's the weather in Paris?",
      agent: "It's sunny and 22 degrees.",
      e2e: 1.2,
      interrupted: false,
      tool: ['get_weather', false] as const,
    },
    {
      user: 'Book me a table for two tonight.',
      agent: "Sorry, I couldn't book a table.",
      e2e: 1.5,
      interrupted: false,
      tool: ['book_table', true] as const,
    },
    { user: 'Tell me a long story.', agent: 'Once upon a time', e2e: 0.9, interrupted: true },
    { user: 'Stop. Thanks, goodbye.', agent: 'Goodbye!', e2e: 1.1, interrupted: false },
  ];
  const batches: FakeSpan[][] = [];
  turns.forEach((t, i) => {
    const at = 1 + i * 5;
    const user = span('user_turn', root, at, at + 1.5, {
      'lk.pii.user_transcript': t.user,
      'lk.transcript_confidence': 0.93,
      'lk.transcription_delay': 0.2,
      'lk.end_of_turn_delay': 0.5 + i / 100,
      'gen_ai.request.model': 'fake-stt-1',
    });
    const eou = span('eou_wait', user.spanId, at + 1, at + 1.5, { 'lk.eou.outcome': 'committed' });
    // The agent's on_user_turn_completed hook, 0.3 ms.
    const hook = span('on_user_turn_completed', user.spanId, at + 1.5, at + 1.5003);
    const agent = span('agent_turn', root, at + 1.6, at + 4, {
      'lk.pii.user_input': t.user,
      'lk.e2e_latency': t.e2e,
      'lk.interrupted': t.interrupted,
      'lk.pii.response.text': t.agent,
      'lk.speech_id': `speech_${i}`,
      ...(t.interrupted ? { 'lk.interruption.source': 'audio_activity' } : {}),
    });
    const llmNode = span('llm_node', agent.spanId, at + 1.6, at + 2, { 'lk.response.ttft': 0.15 + i / 100 });
    const llm = span('llm_request', llmNode.spanId, at + 1.6, at + 2, {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'fake-llm-1',
      'gen_ai.provider.name': 'fake-llm-provider',
      'gen_ai.usage.input_tokens': 43,
      'gen_ai.usage.output_tokens': 13,
      'gen_ai.usage.cache_read.input_tokens': 16,
      'gen_ai.response.time_to_first_chunk': 0.15 + i / 100,
      'gen_ai.input.messages': `[{"role": "user", "parts": [{"type": "text", "content": "${t.user}"}]}]`,
    });
    const ttsNode = span('tts_node', agent.spanId, at + 1.7, at + 2.2, { 'lk.response.ttfb': 0.2 });
    const tts = span('tts_request', ttsNode.spanId, at + 1.7, at + 2.2, {
      'lk.pii.input_text': t.agent,
      'lk.tts_metrics': JSON.stringify({
        type: 'tts_metrics',
        ttfb: 0.2 + i / 100,
        duration: 0.22,
        audio_duration: 2.3,
        characters_count: t.agent.length,
      }),
    });
    const batch = [eou, hook, user, llm, llmNode, tts, ttsNode];
    if (t.tool)
      batch.push(
        span('function_tool', agent.spanId, at + 1.8, at + 1.9, {
          'lk.function_tool.name': t.tool[0],
          'gen_ai.tool.name': t.tool[0],
          'lk.function_tool.id': `call_${i}`,
          'lk.pii.function_tool.arguments': '{"city": "Paris"}',
          'lk.pii.function_tool.output': 'sunny',
          'lk.function_tool.is_error': t.tool[1],
          ...(t.tool[1] ? { 'error.type': 'tool_error' } : {}),
        }),
      );
    batch.push(agent);
    batches.push(batch);
  });
  const close = span('session_close', root, 27, 27.1, { 'lk.close_reason': 'user_initiated' });
  const session: FakeSpan = {
    traceId,
    spanId: root,
    name: 'agent_session',
    startMs: t0,
    endMs: t0 + 28_000,
    attributes: {
      'gen_ai.conversation.id': room,
      'lk.room_sid': room,
      'lk.job_id': 'AJ_1',
      'lk.pii.room_name': 'room-of-jane.doe@example.com',
      'lk.agent_name': 'capture-agent',
    },
    scope: 'livekit-agents',
  };
  batches.push([close, session]);
  return { batches, e2e: turns.map((t) => Math.round(t.e2e * 1e6) / 1e3) };
}

/** A scripted Pipecat conversation: 3 turns, the second with a tool call, the third interrupted. */
export function pipecatCall(conversationId: string, t0 = Date.UTC(2026, 11, 7, 15, 0, 0)): FakeSpan[][] {
  const traceId = hexId(16);
  const root = hexId(8);
  const span = (
    name: string,
    parent: string,
    start: number,
    end: number,
    scope: string,
    attributes: Record<string, Attr>,
  ): FakeSpan => ({
    traceId,
    spanId: hexId(8),
    parentSpanId: parent,
    name,
    startMs: t0 + start * 1000,
    endMs: t0 + end * 1000,
    attributes,
    scope,
  });
  const turn = (n: number, start: number, interrupted: boolean, latency: number) =>
    span('turn', root, start, start + 5, 'pipecat.turn', {
      'turn.number': n,
      'conversation.id': conversationId,
      'turn.user_bot_latency_seconds': latency,
      'turn.duration_seconds': 5.0001,
      'turn.was_interrupted': interrupted,
    });
  const t1 = turn(1, 0, false, 1.07);
  const t2 = turn(2, 5, false, 1.3);
  const t3 = turn(3, 10, true, 0.8);
  const stt = (parent: FakeSpan, text: string) =>
    span(
      'stt',
      parent.spanId,
      (parent.startMs - t0) / 1000 + 0.5,
      (parent.startMs - t0) / 1000 + 1.5,
      'pipecat',
      {
        transcript: text,
        is_final: true,
        'metrics.ttfb': 0.42,
        'metrics.audio_seconds': 2.5,
        'gen_ai.request.model': 'gpt-transcribe',
      },
    );
  const llm = (parent: FakeSpan, input: string, output?: string) =>
    span(
      'llm',
      parent.spanId,
      (parent.startMs - t0) / 1000 + 2,
      (parent.startMs - t0) / 1000 + 2.3,
      'pipecat',
      {
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 70,
        'gen_ai.usage.output_tokens': 11,
        'metrics.ttfb': 0.19,
        input,
        ...(output === undefined ? {} : { output }),
      },
    );
  const tts = (parent: FakeSpan, text: string) =>
    span(
      'tts',
      parent.spanId,
      (parent.startMs - t0) / 1000 + 2.5,
      (parent.startMs - t0) / 1000 + 3,
      'pipecat',
      {
        'metrics.ttfb': 0.255,
        text,
        'metrics.character_count': text.length,
      },
    );
  const toolInput = JSON.stringify([
    { role: 'user', content: "What's the weather in Paris?" },
    {
      role: 'assistant',
      tool_calls: [
        { id: 'call_w1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      ],
    },
    { role: 'tool', tool_call_id: 'call_w1', content: 'sunny' },
  ]);
  const conversation: FakeSpan = {
    traceId,
    spanId: root,
    name: 'conversation',
    startMs: t0,
    endMs: t0 + 20_000,
    attributes: { 'conversation.id': conversationId, 'conversation.type': 'voice' },
    scope: 'pipecat.turn',
  };
  return [
    [
      stt(t1, 'Hello there.'),
      llm(t1, '[{"role":"user","content":"Hello there."}]', 'Hi!'),
      tts(t1, 'Hi!'),
      tts(t1, 'Write to jane.doe@example.com.'),
    ],
    [
      t1,
      stt(t2, "What's the weather in Paris?"),
      llm(t2, '[{"role":"user","content":"weather?"}]'),
      llm(t2, toolInput, 'Sunny.'),
    ],
    [tts(t2, 'Sunny.'), t2],
    [stt(t3, 'Tell me a story.'), llm(t3, '[]', 'Once upon a time'), tts(t3, 'Once upon a time'), t3],
    [conversation],
  ];
}

/** POST a body to the collector. */
export async function post(
  url: string,
  body: Buffer | string,
  headers: Record<string, string> = { 'content-type': 'application/x-protobuf' },
): Promise<{ status: number; body: Buffer; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', body, headers });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()), headers: res.headers };
}
