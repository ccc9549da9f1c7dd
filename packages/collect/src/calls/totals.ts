/**
 * A call's running totals, accumulated from its events as they are mapped, and the `call_ended`
 * summary they give: the same fields and percentiles as the Node adapter's (voicelake/livekit).
 */
import { emptyTotals, summaryFields, type Totals } from 'voicelake/livekit';

export { emptyTotals, type Totals };

const n = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Count one event into the totals, as the Node adapter counts the same event. */
export function addEvent(t: Totals, type: string, d: Record<string, unknown>): void {
  switch (type) {
    case 'llm_metrics': {
      const ttft = n(d.ttftMs);
      if (ttft !== undefined && ttft >= 0) t.ttft.push(ttft);
      t.promptTokens += n(d.promptTokens) ?? 0;
      t.promptCachedTokens += n(d.promptCachedTokens) ?? 0;
      t.completionTokens += n(d.completionTokens) ?? 0;
      break;
    }
    case 'tts_metrics': {
      const ttfb = n(d.ttfbMs);
      if (ttfb !== undefined && ttfb >= 0) t.ttfb.push(ttfb);
      t.ttsCharacters += n(d.charactersCount) ?? 0;
      break;
    }
    case 'stt_metrics':
      t.sttAudioMs += n(d.audioDurationMs) ?? 0;
      break;
    case 'eou_metrics': {
      const eou = n(d.endOfUtteranceDelayMs);
      if (eou !== undefined) t.eou.push(eou);
      break;
    }
    case 'user_turn':
      t.userTurns++;
      break;
    case 'agent_turn': {
      t.turns++;
      if (d.interrupted === true) t.interruptions++;
      const e2e = n(d.e2eLatencyMs);
      if (e2e !== undefined) t.e2e.push(e2e);
      break;
    }
    case 'tool_call':
      t.toolCalls++;
      if (d.isError === true) t.toolErrors++;
      break;
    case 'error':
      t.errors++;
      break;
  }
}

/** The `call_ended` data. */
export function summary(t: Totals, callDurationMs: number | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { callDurationMs, ...summaryFields(t) };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

/** Totals read back from disk, or undefined when the shape is wrong. */
export function parseTotals(v: unknown): Totals | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const t = emptyTotals();
  for (const k of ['ttft', 'ttfb', 'eou', 'e2e'] as const) {
    const list = o[k];
    if (!Array.isArray(list) || !list.every((x) => n(x) !== undefined)) return undefined;
    t[k] = list as number[];
  }
  for (const k of [
    'promptTokens',
    'promptCachedTokens',
    'completionTokens',
    'ttsCharacters',
    'sttAudioMs',
    'turns',
    'userTurns',
    'interruptions',
    'toolCalls',
    'toolErrors',
    'errors',
  ] as const) {
    const x = n(o[k]);
    if (x === undefined || x < 0) return undefined;
    t[k] = x;
  }
  return t;
}
