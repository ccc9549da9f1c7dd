/**
 * Simulated voice calls for `voicelake demo` and the benchmarks. It emits LiveKit-shaped
 * session payloads and feeds them through the same `CallRecorder` the LiveKit adapter
 * uses, so demo data has exactly the shape of real agent data. Seeded: the same seed
 * gives the same calls.
 */
import { CallRecorder, type Tracker } from '../livekit/recorder.js';

/** mulberry32: a small, fast, seeded PRNG. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface DemoOptions {
  /** Number of calls. */
  readonly calls: number;
  /** PRNG seed. Default 42. */
  readonly seed?: number;
  /** Calls start within this many days before `now`. Default 3. */
  readonly days?: number;
  /** Reference time, epoch ms. Default now. */
  readonly now?: number;
  readonly agentIds?: readonly string[];
}

const AGENT_LINES = [
  'Sure, I can help with that. Could you give me your order number?',
  'Thanks! I see your order was shipped yesterday and should arrive on Thursday.',
  'I have booked you in for Tuesday at 10 am. You will get a confirmation by text.',
  'Let me check that for you, one moment please.',
  'Your current plan includes unlimited calls and 20 gigabytes of data.',
  'I am sorry about that. I have issued a refund to your original payment method.',
  'Is there anything else I can help you with today?',
];
const USER_LINES = [
  'Hi, I want to check on my order.',
  'It is 4 5 2 1 9.',
  'Can I move my appointment to next week?',
  'What does my plan include?',
  'I was charged twice this month.',
  'No, that is all, thanks.',
];
const TOOLS = ['lookup_order', 'book_appointment', 'get_plan', 'issue_refund', 'transfer_call'];
const CLOSE_REASONS = [
  'participant_disconnected',
  'participant_disconnected',
  'user_initiated',
  'job_shutdown',
];

/** Generate `options.calls` calls into `tracker`; returns the number of calls. */
export function generateCalls(tracker: Tracker, options: DemoOptions): number {
  const random = seededRandom(options.seed ?? 42);
  const now = options.now ?? Date.now();
  const days = options.days ?? 3;
  const agents = options.agentIds ?? ['support', 'sales', 'billing'];
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const normal = (): number => {
    const u = 1 - random();
    const v = random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  /** Log-normal with the given median (ms) and spread: latency has a long right tail. */
  const lognormal = (median: number, sigma: number): number =>
    Math.round(median * Math.exp(sigma * normal()));
  // Stay clear of "now" so the whole call is in the past.
  const span = days * 86_400_000 - 3_600_000;
  for (let c = 0; c < options.calls; c++) {
    const callId = `call-${(options.seed ?? 42).toString(36)}-${c.toString().padStart(6, '0')}`;
    const agentId = pick(agents);
    const rec = new CallRecorder(tracker, { callId, agentId });
    let t = now - 3_600_000 - Math.floor(random() * span);
    const model = { modelProvider: 'openai', modelName: random() < 0.7 ? 'gpt-4o-mini' : 'gpt-4o' };
    rec.callStarted(t, { room: `room-${c}`, channel: random() < 0.6 ? 'sip' : 'web' });
    const turns = 3 + Math.floor(random() * 10);
    let promptTokens = 400;
    let speech = 0;
    for (let turn = 0; turn < turns; turn++) {
      const speechId = `speech_${c}_${turn}`;
      const userSpeechMs = 800 + Math.floor(random() * 4000);
      t += userSpeechMs;
      const eou = lognormal(420, 0.35);
      const transcription = lognormal(230, 0.3);
      rec.metricsCollected({
        createdAt: t,
        metrics: {
          type: 'vad_metrics',
          idleTimeMs: userSpeechMs,
          inferenceDurationTotalMs: 12,
          inferenceCount: 40,
        },
      });
      rec.metricsCollected({
        createdAt: t + transcription,
        metrics: { type: 'stt_metrics', durationMs: 0, audioDurationMs: userSpeechMs, streamed: true },
      });
      rec.metricsCollected({
        createdAt: t + eou,
        metrics: {
          type: 'eou_metrics',
          endOfUtteranceDelayMs: eou,
          transcriptionDelayMs: transcription,
          speechId,
        },
      });
      rec.userInputTranscribed({
        transcript: pick(USER_LINES),
        isFinal: true,
        language: 'en',
        createdAt: t + eou,
      });
      rec.conversationItemAdded({
        createdAt: t + eou,
        item: {
          type: 'message',
          role: 'user',
          textContent: pick(USER_LINES),
          metrics: { transcriptionDelay: transcription / 1000, endOfTurnDelay: eou / 1000 },
        },
      });
      t += eou;
      const llm = (): number => {
        const ttft = lognormal(360, 0.45);
        const completion = 15 + Math.floor(random() * 90);
        const tps = 60 + random() * 60;
        const cached = turn === 0 ? 0 : Math.floor(promptTokens * 0.6);
        rec.metricsCollected({
          createdAt: t + ttft,
          metrics: {
            type: 'llm_metrics',
            durationMs: ttft + Math.round((completion / tps) * 1000),
            ttftMs: ttft,
            promptTokens,
            promptCachedTokens: cached,
            completionTokens: completion,
            totalTokens: promptTokens + completion,
            tokensPerSecond: Math.round(tps * 10) / 10,
            cancelled: false,
            speechId,
            metadata: model,
          },
        });
        promptTokens += completion + 40;
        return ttft;
      };
      let ttft = llm();
      if (random() < 0.18) {
        const name = pick(TOOLS);
        const isError = random() < 0.08;
        t += ttft + lognormal(300, 0.5);
        rec.functionToolsExecuted({
          createdAt: t,
          functionCalls: [{ callId: `fc_${c}_${turn}`, name, args: JSON.stringify({ id: c * 100 + turn }) }],
          functionCallOutputs: [
            {
              callId: `fc_${c}_${turn}`,
              name,
              output: isError ? 'error: upstream timeout' : JSON.stringify({ ok: true, status: 'done' }),
              isError,
            },
          ],
        });
        ttft = llm();
      }
      const text = pick(AGENT_LINES);
      const ttfb = lognormal(210, 0.4);
      const interrupted = random() < 0.12;
      rec.metricsCollected({
        createdAt: t + ttft + ttfb,
        metrics: {
          type: 'tts_metrics',
          ttfbMs: ttfb,
          durationMs: ttfb + 300,
          audioDurationMs: text.length * 62,
          charactersCount: text.length,
          cancelled: interrupted,
          speechId,
          metadata: { modelProvider: 'cartesia', modelName: 'sonic-2' },
        },
      });
      if (random() < 0.02) {
        rec.error({
          createdAt: t + ttft,
          source: pick(['tts', 'llm', 'stt']),
          error: {
            type: 'api_error',
            recoverable: random() < 0.8,
            error: new Error('upstream returned 503'),
          },
        });
      }
      rec.conversationItemAdded({
        createdAt: t + ttft + ttfb,
        item: {
          type: 'message',
          role: 'assistant',
          textContent: text,
          interrupted,
          metrics: {
            llmNodeTtft: ttft / 1000,
            ttsNodeTtfb: ttfb / 1000,
            e2eLatency: (eou + ttft + ttfb) / 1000,
          },
        },
      });
      speech += text.length * 62;
      t += ttft + ttfb + (interrupted ? text.length * 20 : text.length * 62) + 400;
    }
    rec.usageUpdated({
      usage: {
        modelUsage: [
          {
            type: 'llm_usage',
            provider: model.modelProvider,
            model: model.modelName,
            inputTokens: promptTokens,
          },
          { type: 'tts_usage', provider: 'cartesia', model: 'sonic-2', audioDurationMs: speech },
        ],
      },
    });
    rec.callEnded({ createdAt: t + 500, reason: pick(CLOSE_REASONS), error: null });
  }
  return options.calls;
}
