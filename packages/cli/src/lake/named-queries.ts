/**
 * The questions voice teams ask, each written once and rendered for DuckDB or Athena through
 * the dialect helpers (dialect.ts). Every query reads the `events` view (or table) of the lake.
 */
import type { SqlHelpers } from './dialect.js';

export interface NamedQueryParams {
  /** Rows for the top-N queries (`slowest`). */
  readonly limit: number;
}

export interface NamedQuery {
  readonly description: string;
  readonly sql: (h: SqlHelpers, params: NamedQueryParams) => string;
}

const ended = "event_type = 'call_ended'";

export const NAMED_QUERIES = {
  calls: {
    description: 'One row per call, from the call summary (call_ended), newest first',
    sql: (h) => `SELECT call_id, agent_id, substr(event_time, 1, 19) AS ended_at,
       ${h.round('call_duration_ms / 1000', 1)} AS duration_s, turns, interruptions,
       ttft_p50_ms, ttft_p95_ms, e2e_latency_p95_ms,
       prompt_tokens + completion_tokens AS tokens, tool_calls, tool_errors, errors, close_reason
FROM events WHERE ${ended}
ORDER BY event_time DESC, call_id LIMIT 50`,
  },
  daily: {
    description: 'Per day: calls, mean duration, p50/p95 TTFT and end-to-end latency, tool errors',
    sql: (h) => `SELECT ${h.day()} AS day,
       count(*) FILTER (WHERE ${ended}) AS calls,
       ${h.round(`avg(call_duration_ms) FILTER (WHERE ${ended}) / 1000`, 1)} AS mean_duration_s,
       ${h.round(`${h.pct('ttft_ms', 0.5)} FILTER (WHERE event_type = 'llm_metrics')`)} AS ttft_p50_ms,
       ${h.round(`${h.pct('ttft_ms', 0.95)} FILTER (WHERE event_type = 'llm_metrics')`)} AS ttft_p95_ms,
       ${h.round(`${h.pct('e2e_latency_ms', 0.5)} FILTER (WHERE event_type = 'agent_turn')`)} AS e2e_p50_ms,
       ${h.round(`${h.pct('e2e_latency_ms', 0.95)} FILTER (WHERE event_type = 'agent_turn')`)} AS e2e_p95_ms,
       count(*) FILTER (WHERE event_type = 'tool_call' AND is_error) AS tool_errors
FROM events GROUP BY 1 ORDER BY 1`,
  },
  latency: {
    description: 'Per agent: p50/p95 of TTFT, TTS TTFB, end-of-utterance delay and end-to-end latency (ms)',
    sql: (h) => `SELECT agent_id,
       ${h.round(`${h.pct('ttft_ms', 0.5)} FILTER (WHERE event_type = 'llm_metrics')`)} AS ttft_p50,
       ${h.round(`${h.pct('ttft_ms', 0.95)} FILTER (WHERE event_type = 'llm_metrics')`)} AS ttft_p95,
       ${h.round(`${h.pct('ttfb_ms', 0.5)} FILTER (WHERE event_type = 'tts_metrics')`)} AS ttfb_p50,
       ${h.round(`${h.pct('ttfb_ms', 0.95)} FILTER (WHERE event_type = 'tts_metrics')`)} AS ttfb_p95,
       ${h.round(`${h.pct('end_of_utterance_delay_ms', 0.5)} FILTER (WHERE event_type = 'eou_metrics')`)} AS eou_p50,
       ${h.round(`${h.pct('end_of_utterance_delay_ms', 0.95)} FILTER (WHERE event_type = 'eou_metrics')`)} AS eou_p95,
       ${h.round(`${h.pct('e2e_latency_ms', 0.5)} FILTER (WHERE event_type = 'agent_turn')`)} AS e2e_p50,
       ${h.round(`${h.pct('e2e_latency_ms', 0.95)} FILTER (WHERE event_type = 'agent_turn')`)} AS e2e_p95
FROM events GROUP BY 1 ORDER BY 1`,
  },
  turns: {
    description:
      'Per agent: where a turn’s time goes, p50 (ms): end-of-utterance delay → LLM TTFT → TTS TTFB → end to end',
    sql: (h) => `SELECT agent_id,
       count(*) FILTER (WHERE event_type = 'agent_turn') AS agent_turns,
       ${h.round(`${h.pct('end_of_utterance_delay_ms', 0.5)} FILTER (WHERE event_type = 'user_turn')`)} AS eou_delay_p50,
       ${h.round(`${h.pct('llm_node_ttft_ms', 0.5)} FILTER (WHERE event_type = 'agent_turn')`)} AS llm_ttft_p50,
       ${h.round(`${h.pct('tts_node_ttfb_ms', 0.5)} FILTER (WHERE event_type = 'agent_turn')`)} AS tts_ttfb_p50,
       ${h.round(`${h.pct('e2e_latency_ms', 0.5)} FILTER (WHERE event_type = 'agent_turn')`)} AS e2e_p50,
       ${h.round(`${h.pct('e2e_latency_ms', 0.95)} FILTER (WHERE event_type = 'agent_turn')`)} AS e2e_p95
FROM events WHERE event_type IN ('user_turn', 'agent_turn') GROUP BY 1 ORDER BY 1`,
  },
  interruptions: {
    description: 'Per agent: agent turns, how many the caller interrupted, and the share',
    sql: (h) => `SELECT agent_id, count(*) AS agent_turns,
       count(*) FILTER (WHERE interrupted) AS interrupted,
       ${h.round('100.0 * count(*) FILTER (WHERE interrupted) / count(*)', 1)} AS interrupted_pct
FROM events WHERE event_type = 'agent_turn' GROUP BY 1 ORDER BY 1`,
  },
  errors: {
    description: 'Errors by type and source, with how many the session recovered from',
    sql: () => `SELECT error_type, error_source, count(*) AS errors,
       count(*) FILTER (WHERE recoverable) AS recoverable, count(DISTINCT call_id) AS calls
FROM events WHERE event_type = 'error' GROUP BY 1, 2 ORDER BY errors DESC, 1, 2`,
  },
  tools: {
    description: 'Per tool: calls, errors and error rate',
    sql: (h) => `SELECT tool_name, count(*) AS calls, count(*) FILTER (WHERE is_error) AS errors,
       ${h.round('100.0 * count(*) FILTER (WHERE is_error) / count(*)', 1)} AS error_pct
FROM events WHERE event_type = 'tool_call' GROUP BY 1 ORDER BY calls DESC, 1`,
  },
  slowest: {
    description: 'The calls with the highest p95 end-to-end latency (--limit N, default 10)',
    sql: (
      h,
      p,
    ) => `SELECT call_id, agent_id, substr(event_time, 1, 19) AS ended_at, e2e_latency_p95_ms, e2e_latency_p50_ms,
       ttft_p95_ms, ttfb_p95_ms, eou_delay_p95_ms, turns, ${h.round('call_duration_ms / 1000', 1)} AS duration_s
FROM events WHERE ${ended} AND e2e_latency_p95_ms IS NOT NULL
ORDER BY e2e_latency_p95_ms DESC, call_id LIMIT ${Math.max(1, Math.floor(p.limit))}`,
  },
  cost: {
    description:
      'Per call: tokens in and out, cached share, TTS characters and STT minutes (what a call costs)',
    sql: (h) => `SELECT call_id, agent_id, prompt_tokens, prompt_cached_tokens, completion_tokens,
       prompt_tokens + completion_tokens AS tokens, tts_characters,
       ${h.round('stt_audio_ms / 60000', 2)} AS stt_minutes
FROM events WHERE ${ended} ORDER BY tokens DESC, call_id LIMIT 100`,
  },
} as const satisfies Record<string, NamedQuery>;

export type NamedQueryName = keyof typeof NAMED_QUERIES;

/** The SQL of a named query for one engine. */
export function namedQuerySql(
  name: NamedQueryName,
  h: SqlHelpers,
  params: NamedQueryParams = { limit: 10 },
): string {
  return NAMED_QUERIES[name].sql(h, params);
}
