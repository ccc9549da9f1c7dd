/**
 * Named queries over the `events` view: the questions voice teams ask about calls. Plain SQL
 * that runs on DuckDB locally (and, being ANSI-ish, ports to Athena/Trino).
 */
export const NAMED_QUERIES = {
  calls: {
    description: 'One row per call, from the call summary (call_ended), newest first',
    sql: `SELECT call_id, agent_id, substr(event_time, 1, 19) AS ended_at,
       round(call_duration_ms / 1000, 1) AS duration_s, turns, interruptions,
       ttft_p50_ms, ttft_p95_ms, e2e_latency_p95_ms,
       prompt_tokens + completion_tokens AS tokens, tool_calls, tool_errors, errors, close_reason
FROM events WHERE event_type = 'call_ended'
ORDER BY event_time DESC LIMIT 50`,
  },
  daily: {
    description: 'Per day: calls, mean duration, p50/p95 TTFT and end-to-end latency, tool errors',
    sql: `SELECT printf('%04d-%02d-%02d', year::INT, month::INT, day::INT) AS day,
       count(*) FILTER (WHERE event_type = 'call_ended') AS calls,
       round(avg(call_duration_ms) FILTER (WHERE event_type = 'call_ended') / 1000, 1) AS mean_duration_s,
       round(quantile_cont(ttft_ms, 0.5) FILTER (WHERE event_type = 'llm_metrics')) AS ttft_p50_ms,
       round(quantile_cont(ttft_ms, 0.95) FILTER (WHERE event_type = 'llm_metrics')) AS ttft_p95_ms,
       round(quantile_cont(e2e_latency_ms, 0.5) FILTER (WHERE event_type = 'agent_turn')) AS e2e_p50_ms,
       round(quantile_cont(e2e_latency_ms, 0.95) FILTER (WHERE event_type = 'agent_turn')) AS e2e_p95_ms,
       count(*) FILTER (WHERE event_type = 'tool_call' AND is_error) AS tool_errors
FROM events GROUP BY 1 ORDER BY 1`,
  },
  latency: {
    description: 'Per agent: p50/p95 of TTFT, TTS TTFB, end-of-utterance delay and end-to-end latency (ms)',
    sql: `SELECT agent_id,
       round(quantile_cont(ttft_ms, 0.5) FILTER (WHERE event_type = 'llm_metrics')) AS ttft_p50,
       round(quantile_cont(ttft_ms, 0.95) FILTER (WHERE event_type = 'llm_metrics')) AS ttft_p95,
       round(quantile_cont(ttfb_ms, 0.5) FILTER (WHERE event_type = 'tts_metrics')) AS ttfb_p50,
       round(quantile_cont(ttfb_ms, 0.95) FILTER (WHERE event_type = 'tts_metrics')) AS ttfb_p95,
       round(quantile_cont(end_of_utterance_delay_ms, 0.5) FILTER (WHERE event_type = 'eou_metrics')) AS eou_p50,
       round(quantile_cont(end_of_utterance_delay_ms, 0.95) FILTER (WHERE event_type = 'eou_metrics')) AS eou_p95,
       round(quantile_cont(e2e_latency_ms, 0.5) FILTER (WHERE event_type = 'agent_turn')) AS e2e_p50,
       round(quantile_cont(e2e_latency_ms, 0.95) FILTER (WHERE event_type = 'agent_turn')) AS e2e_p95
FROM events GROUP BY 1 ORDER BY 1`,
  },
  tools: {
    description: 'Per tool: calls, errors and error rate',
    sql: `SELECT tool_name, count(*) AS calls, count(*) FILTER (WHERE is_error) AS errors,
       round(100.0 * count(*) FILTER (WHERE is_error) / count(*), 1) AS error_pct
FROM events WHERE event_type = 'tool_call' GROUP BY 1 ORDER BY calls DESC`,
  },
  cost: {
    description: 'Per call-summary day: tokens in and out, cached share, TTS characters',
    sql: `SELECT printf('%04d-%02d-%02d', year::INT, month::INT, day::INT) AS day, count(*) AS calls,
       sum(prompt_tokens) AS prompt_tokens, sum(prompt_cached_tokens) AS cached_tokens,
       sum(completion_tokens) AS completion_tokens, sum(tts_characters) AS tts_characters,
       round(sum(stt_audio_ms) / 60000, 1) AS stt_minutes
FROM events WHERE event_type = 'call_ended' GROUP BY 1 ORDER BY 1`,
  },
} as const;

export type NamedQuery = keyof typeof NAMED_QUERIES;
