/**
 * One call's timeline, from its events (report/queries.ts `timelineSql`): a row per agent
 * turn with where the turn's time went (end-of-utterance delay → LLM TTFT → TTS TTFB, and the
 * rest of the end-to-end latency), plus the tool calls, errors and interruption of the turn.
 */
import type { Row } from '../lake/duckdb.js';

export interface TimelineTurn {
  /** 1-based. */
  readonly turn: number;
  /** When the agent's first audio played, ms since the call's first event. */
  readonly atMs: number;
  /** From the user turn just before this agent turn. */
  readonly eouMs: number | null;
  readonly ttftMs: number | null;
  readonly ttfbMs: number | null;
  readonly e2eMs: number | null;
  readonly interrupted: boolean;
  /** Tool calls and errors since the previous agent turn, e.g. `lookup_order`, `lookup_order failed`. */
  readonly notes: readonly string[];
}

export interface Timeline {
  readonly callId: string;
  readonly agentId: string;
  readonly endedAt: string;
  readonly durationS: number | null;
  readonly e2eP95Ms: number | null;
  readonly closeReason: string;
  readonly turns: readonly TimelineTurn[];
  readonly toolCalls: number;
  readonly toolErrors: number;
  readonly errors: number;
}

const num = (v: unknown): number | null => {
  if (v === null || v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
};
const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

/** The turns of one call, from its events in time order. */
function turnsOf(
  events: readonly Row[],
): Omit<Timeline, 'callId' | 'agentId' | 'endedAt' | 'durationS' | 'e2eP95Ms'> {
  const turns: TimelineTurn[] = [];
  let eou: number | null = null;
  let notes: string[] = [];
  let closeReason = '';
  let toolCalls = 0;
  let toolErrors = 0;
  let errors = 0;
  for (const e of events) {
    switch (e.event_type) {
      case 'user_turn':
        eou = num(e.eou_ms);
        break;
      case 'tool_call': {
        toolCalls++;
        const failed = e.is_error === true;
        if (failed) toolErrors++;
        notes.push(`${str(e.tool_name) || 'tool'}${failed ? ' failed' : ''}`);
        break;
      }
      case 'error':
        errors++;
        notes.push(`${str(e.error_type) || 'error'} (${str(e.error_source) || '?'})`);
        break;
      case 'call_ended':
        closeReason = str(e.close_reason);
        break;
      case 'agent_turn':
        turns.push({
          turn: turns.length + 1,
          atMs: num(e.at_ms) ?? 0,
          eouMs: eou,
          ttftMs: num(e.ttft_ms),
          ttfbMs: num(e.ttfb_ms),
          e2eMs: num(e.e2e_ms),
          interrupted: e.interrupted === true,
          notes,
        });
        eou = null;
        notes = [];
        break;
    }
  }
  // Tool calls or errors after the last agent turn belong to the call's end: note them on the last turn.
  const last = turns.at(-1);
  if (last !== undefined && notes.length > 0)
    turns[turns.length - 1] = { ...last, notes: [...last.notes, ...notes] };
  return { turns, closeReason, toolCalls, toolErrors, errors };
}

/** One timeline per `slowest` row, in its order, from the events of those calls. */
export function buildTimelines(slowest: readonly Row[], events: readonly Row[]): Timeline[] {
  const byCall = new Map<string, Row[]>();
  for (const e of events) {
    const id = str(e.call_id);
    const list = byCall.get(id);
    if (list === undefined) byCall.set(id, [e]);
    else list.push(e);
  }
  return slowest.map((r) => {
    const callId = str(r.call_id);
    return {
      callId,
      agentId: str(r.agent_id),
      endedAt: str(r.ended_at),
      durationS: num(r.duration_s),
      e2eP95Ms: num(r.e2e_latency_p95_ms),
      ...turnsOf(byCall.get(callId) ?? []),
    };
  });
}

/**
 * The bars of a timeline chart: per turn, consecutive segments ending when the agent's audio
 * started, placed in ms since the user stopped speaking (0 = end of the user's speech).
 */
export interface Segment {
  readonly turn: string;
  readonly stage: string;
  readonly from: number;
  readonly to: number;
}

export const STAGES = ['end-of-utterance delay', 'LLM TTFT', 'TTS TTFB', 'other'] as const;

export function segments(t: Timeline): Segment[] {
  const out: Segment[] = [];
  for (const turn of t.turns) {
    const label = turnLabel(turn);
    const parts: [string, number | null][] = [
      [STAGES[0], turn.eouMs],
      [STAGES[1], turn.ttftMs],
      [STAGES[2], turn.ttfbMs],
    ];
    const known = parts.reduce((s, [, v]) => s + (v ?? 0), 0);
    // What end to end holds beyond the three stages (hooks, tool calls, queueing).
    if (turn.e2eMs !== null && turn.e2eMs - known > 1) parts.push([STAGES[3], turn.e2eMs - known]);
    let at = 0;
    for (const [stage, ms] of parts) {
      if (ms === null || ms <= 0) continue;
      out.push({ turn: label, stage, from: at, to: at + ms });
      at += ms;
    }
  }
  return out;
}

/** `3 · 42.1 s`: the turn number and when in the call its answer started. */
export const turnLabel = (turn: TimelineTurn): string => `${turn.turn} · ${(turn.atMs / 1000).toFixed(1)} s`;
