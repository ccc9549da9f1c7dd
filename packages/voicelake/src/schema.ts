/**
 * Schema v1: the single source of truth for what one stored event line holds.
 * The TypeScript types, the DuckDB reading spec and the Athena DDL are all derived
 * from `ENVELOPE` and `COLUMNS` below; add a column here and every consumer follows.
 * Adding a column never breaks old files: readers treat a missing key as NULL.
 */

export const SCHEMA_VERSION = 1;

/** Column kinds, mapped to each engine's type. */
export const KINDS = {
  string: { duckdb: 'VARCHAR', athena: 'string', trino: 'varchar' },
  double: { duckdb: 'DOUBLE', athena: 'double', trino: 'double' },
  bigint: { duckdb: 'BIGINT', athena: 'bigint', trino: 'bigint' },
  boolean: { duckdb: 'BOOLEAN', athena: 'boolean', trino: 'boolean' },
  integer: { duckdb: 'INTEGER', athena: 'int', trino: 'integer' },
} as const;
export type ColumnKind = keyof typeof KINDS;

interface ColumnDef<N extends string = string, K extends string = string, T extends ColumnKind = ColumnKind> {
  /** Stored name (snake_case), as in the JSON line, DuckDB and Athena. */
  readonly name: N;
  /** Input key inside `track({ data })` (camelCase). */
  readonly key: K;
  readonly kind: T;
  readonly doc: string;
}

const col = <N extends string, K extends string, T extends ColumnKind>(
  name: N,
  key: K,
  kind: T,
  doc: string,
): ColumnDef<N, K, T> => ({ name, key, kind, doc });

/** Envelope fields: present on every line, set by voicelake from `track()`'s arguments. */
export const ENVELOPE = [
  col('event_id', 'eventId', 'string', 'UUIDv7, unique per event; time-ordered.'),
  col('event_type', 'type', 'string', 'Event type, e.g. llm_metrics, call_started, call_ended.'),
  col('event_time', 'time', 'string', 'When it happened, ISO-8601 UTC with ms. Partitions derive from it.'),
  col('call_id', 'callId', 'string', 'The call (LiveKit room/job) the event belongs to.'),
  col('agent_id', 'agentId', 'string', 'The agent that handled the call, if known.'),
  col('schema_version', 'schemaVersion', 'integer', 'Version of this schema the line was written with.'),
] as const;

/**
 * Typed columns for the well-known voice metrics. Times are milliseconds, sizes bytes.
 * Inputs use the camelCase `key`; values of the wrong type are rejected, not coerced.
 */
export const COLUMNS = [
  // LLM, STT, TTS, EOU, realtime metrics (LiveKit AgentMetrics, ms since agents 1.0.11)
  col('duration_ms', 'durationMs', 'double', 'Duration of the measured operation, ms.'),
  col('ttft_ms', 'ttftMs', 'double', 'LLM time to first token, ms.'),
  col('ttfb_ms', 'ttfbMs', 'double', 'TTS time to first byte, ms.'),
  col('audio_duration_ms', 'audioDurationMs', 'double', 'Audio processed or produced, ms.'),
  col('prompt_tokens', 'promptTokens', 'bigint', 'LLM prompt tokens.'),
  col('prompt_cached_tokens', 'promptCachedTokens', 'bigint', 'LLM prompt tokens served from cache.'),
  col('completion_tokens', 'completionTokens', 'bigint', 'LLM completion tokens.'),
  col('total_tokens', 'totalTokens', 'bigint', 'LLM total tokens.'),
  col('input_tokens', 'inputTokens', 'bigint', 'Realtime model input tokens.'),
  col('output_tokens', 'outputTokens', 'bigint', 'Realtime model output tokens.'),
  col('tokens_per_second', 'tokensPerSecond', 'double', 'LLM generation speed.'),
  col('characters_count', 'charactersCount', 'bigint', 'Characters sent to TTS.'),
  col('end_of_utterance_delay_ms', 'endOfUtteranceDelayMs', 'double', 'End-of-utterance delay, ms.'),
  col(
    'transcription_delay_ms',
    'transcriptionDelayMs',
    'double',
    'Final transcript delay after speech end, ms.',
  ),
  col('on_user_turn_completed_delay_ms', 'onUserTurnCompletedDelayMs', 'double', 'Turn-completed hook, ms.'),
  col('idle_time_ms', 'idleTimeMs', 'double', 'VAD idle time, ms.'),
  col('inference_duration_total_ms', 'inferenceDurationTotalMs', 'double', 'VAD inference time, ms.'),
  col('inference_count', 'inferenceCount', 'bigint', 'VAD inference count.'),
  col('cancelled', 'cancelled', 'boolean', 'The generation was cancelled (interrupted).'),
  col('streamed', 'streamed', 'boolean', 'STT ran in streaming mode.'),
  col('speech_id', 'speechId', 'string', 'LiveKit speech handle id linking metrics to a turn.'),
  col('model_provider', 'modelProvider', 'string', 'Model provider, e.g. openai.'),
  col('model_name', 'modelName', 'string', 'Model name, e.g. gpt-4o-mini.'),
  // Conversation turns
  col('role', 'role', 'string', 'user or assistant.'),
  col('transcript', 'transcript', 'string', 'User speech transcript.'),
  col('text', 'text', 'string', 'Agent reply text.'),
  col('is_final', 'isFinal', 'boolean', 'The transcript is final.'),
  col('language', 'language', 'string', 'Detected language.'),
  col('interrupted', 'interrupted', 'boolean', 'The agent turn was interrupted by the user.'),
  col('e2e_latency_ms', 'e2eLatencyMs', 'double', 'End of user speech to first agent audio, ms.'),
  col('llm_node_ttft_ms', 'llmNodeTtftMs', 'double', 'Per-turn LLM time to first token, ms.'),
  col('tts_node_ttfb_ms', 'ttsNodeTtfbMs', 'double', 'Per-turn TTS time to first byte, ms.'),
  // Tool calls
  col('tool_name', 'toolName', 'string', 'Function tool name.'),
  col('tool_call_id', 'toolCallId', 'string', 'Function call id.'),
  col('is_error', 'isError', 'boolean', 'The tool call failed.'),
  col('args_bytes', 'argsBytes', 'bigint', 'Size of the tool arguments, bytes.'),
  col('output_bytes', 'outputBytes', 'bigint', 'Size of the tool output, bytes.'),
  // Errors
  col('error_source', 'errorSource', 'string', 'Component that raised the error (llm, stt, tts, tool...).'),
  col('error_type', 'errorType', 'string', 'Error type or class.'),
  col('recoverable', 'recoverable', 'boolean', 'The session could continue after the error.'),
  col('message', 'message', 'string', 'Error message.'),
  // Call summary (call_ended)
  col('call_duration_ms', 'callDurationMs', 'double', 'Call duration, ms.'),
  col('close_reason', 'closeReason', 'string', 'Why the call ended.'),
  col('turns', 'turns', 'bigint', 'Agent turns in the call.'),
  col('user_turns', 'userTurns', 'bigint', 'Final user turns in the call.'),
  col('interruptions', 'interruptions', 'bigint', 'Interrupted agent turns.'),
  col('ttft_p50_ms', 'ttftP50Ms', 'double', 'Call p50 LLM time to first token, ms.'),
  col('ttft_p95_ms', 'ttftP95Ms', 'double', 'Call p95 LLM time to first token, ms.'),
  col('ttfb_p50_ms', 'ttfbP50Ms', 'double', 'Call p50 TTS time to first byte, ms.'),
  col('ttfb_p95_ms', 'ttfbP95Ms', 'double', 'Call p95 TTS time to first byte, ms.'),
  col('eou_delay_p50_ms', 'eouDelayP50Ms', 'double', 'Call p50 end-of-utterance delay, ms.'),
  col('eou_delay_p95_ms', 'eouDelayP95Ms', 'double', 'Call p95 end-of-utterance delay, ms.'),
  col('e2e_latency_p50_ms', 'e2eLatencyP50Ms', 'double', 'Call p50 end-to-end turn latency, ms.'),
  col('e2e_latency_p95_ms', 'e2eLatencyP95Ms', 'double', 'Call p95 end-to-end turn latency, ms.'),
  col('tts_characters', 'ttsCharacters', 'bigint', 'Characters synthesized in the call.'),
  col('stt_audio_ms', 'sttAudioMs', 'double', 'Audio transcribed in the call, ms.'),
  col('tool_calls', 'toolCalls', 'bigint', 'Tool calls in the call.'),
  col('tool_errors', 'toolErrors', 'bigint', 'Failed tool calls in the call.'),
  col('errors', 'errors', 'bigint', 'Errors in the call.'),
  col('usage_json', 'usageJson', 'string', 'Model usage (session.usage), JSON.'),
] as const;

/** Custom fields: any `data` key that is not a typed column, stored as one JSON object string. */
export const CUSTOM_COLUMN = col('custom', 'custom', 'string', 'Custom fields, a JSON object string.');

export const ALL_COLUMNS = [...ENVELOPE, ...COLUMNS, CUSTOM_COLUMN] as const;

type TsOf<K extends ColumnKind> = K extends 'string' ? string : K extends 'boolean' ? boolean : number;
type Column = (typeof COLUMNS)[number];

/** The typed metrics accepted in `track({ data })`. Any other key is kept as a custom field. */
export type KnownData = { [C in Column as C['key']]?: TsOf<C['kind']> };

/** One stored line, as read back by DuckDB or Athena. */
export type EventRow = { [C in (typeof ALL_COLUMNS)[number] as C['name']]: TsOf<C['kind']> | null };

/** Typed column lookup by input key, built once, with the column's `,"name":` JSON prefix. */
export const COLUMN_BY_KEY: ReadonlyMap<string, Column & { readonly jsonKey: string }> = new Map(
  COLUMNS.map((c) => [c.key, { ...c, jsonKey: `,"${c.name}":` }]),
);

/** DuckDB `read_json(columns = {...})` spec: every column with its type. */
export function duckdbColumns(
  columns: readonly { readonly name: string; readonly kind: ColumnKind }[] = ALL_COLUMNS,
): string {
  return `{${columns.map((c) => `'${c.name}': '${KINDS[c.kind].duckdb}'`).join(', ')}}`;
}

/** The schema as a Markdown table, for `docs/schema.md` (kept in sync by a test). */
export function schemaMarkdown(): string {
  const rows = ALL_COLUMNS.map(
    (c) =>
      `| \`${c.name}\` | ${ENVELOPE.some((e) => e.name === c.name) ? '(envelope)' : `\`${c.key}\``} | ${KINDS[c.kind].athena} | ${c.doc} |`,
  );
  return [
    `# Event schema v${SCHEMA_VERSION}`,
    '',
    'Generated from `packages/voicelake/src/schema.ts` by `npm run docs`; do not edit by hand.',
    '',
    'Every stored event is one JSON line with these keys. Absent metrics are omitted (read as NULL).',
    'In `track({ data })`, use the camelCase input key; any other key goes into `custom`.',
    '',
    '| Column | `data` key | Type | Meaning |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
