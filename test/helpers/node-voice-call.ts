/**
 * A Node voice call through the LiveKit adapter (`instrumentSession`), scripted like the Python
 * calls of test/python/livekit_call.py and pipecat_call.py: a greeting, a tool call
 * (get_weather), a failing tool (book_table), a long answer the caller interrupts, a goodbye.
 *
 * `@livekit/agents` for Node ships a fake LLM only (no fake STT, TTS or VAD), so a real
 * `AgentSession` can only run a text call, which has no STT, TTS or end-of-utterance numbers at
 * all. This call instead emits what a voice `AgentSession` emits, built with the framework's own
 * constructors and types (`createMetricsCollectedEvent`, `ChatMessage.create`, `FunctionCall`,
 * `STTMetrics`…), so a field the framework renames breaks the typecheck here: per user turn
 * `stt_metrics`, `eou_metrics` and the user message with its delays; per LLM request
 * `llm_metrics`; per TTS request `tts_metrics`; the executed tools; the agent message with its
 * TTFT, TTFB and end-to-end latency; the session usage; `close`.
 */
import { EventEmitter } from 'node:events';
import { llm, type metrics, normalizeLanguage, voice } from '@livekit/agents';
import { createAnalytics } from '../../packages/voicelake/src/index.js';
import { instrumentSession, type SessionLike } from '../../packages/voicelake/src/livekit/index.js';
import { silentLogger } from '../../packages/voicelake/src/logger.js';

export const NODE_CALL = { callId: 'RM_node_parity', agentId: 'node-parity-agent' } as const;

interface Turn {
  user: string;
  /** Seconds the caller spoke. */
  speech: number;
  /** One LLM request per entry (a tool call needs a second one). */
  llm: { ttft: number; duration: number; prompt: number; completion: number }[];
  tools?: { name: string; args: string; output: string; isError: boolean }[];
  answer: string;
  ttfb: number;
  e2e: number;
  interrupted?: boolean;
}

const TURNS: Turn[] = [
  {
    user: 'Hello there.',
    speech: 1,
    llm: [{ ttft: 0.15, duration: 0.35, prompt: 43, completion: 13 }],
    answer: 'Hi! How can I help?',
    ttfb: 0.2,
    e2e: 0.9,
  },
  {
    user: "What's the weather in Paris?",
    speech: 1,
    llm: [
      { ttft: 0.15, duration: 0.35, prompt: 60, completion: 9 },
      { ttft: 0.16, duration: 0.36, prompt: 80, completion: 8 },
    ],
    tools: [
      { name: 'get_weather', args: '{"location": "Paris"}', output: 'sunny and 22 degrees', isError: false },
    ],
    answer: "It's sunny in Paris.",
    ttfb: 0.21,
    e2e: 1.3,
  },
  {
    user: 'Book me a table for two tonight.',
    speech: 1,
    llm: [
      { ttft: 0.14, duration: 0.35, prompt: 95, completion: 12 },
      { ttft: 0.15, duration: 0.35, prompt: 120, completion: 9 },
    ],
    tools: [
      { name: 'book_table', args: '{"people": 2}', output: 'There are no tables left.', isError: true },
    ],
    answer: 'Sorry, no tables are left.',
    ttfb: 0.2,
    e2e: 1.0,
  },
  {
    user: 'Tell me a long story.',
    speech: 1,
    llm: [{ ttft: 0.3, duration: 0.6, prompt: 130, completion: 40 }],
    answer: 'Once upon a time',
    ttfb: 0.25,
    e2e: 1.1,
    interrupted: true,
  },
  {
    user: 'Stop. Thanks, goodbye.',
    speech: 1.2,
    llm: [{ ttft: 0.15, duration: 0.35, prompt: 150, completion: 5 }],
    answer: 'Goodbye!',
    ttfb: 0.2,
    e2e: 0.9,
  },
];

const META = {
  llm: { modelProvider: 'fake-llm-provider', modelName: 'fake-llm-1' },
  stt: { modelProvider: 'fake-stt-provider', modelName: 'fake-stt-1' },
  tts: { modelProvider: 'fake-tts-provider', modelName: 'fake-tts-1' },
};

/** The call, recorded by `instrumentSession` into the local lake `lakeDir`. */
export async function nodeVoiceCall(lakeDir: string): Promise<void> {
  const analytics = createAnalytics({
    s3: false,
    cloudWatch: false,
    local: { dir: lakeDir },
    spool: false,
    logger: silentLogger,
    env: {},
  });
  const session = new EventEmitter();
  const emit = (ev: voice.AgentEvent): boolean => session.emit(ev.type, ev);
  const ctx = {
    job: {
      id: 'AJ_node_parity',
      agentName: NODE_CALL.agentId,
      room: { name: 'parity-room', sid: NODE_CALL.callId },
    },
  };
  instrumentSession(session as unknown as SessionLike, { analytics, ctx });

  const metricsEvent = (m: metrics.AgentMetrics, at: number) =>
    emit(voice.createMetricsCollectedEvent({ metrics: m, createdAt: at }));
  let t = Date.now() + 500;
  const usage = { llm: { input: 0, output: 0 }, ttsChars: 0, sttMs: 0 };
  for (const [i, turn] of TURNS.entries()) {
    const speechId = `speech_node_${i}`;
    const transcription = 0.2;
    const eou = 0.53;
    t += turn.speech * 1000;
    const stt: metrics.STTMetrics = {
      type: 'stt_metrics',
      label: 'FakeSTT',
      requestId: `stt_${i}`,
      timestamp: t,
      durationMs: 0,
      audioDurationMs: turn.speech * 1000 + 500,
      streamed: true,
      metadata: META.stt,
    };
    usage.sttMs += stt.audioDurationMs;
    metricsEvent(stt, t);
    const eouMetrics: metrics.EOUMetrics = {
      type: 'eou_metrics',
      timestamp: t + eou * 1000,
      endOfUtteranceDelayMs: eou * 1000,
      transcriptionDelayMs: transcription * 1000,
      onUserTurnCompletedDelayMs: 0.3,
      lastSpeakingTimeMs: t,
      speechId,
    };
    metricsEvent(eouMetrics, t + eou * 1000);
    emit(
      voice.createUserInputTranscribedEvent({
        transcript: turn.user,
        isFinal: true,
        language: normalizeLanguage('en'),
      }),
    );
    emit(
      voice.createConversationItemAddedEvent(
        llm.ChatMessage.create({
          role: 'user',
          content: turn.user,
          transcriptConfidence: 0.93,
          metrics: {
            transcriptionDelay: transcription,
            endOfTurnDelay: eou,
            onUserTurnCompletedDelay: 0.0003,
          },
        }),
        t + eou * 1000,
      ),
    );
    t += eou * 1000;
    for (const [r, req] of turn.llm.entries()) {
      const m: metrics.LLMMetrics = {
        type: 'llm_metrics',
        label: 'FakeLLM',
        requestId: `chat_${i}_${r}`,
        timestamp: t + req.duration * 1000,
        durationMs: req.duration * 1000,
        ttftMs: req.ttft * 1000,
        cancelled: false,
        completionTokens: req.completion,
        promptTokens: req.prompt,
        promptCachedTokens: 16,
        totalTokens: req.prompt + req.completion,
        tokensPerSecond: req.completion / req.duration,
        speechId,
        metadata: META.llm,
      };
      usage.llm.input += req.prompt;
      usage.llm.output += req.completion;
      t += req.duration * 1000;
      metricsEvent(m, t);
      const tools = r === 0 ? (turn.tools ?? []) : [];
      if (tools.length > 0) {
        t += 100;
        emit(
          voice.createFunctionToolsExecutedEvent({
            functionCalls: tools.map((x, k) =>
              llm.FunctionCall.create({ callId: `call_${i}_${k}`, name: x.name, args: x.args }),
            ),
            functionCallOutputs: tools.map((x, k) =>
              llm.FunctionCallOutput.create({
                callId: `call_${i}_${k}`,
                name: x.name,
                output: x.output,
                isError: x.isError,
              }),
            ),
            createdAt: t,
          }),
        );
      }
    }
    const tts: metrics.TTSMetrics = {
      type: 'tts_metrics',
      label: 'FakeTTS',
      requestId: `tts_${i}`,
      timestamp: t,
      ttfbMs: turn.ttfb * 1000,
      durationMs: 400,
      audioDurationMs: turn.answer.length * 60,
      cancelled: turn.interrupted === true,
      charactersCount: turn.answer.length,
      streamed: true,
      speechId,
      metadata: META.tts,
    };
    usage.ttsChars += tts.charactersCount;
    metricsEvent(tts, t + 400);
    t += turn.answer.length * 60;
    emit(
      voice.createConversationItemAddedEvent(
        llm.ChatMessage.create({
          role: 'assistant',
          content: turn.answer,
          interrupted: turn.interrupted === true,
          metrics: {
            llmNodeTtft: (turn.llm[0] as { ttft: number }).ttft,
            ttsNodeTtfb: turn.ttfb,
            e2eLatency: turn.e2e,
          },
        }),
        t,
      ),
    );
    t += 1500;
  }
  const sessionUsage = {
    modelUsage: [
      { type: 'llm_usage', ...META.llm, inputTokens: usage.llm.input, outputTokens: usage.llm.output },
      { type: 'tts_usage', ...META.tts, charactersCount: usage.ttsChars },
      { type: 'stt_usage', ...META.stt, audioDurationMs: usage.sttMs },
    ],
  };
  emit(
    voice.createSessionUsageUpdatedEvent({
      usage: sessionUsage as unknown as voice.AgentSessionUsage,
      createdAt: t,
    }),
  );
  emit(voice.createCloseEvent('user_initiated' as voice.ShutdownReason, null, t + 500));
  const closed = await analytics.close({ timeoutMs: 30_000 });
  if (closed.undelivered.local !== 0)
    throw new Error(`the Node call did not reach the lake: ${JSON.stringify(closed)}`);
}
