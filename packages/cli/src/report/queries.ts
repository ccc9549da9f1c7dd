/**
 * The report's chart-only SQL: distributions, close reasons and the events of a few calls'
 * timelines. Every query reads the same `events` view as the named queries
 * (lake/named-queries.ts). Headline numbers and tables never come from here: they come from
 * the named queries, so the report and `voicelake query` cannot disagree.
 */
import type { SqlHelpers } from '../lake/dialect.js';
import { sqlString } from '../lake/dialect.js';

const ended = "event_type = 'call_ended'";

/** A value whose distribution the report draws, and which events carry it. */
export interface Measure {
  /** SQL expression of the value. */
  readonly value: string;
  /** SQL condition selecting the events that carry it. */
  readonly where: string;
}

export const MEASURES = {
  /** Call duration, seconds, one value per call. */
  callDuration: { value: 'call_duration_ms / 1000', where: ended },
  /** End-to-end latency of each agent turn, ms. */
  e2e: { value: 'e2e_latency_ms', where: "event_type = 'agent_turn'" },
  /** LLM tokens (prompt + completion) per call, as the `cost` named query counts them. */
  tokens: { value: 'prompt_tokens + completion_tokens', where: ended },
  /** Characters synthesized (TTS) per call. */
  characters: { value: 'tts_characters', where: ended },
} as const satisfies Record<string, Measure>;

export type MeasureName = keyof typeof MEASURES;

/**
 * The rows and columns the distribution, slow-turn and close-reason queries read: call
 * summaries and agent turns, a few numbers each. The report copies them into a small table
 * once, so these queries do not each re-read the whole lake.
 */
export function chartEventsSql(events: string): string {
  return `SELECT event_type, call_duration_ms, e2e_latency_ms, prompt_tokens, completion_tokens, tts_characters, close_reason
FROM ${events} WHERE event_type IN ('call_ended', 'agent_turn')`;
}

const values = (m: Measure): string => `SELECT CAST(${m.value} AS DOUBLE) AS v FROM events WHERE ${m.where}`;

/** How many values, their 99th percentile and their maximum: what the bin width is chosen from. */
export function rangeSql(m: Measure, h: SqlHelpers): string {
  return `SELECT count(v) AS n, ${h.pct('v', 0.99)} AS p99, max(v) AS max FROM (${values(m)}) WHERE v IS NOT NULL`;
}

/**
 * Counts per bin of `width`, starting at 0. Values at or above `cap` (a multiple of `width`)
 * all fall into the last bin, so one outlier cannot stretch the chart.
 */
export function histogramSql(m: Measure, width: number, cap: number): string {
  const last = Math.round(cap / width);
  return `SELECT least(greatest(floor(v / ${width}), 0), ${last}) * ${width} AS start, count(*) AS n
FROM (${values(m)}) WHERE v IS NOT NULL GROUP BY 1 ORDER BY 1`;
}

/** Agent turns, and how many took longer than `ms` end to end. */
export function slowTurnsSql(ms: number): string {
  return `SELECT count(e2e_latency_ms) AS turns, count(*) FILTER (WHERE e2e_latency_ms > ${ms}) AS over
FROM events WHERE event_type = 'agent_turn'`;
}

/** Calls per close reason, most frequent first. */
export function closeReasonsSql(): string {
  return `SELECT coalesce(close_reason, '(none)') AS reason, count(*) AS calls
FROM events WHERE ${ended} GROUP BY 1 ORDER BY calls DESC, 1`;
}

/**
 * The events a call timeline draws, for the calls `callIds`, in time order: turns with their
 * latency metrics, tool calls, errors, and the call's start and end. `at_ms` is the time since
 * the call's first event. No transcript or text is read: the report may be shared.
 */
export function timelineSql(callIds: readonly string[], h: SqlHelpers): string {
  const ids = callIds.length === 0 ? "''" : callIds.map(sqlString).join(', ');
  const t = `epoch_ms(${h.eventTime()})`;
  return `WITH picked AS (
  SELECT * FROM events WHERE call_id IN (${ids})
    AND event_type IN ('call_started', 'user_turn', 'agent_turn', 'tool_call', 'error', 'call_ended')
), starts AS (SELECT call_id, min(${t}) AS t0 FROM picked GROUP BY 1)
SELECT p.call_id, p.event_type, ${t} - s.t0 AS at_ms, p.end_of_utterance_delay_ms AS eou_ms,
       p.llm_node_ttft_ms AS ttft_ms, p.tts_node_ttfb_ms AS ttfb_ms, p.e2e_latency_ms AS e2e_ms,
       p.interrupted, p.tool_name, p.is_error, p.error_source, p.error_type, p.recoverable, p.close_reason
FROM picked p JOIN starts s USING (call_id)
ORDER BY p.call_id, at_ms, p.event_id`;
}

/** A bin width near `span / bins`, rounded to 1, 2, 2.5 or 5 times a power of ten. */
export function niceWidth(span: number, bins: number): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / Math.max(1, bins);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * power >= raw) ?? 10;
  return step * power;
}
