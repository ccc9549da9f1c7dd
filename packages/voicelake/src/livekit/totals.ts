/**
 * A call's running totals and the fields of its `call_ended` summary (counts, and the p50/p95
 * of TTFT, TTFB, end-of-utterance delay and e2e latency): one definition for the Node adapter
 * (recorder.ts) and for `voicelake collect`, so both summarize a call the same way.
 */
import { percentile } from './metrics.js';

/** Per-call accumulation for the `call_ended` summary. */
export interface Totals {
  ttft: number[];
  ttfb: number[];
  eou: number[];
  e2e: number[];
  promptTokens: number;
  promptCachedTokens: number;
  completionTokens: number;
  ttsCharacters: number;
  sttAudioMs: number;
  turns: number;
  userTurns: number;
  interruptions: number;
  toolCalls: number;
  toolErrors: number;
  errors: number;
}

export const emptyTotals = (): Totals => ({
  ttft: [],
  ttfb: [],
  eou: [],
  e2e: [],
  promptTokens: 0,
  promptCachedTokens: 0,
  completionTokens: 0,
  ttsCharacters: 0,
  sttAudioMs: 0,
  turns: 0,
  userTurns: 0,
  interruptions: 0,
  toolCalls: 0,
  toolErrors: 0,
  errors: 0,
});

/** The summary fields of `t` (a percentile of no values is undefined). */
export function summaryFields(t: Totals): Record<string, number | undefined> {
  return {
    turns: t.turns,
    userTurns: t.userTurns,
    interruptions: t.interruptions,
    ttftP50Ms: percentile(t.ttft, 50),
    ttftP95Ms: percentile(t.ttft, 95),
    ttfbP50Ms: percentile(t.ttfb, 50),
    ttfbP95Ms: percentile(t.ttfb, 95),
    eouDelayP50Ms: percentile(t.eou, 50),
    eouDelayP95Ms: percentile(t.eou, 95),
    e2eLatencyP50Ms: percentile(t.e2e, 50),
    e2eLatencyP95Ms: percentile(t.e2e, 95),
    promptTokens: t.promptTokens,
    promptCachedTokens: t.promptCachedTokens,
    completionTokens: t.completionTokens,
    ttsCharacters: t.ttsCharacters,
    sttAudioMs: t.sttAudioMs,
    toolCalls: t.toolCalls,
    toolErrors: t.toolErrors,
    errors: t.errors,
  };
}
