/**
 * LiveKit Agents `AgentMetrics` payloads (both metric generations: ms since agents 1.0.11,
 * seconds before) to schema v1 event data, plus the small readers the call recorder shares.
 * Pure and structural: it does not import `@livekit/agents`.
 */

export type Obj = Record<string, unknown>;

export const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;
export const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
export const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);

/** A milliseconds field, or its pre-1.0.11 seconds name converted (`ttftMs` or `ttft`). */
function ms(m: Obj, msKey: string, secondsKey: string): number | undefined {
  const v = num(m[msKey]);
  if (v !== undefined) return v;
  const s = num(m[secondsKey]);
  return s === undefined ? undefined : s * 1000;
}

/** A latency in ms; LiveKit reports -1 for "never happened" (e.g. no first token), stored as absent. */
function latency(m: Obj, msKey: string, secondsKey: string): number | undefined {
  const v = ms(m, msKey, secondsKey);
  return v !== undefined && v >= 0 ? v : undefined;
}

/** Seconds (LiveKit `item.metrics`) to ms. */
export const secToMs = (v: unknown): number | undefined => {
  const s = num(v);
  return s === undefined ? undefined : Math.round(s * 1000 * 1000) / 1000;
};

/** Drop undefined values so only present metrics are stored. */
export function compact(data: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(data)) if (v !== undefined) out[k] = v;
  return out;
}

/** p-th percentile (0-100) by linear interpolation; undefined for no values. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return Math.round((a + (b - a) * (rank - lo)) * 1000) / 1000;
}

/** Map one `AgentMetrics` payload (`metrics_collected`) to event data; undefined for unknown types. */
export function mapMetrics(m: Obj): { type: string; data: Obj } | undefined {
  const type = str(m.type);
  const meta = (m.metadata ?? {}) as Obj;
  const model = { modelProvider: str(meta.modelProvider), modelName: str(meta.modelName) };
  switch (type) {
    case 'llm_metrics':
      return {
        type,
        data: compact({
          durationMs: ms(m, 'durationMs', 'duration'),
          ttftMs: latency(m, 'ttftMs', 'ttft'),
          promptTokens: num(m.promptTokens),
          promptCachedTokens: num(m.promptCachedTokens),
          completionTokens: num(m.completionTokens),
          totalTokens: num(m.totalTokens),
          tokensPerSecond: num(m.tokensPerSecond),
          cancelled: bool(m.cancelled),
          speechId: str(m.speechId),
          ...model,
        }),
      };
    case 'stt_metrics':
      return {
        type,
        data: compact({
          durationMs: ms(m, 'durationMs', 'duration'),
          audioDurationMs: ms(m, 'audioDurationMs', 'audioDuration'),
          streamed: bool(m.streamed),
          ...model,
        }),
      };
    case 'tts_metrics':
      return {
        type,
        data: compact({
          ttfbMs: latency(m, 'ttfbMs', 'ttfb'),
          durationMs: ms(m, 'durationMs', 'duration'),
          audioDurationMs: ms(m, 'audioDurationMs', 'audioDuration'),
          charactersCount: num(m.charactersCount),
          cancelled: bool(m.cancelled),
          speechId: str(m.speechId),
          ...model,
        }),
      };
    case 'eou_metrics':
      return {
        type,
        data: compact({
          endOfUtteranceDelayMs: ms(m, 'endOfUtteranceDelayMs', 'endOfUtteranceDelay'),
          transcriptionDelayMs: ms(m, 'transcriptionDelayMs', 'transcriptionDelay'),
          onUserTurnCompletedDelayMs: ms(m, 'onUserTurnCompletedDelayMs', 'onUserTurnCompletedDelay'),
          speechId: str(m.speechId),
        }),
      };
    case 'vad_metrics':
      return {
        type,
        data: compact({
          idleTimeMs: ms(m, 'idleTimeMs', 'idleTime'),
          inferenceDurationTotalMs: ms(m, 'inferenceDurationTotalMs', 'inferenceDurationTotal'),
          inferenceCount: num(m.inferenceCount),
        }),
      };
    case 'realtime_model_metrics':
      return {
        type,
        data: compact({
          durationMs: ms(m, 'durationMs', 'duration'),
          ttftMs: latency(m, 'ttftMs', 'ttft'),
          inputTokens: num(m.inputTokens),
          outputTokens: num(m.outputTokens),
          totalTokens: num(m.totalTokens),
          tokensPerSecond: num(m.tokensPerSecond),
          cancelled: bool(m.cancelled),
          ...model,
        }),
      };
    default:
      return undefined;
  }
}
