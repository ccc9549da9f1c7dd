/**
 * The named queries recomputed by hand, from the parsed NDJSON lines, with no SQL: the
 * independent reader the query tests compare DuckDB (local and S3) against.
 */
import { expect } from 'vitest';
import { NAMED_QUERIES } from '../../packages/cli/src/lake/named-queries.js';

type Event = Record<string, unknown>;
type Row = Record<string, unknown>;

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** DuckDB's quantile_cont: linear interpolation between the closest ranks. */
export function quantileCont(values: number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const pos = p * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (pos - lo);
}

/** round(x, digits), half away from zero like DuckDB. */
export function round(x: number | undefined, digits = 0): number | undefined {
  if (x === undefined) return undefined;
  const f = 10 ** digits;
  return (Math.sign(x) * Math.round(Math.abs(x) * f)) / f;
}

const group = <K>(events: Event[], key: (e: Event) => K): Map<K, Event[]> => {
  const m = new Map<K, Event[]>();
  for (const e of events) {
    const k = key(e);
    m.set(k, [...(m.get(k) ?? []), e]);
  }
  return m;
};
const values = (events: Event[], type: string, field: string): number[] =>
  events
    .filter((e) => e.event_type === type)
    .flatMap((e) => (num(e[field]) === undefined ? [] : [e[field] as number]));
/**
 * A percentile whose exact value lies on a rounding tie (x.5): DuckDB interpolates in its own
 * floating-point order and may land a hair below (1514.4999… → 1514) where this lands on it
 * (1514.5 → 1515), so either rounding is the right answer.
 */
export class Tie {
  constructor(
    readonly lo: number,
    readonly hi: number,
  ) {}
}

/**
 * Athena's and Trino's `approx_percentile` (a T-digest / q-digest): the answer for percentile `p`
 * is a value whose rank is within `rankError` of `p`'s, so any value between the data points at
 * ranks `p - rankError` and `p + rankError` (each rounded outwards to a data point) is right.
 */
export class Approx {
  constructor(
    readonly lo: number,
    readonly hi: number,
    readonly exact: number,
    /** The values, sorted: to measure the rank of an answer. */
    readonly sorted: readonly number[],
    readonly p: number,
  ) {}

  /** How far in rank `v` is from `p`: 0 when `v` is the exact percentile. */
  rankError(v: number): number {
    const s = this.sorted;
    if (s.length < 2) return 0;
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < s.length - 1; i++) {
      const [a, b] = [s[i] as number, s[i + 1] as number];
      // The fractional position of v between ranks i and i+1 (v is rounded: allow half a unit).
      const lo = a === b ? i : i + Math.max(0, Math.min(1, (v - 0.5 - a) / (b - a)));
      const hi = a === b ? i + 1 : i + Math.max(0, Math.min(1, (v + 0.5 - a) / (b - a)));
      const target = this.p * (s.length - 1);
      const d = target < lo ? lo - target : target > hi ? target - hi : 0;
      best = Math.min(best, d / (s.length - 1));
    }
    return best;
  }
}

/** The rank error the approximate engines are checked against (docs/at-scale.md). */
let rankError: number | undefined;

const pct = (events: Event[], type: string, field: string, p: number): number | Tie | Approx | undefined => {
  const vs = values(events, type, field);
  const exact = quantileCont(vs, p);
  if (exact === undefined) return undefined;
  if (rankError !== undefined) {
    // A sketch answers with a value it holds (a centroid, a data point), not an interpolation: the
    // band runs from the data point at or below rank p - rankError to the one at or above
    // p + rankError. In a small group (a day's first half hour) that is the neighbouring values.
    const sorted = [...vs].sort((a, b) => a - b);
    const last = sorted.length - 1;
    const lo = sorted[Math.floor(Math.max(0, p - rankError) * last)] as number;
    const hi = sorted[Math.ceil(Math.min(1, p + rankError) * last)] as number;
    return new Approx(Math.floor(lo), Math.ceil(hi), exact, sorted, p);
  }
  const lo = Math.floor(exact);
  return Math.abs(exact - lo - 0.5) < 1e-6 ? new Tie(lo, lo + 1) : round(exact);
};
const count = (events: Event[], pred: (e: Event) => boolean): number => events.filter(pred).length;
const day = (e: Event): string => String(e.event_time).slice(0, 10);
const byKey = <T>(rows: T[], ...keys: ((r: T) => string | number)[]): T[] =>
  rows.sort((a, b) => {
    for (const k of keys) {
      const x = k(a);
      const y = k(b);
      if (x < y) return -1;
      if (x > y) return 1;
    }
    return 0;
  });

/**
 * Every named query's answer, recomputed from the events. With `approx`, percentiles are the
 * ranges an approximate percentile (Athena, Trino) may answer, within that rank error.
 */
export function recompute(
  events: Event[],
  limit = 10,
  approx?: { rankError: number },
): Record<string, Row[]> {
  rankError = approx?.rankError;
  try {
    return recomputeAll(events, limit);
  } finally {
    rankError = undefined;
  }
}

function recomputeAll(events: Event[], limit: number): Record<string, Row[]> {
  const ended = events.filter((e) => e.event_type === 'call_ended');
  const agents = [...group(events, (e) => String(e.agent_id)).entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  const summary = (e: Event) => ({
    call_id: e.call_id,
    agent_id: e.agent_id,
    ended_at: String(e.event_time).slice(0, 19),
  });
  return {
    calls: byKey([...ended], (e) => String(e.event_time))
      .reverse()
      .slice(0, 50)
      .map((e) => ({
        ...summary(e),
        duration_s: round((e.call_duration_ms as number) / 1000, 1),
        turns: e.turns,
        interruptions: e.interruptions,
        ttft_p50_ms: e.ttft_p50_ms,
        ttft_p95_ms: e.ttft_p95_ms,
        e2e_latency_p95_ms: e.e2e_latency_p95_ms,
        tokens: (e.prompt_tokens as number) + (e.completion_tokens as number),
        tool_calls: e.tool_calls,
        tool_errors: e.tool_errors,
        errors: e.errors,
        close_reason: e.close_reason,
      })),
    daily: [...group(events, day).entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([d, es]) => {
        const calls = es.filter((e) => e.event_type === 'call_ended');
        const durations = calls.map((e) => e.call_duration_ms as number);
        return {
          day: d,
          calls: calls.length,
          mean_duration_s: durations.length
            ? round(durations.reduce((a, b) => a + b, 0) / durations.length / 1000, 1)
            : undefined,
          ttft_p50_ms: pct(es, 'llm_metrics', 'ttft_ms', 0.5),
          ttft_p95_ms: pct(es, 'llm_metrics', 'ttft_ms', 0.95),
          e2e_p50_ms: pct(es, 'agent_turn', 'e2e_latency_ms', 0.5),
          e2e_p95_ms: pct(es, 'agent_turn', 'e2e_latency_ms', 0.95),
          tool_errors: count(es, (e) => e.event_type === 'tool_call' && e.is_error === true),
        };
      }),
    latency: agents.map(([agent, es]) => ({
      agent_id: agent,
      ttft_p50: pct(es, 'llm_metrics', 'ttft_ms', 0.5),
      ttft_p95: pct(es, 'llm_metrics', 'ttft_ms', 0.95),
      ttfb_p50: pct(es, 'tts_metrics', 'ttfb_ms', 0.5),
      ttfb_p95: pct(es, 'tts_metrics', 'ttfb_ms', 0.95),
      eou_p50: pct(es, 'eou_metrics', 'end_of_utterance_delay_ms', 0.5),
      eou_p95: pct(es, 'eou_metrics', 'end_of_utterance_delay_ms', 0.95),
      e2e_p50: pct(es, 'agent_turn', 'e2e_latency_ms', 0.5),
      e2e_p95: pct(es, 'agent_turn', 'e2e_latency_ms', 0.95),
    })),
    turns: agents
      .filter(([, es]) => es.some((e) => e.event_type === 'user_turn' || e.event_type === 'agent_turn'))
      .map(([agent, es]) => ({
        agent_id: agent,
        agent_turns: count(es, (e) => e.event_type === 'agent_turn'),
        eou_delay_p50: pct(es, 'user_turn', 'end_of_utterance_delay_ms', 0.5),
        llm_ttft_p50: pct(es, 'agent_turn', 'llm_node_ttft_ms', 0.5),
        tts_ttfb_p50: pct(es, 'agent_turn', 'tts_node_ttfb_ms', 0.5),
        e2e_p50: pct(es, 'agent_turn', 'e2e_latency_ms', 0.5),
        e2e_p95: pct(es, 'agent_turn', 'e2e_latency_ms', 0.95),
      })),
    interruptions: agents
      .map(([agent, es]) => [agent, es.filter((e) => e.event_type === 'agent_turn')] as const)
      .filter(([, turns]) => turns.length > 0)
      .map(([agent, turns]) => {
        const interrupted = count(turns, (e) => e.interrupted === true);
        return {
          agent_id: agent,
          agent_turns: turns.length,
          interrupted,
          interrupted_pct: round((100 * interrupted) / turns.length, 1),
        };
      }),
    errors: byKey(
      [
        ...group(
          events.filter((e) => e.event_type === 'error'),
          (e) => `${e.error_type}\u0000${e.error_source}`,
        ).values(),
      ].map((es) => ({
        error_type: es[0]?.error_type ?? null,
        error_source: es[0]?.error_source ?? null,
        errors: es.length,
        recoverable: count(es, (e) => e.recoverable === true),
        calls: new Set(es.map((e) => e.call_id)).size,
      })),
      (r) => -r.errors,
      (r) => String(r.error_type),
      (r) => String(r.error_source),
    ),
    tools: byKey(
      [
        ...group(
          events.filter((e) => e.event_type === 'tool_call'),
          (e) => String(e.tool_name),
        ).entries(),
      ].map(([tool, es]) => {
        const errors = count(es, (e) => e.is_error === true);
        return { tool_name: tool, calls: es.length, errors, error_pct: round((100 * errors) / es.length, 1) };
      }),
      (r) => -r.calls,
      (r) => r.tool_name,
    ),
    slowest: byKey(
      ended.filter((e) => num(e.e2e_latency_p95_ms) !== undefined),
      (e) => -(e.e2e_latency_p95_ms as number),
      (e) => String(e.call_id),
    )
      .slice(0, limit)
      .map((e) => ({
        ...summary(e),
        e2e_latency_p95_ms: e.e2e_latency_p95_ms,
        e2e_latency_p50_ms: e.e2e_latency_p50_ms,
        ttft_p95_ms: e.ttft_p95_ms,
        ttfb_p95_ms: e.ttfb_p95_ms,
        eou_delay_p95_ms: e.eou_delay_p95_ms,
        turns: e.turns,
        duration_s: round((e.call_duration_ms as number) / 1000, 1),
      })),
    cost: byKey(
      ended.map((e) => ({
        call_id: e.call_id,
        agent_id: e.agent_id,
        prompt_tokens: e.prompt_tokens,
        prompt_cached_tokens: e.prompt_cached_tokens,
        completion_tokens: e.completion_tokens,
        tokens: (e.prompt_tokens as number) + (e.completion_tokens as number),
        tts_characters: e.tts_characters,
        stt_minutes: round((e.stt_audio_ms as number) / 60000, 2),
      })),
      (r) => -(r.tokens as number),
      (r) => String(r.call_id),
    ).slice(0, 100),
  };
}

/** Rows as comparable values: numbers (DuckDB prints BIGINT as text), nulls for absent values. */
export function normalizeRows(rows: Row[]): Row[] {
  return rows.map((r) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => {
        if (v === undefined || v === null) return [k, null];
        if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) && !k.endsWith('_id') && k !== 'day')
          return [k, Number(v)];
        return [k, v];
      }),
    ),
  );
}

/** Equal rows (the same columns, in order), numbers within half a unit of the last digit both sides rounded to. */
export function expectSameRows(actual: Row[], expected: Row[], what: string): void {
  expect(actual.length, `${what}: row count`).toBe(expected.length);
  actual.forEach((row, i) => {
    const want = expected[i] as Row;
    expect(Object.keys(row), `${what}: columns of row ${i}`).toEqual(Object.keys(want));
    for (const [k, v] of Object.entries(row)) {
      const w = want[k];
      if (w instanceof Tie) expect([w.lo, w.hi], `${what}: row ${i} ${k} = ${v}`).toContain(v);
      else if (w instanceof Approx) {
        expect(typeof v, `${what}: row ${i} ${k} is a number`).toBe('number');
        expect(
          (v as number) >= w.lo && (v as number) <= w.hi,
          `${what}: row ${i} ${k} = ${v}, expected within [${w.lo}, ${w.hi}] (exact ${w.exact})`,
        ).toBe(true);
        approxDeviations.push(Math.abs((v as number) - w.exact) / Math.max(1, Math.abs(w.exact)));
        approxRankErrors.push(w.rankError(v as number));
      } else if (typeof v === 'number' && typeof w === 'number')
        expect(Math.abs(v - w), `${what}: row ${i} ${k} = ${v}, expected ${w}`).toBeLessThanOrEqual(0.051);
      else expect(v, `${what}: row ${i} ${k}`).toEqual(w);
    }
  });
}

/** Relative deviations of every approximate percentile checked, for the docs' measured bound. */
export const approxDeviations: number[] = [];
/** Rank errors of every approximate percentile checked. */
export const approxRankErrors: number[] = [];

/** Every named query's answer equals the expected one (both normalized, see {@link normalizeRows}). */
export function expectAnswers(
  actual: Record<string, Row[]>,
  expected: Record<string, Row[]>,
  what: string,
): void {
  for (const name of Object.keys(NAMED_QUERIES))
    expectSameRows(
      normalizeRows(actual[name] ?? []),
      normalizeRows(expected[name] ?? []),
      `${name} (${what})`,
    );
}
