/**
 * The LiveKit mapping on its own: metric payloads of both agents generations, and call
 * summaries that agree with the events they summarize (checked on demo calls).
 */
import { describe, expect, it } from 'vitest';
import { generateCalls } from '../../packages/voicelake/src/demo/generator.js';
import type { TrackInput } from '../../packages/voicelake/src/event.js';
import { mapMetrics, percentile } from '../../packages/voicelake/src/livekit/metrics.js';
import { CallRecorder } from '../../packages/voicelake/src/livekit/recorder.js';

describe('mapMetrics', () => {
  it.each([
    [
      'llm_metrics (ms, agents ≥ 1.0.11)',
      {
        type: 'llm_metrics',
        ttftMs: 250,
        durationMs: 1200,
        promptTokens: 10,
        completionTokens: 5,
        metadata: { modelProvider: 'openai', modelName: 'gpt-4o' },
      },
      {
        ttftMs: 250,
        durationMs: 1200,
        promptTokens: 10,
        completionTokens: 5,
        modelProvider: 'openai',
        modelName: 'gpt-4o',
      },
    ],
    [
      'llm_metrics (seconds, agents 1.0.0-1.0.10)',
      { type: 'llm_metrics', ttft: 0.25, duration: 1.2 },
      { ttftMs: 250, durationMs: 1200 },
    ],
    [
      'tts_metrics (seconds)',
      { type: 'tts_metrics', ttfb: 0.2, audioDuration: 3, charactersCount: 42 },
      { ttfbMs: 200, audioDurationMs: 3000, charactersCount: 42 },
    ],
    [
      'eou_metrics (seconds)',
      {
        type: 'eou_metrics',
        endOfUtteranceDelay: 0.5,
        transcriptionDelay: 0.25,
        onUserTurnCompletedDelay: 0.01,
      },
      { endOfUtteranceDelayMs: 500, transcriptionDelayMs: 250, onUserTurnCompletedDelayMs: 10 },
    ],
    [
      'stt_metrics (ms)',
      { type: 'stt_metrics', durationMs: 0, audioDurationMs: 4000, streamed: true },
      { durationMs: 0, audioDurationMs: 4000, streamed: true },
    ],
    [
      'vad_metrics (seconds)',
      { type: 'vad_metrics', idleTime: 1.5, inferenceDurationTotal: 0.02, inferenceCount: 9 },
      { idleTimeMs: 1500, inferenceDurationTotalMs: 20, inferenceCount: 9 },
    ],
    [
      'realtime_model_metrics',
      { type: 'realtime_model_metrics', ttftMs: 300, inputTokens: 7, outputTokens: 3 },
      { ttftMs: 300, inputTokens: 7, outputTokens: 3 },
    ],
    [
      'a -1 TTFT (no first token) is absent, not a latency',
      { type: 'llm_metrics', ttftMs: -1, durationMs: 3 },
      { durationMs: 3 },
    ],
  ])('%s', (_label, input, expected) => {
    expect(mapMetrics(input)?.data).toEqual(expected);
  });

  it('ignores unknown metric types', () => {
    expect(mapMetrics({ type: 'interruption_metrics' })).toBeUndefined();
  });
});

describe('call summaries on demo calls', () => {
  it('agree with the events of each call, counted independently', () => {
    // Prepare
    const events: TrackInput[] = [];
    generateCalls(
      { track: (e: TrackInput) => events.push(e) },
      { calls: 50, seed: 3, now: Date.UTC(2026, 0, 10) },
    );
    const byCall = new Map<string, TrackInput[]>();
    for (const e of events) byCall.set(e.callId, [...(byCall.get(e.callId) ?? []), e]);
    // Assess
    expect(byCall.size).toBe(50);
    for (const [callId, list] of byCall) {
      const of = (type: string) => list.filter((e) => e.type === type);
      const ended = of('call_ended');
      expect(ended, callId).toHaveLength(1);
      expect(of('call_started')).toHaveLength(1);
      const summary = ended[0]?.data ?? {};
      const ttft = of('llm_metrics').map((e) => e.data?.ttftMs as number);
      const toolCalls = of('tool_call');
      expect(summary).toMatchObject({
        turns: of('agent_turn').length,
        userTurns: of('user_turn').length,
        interruptions: of('agent_turn').filter((e) => e.data?.interrupted).length,
        toolCalls: toolCalls.length,
        toolErrors: toolCalls.filter((e) => e.data?.isError).length,
        errors: of('error').length,
        ttftP50Ms: percentile(ttft, 50),
        ttftP95Ms: percentile(ttft, 95),
        promptTokens: of('llm_metrics').reduce((n, e) => n + (e.data?.promptTokens as number), 0),
      });
      const start = Date.parse(
        String(
          of('call_started')[0]?.time ? new Date(of('call_started')[0]?.time as number).toISOString() : '',
        ),
      );
      expect(summary.callDurationMs).toBe((ended[0]?.time as number) - start);
      for (const e of list) expect(e.agentId).toBe(list[0]?.agentId);
    }
  });

  it('records a call only once, even if the session closes twice', () => {
    const events: TrackInput[] = [];
    const rec = new CallRecorder({ track: (e: TrackInput) => events.push(e) }, { callId: 'c' });
    rec.callStarted(1000);
    rec.callEnded({ reason: 'user_initiated', createdAt: 2000 });
    rec.callEnded({ reason: 'job_shutdown', createdAt: 3000 });
    expect(events.map((e) => e.type)).toEqual(['call_started', 'call_ended']);
    expect(events[1]?.data).toMatchObject({ closeReason: 'user_initiated', callDurationMs: 1000 });
  });

  it('maps errors, tool calls and turns from LiveKit payload shapes', () => {
    const events: TrackInput[] = [];
    const rec = new CallRecorder({ track: (e: TrackInput) => events.push(e) }, { callId: 'c', agentId: 'a' });
    rec.error({
      createdAt: 5,
      source: { label: () => 'openai.LLM' },
      error: { type: 'llm_error', recoverable: true, error: new Error('rate limited') },
    });
    rec.functionToolsExecuted({
      createdAt: 6,
      functionCalls: [{ callId: 'f1', name: 'lookup', args: '{"id":1}' }],
      functionCallOutputs: [{ callId: 'f1', name: 'lookup', output: 'boom', isError: true }],
    });
    rec.userInputTranscribed({ isFinal: true, language: 'de' });
    rec.conversationItemAdded({
      createdAt: 7,
      item: { type: 'message', role: 'user', textContent: 'hallo', metrics: { endOfTurnDelay: 0.4 } },
    });
    expect(events.map((e) => [e.type, e.data])).toEqual([
      [
        'error',
        {
          errorSource: 'llm',
          errorLabel: 'openai.LLM',
          errorType: 'llm_error',
          recoverable: true,
          message: 'rate limited',
        },
      ],
      ['tool_call', { toolName: 'lookup', toolCallId: 'f1', isError: true, argsBytes: 8, outputBytes: 4 }],
      [
        'user_turn',
        { role: 'user', transcript: 'hallo', isFinal: true, language: 'de', endOfUtteranceDelayMs: 400 },
      ],
    ]);
  });
});
