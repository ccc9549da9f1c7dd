/**
 * The report's charts as declarative Vega-Lite specs, one function per chart, fed with rows of
 * the named queries (or of report/queries.ts for distributions and close reasons). render.ts
 * turns each into a static SVG.
 *
 * Over 300 lines: every chart of the report, one small Vega-Lite spec each, side by side so they share one look.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Row } from '../lake/duckdb.js';
import { type Distribution, num, str, TARGET_MS } from './data.js';
import { LIGHT, SERIES, VEGA_CONFIG } from './theme.js';
import { STAGES, segments, type Timeline, turnLabel } from './timeline.js';

/** Width of the plot of a chart in a two-column row. */
const HALF = 500;

const spec = (s: TopLevelSpec): TopLevelSpec => ({ ...s, config: VEGA_CONFIG });

/** One layer of a layered spec. */
type Layer = Extract<TopLevelSpec, { layer: unknown }>['layer'][number];

/** A dashed vertical line at the 1 s target, labelled. */
const targetLayers = (ms: number, label: string): Layer[] => [
  {
    // One row of data, so the layer draws once (a layer without data draws nothing).
    data: { values: [{}] },
    mark: { type: 'rule', strokeDash: [4, 3], color: LIGHT.text },
    encoding: { x: { datum: ms, type: 'quantitative' } },
  },
  {
    data: { values: [{}] },
    mark: { type: 'text', align: 'left', baseline: 'top', dx: 4, y: 0, color: LIGHT.text },
    encoding: { x: { datum: ms, type: 'quantitative' }, text: { value: label } },
  },
];

const dayAxis = {
  title: null,
  labelExpr: 'slice(datum.value, 5)',
  labelAngle: 0,
  labelOverlap: 'greedy' as const,
};

export function callsPerDay(daily: readonly Row[]): TopLevelSpec {
  return spec({
    width: HALF,
    height: 150,
    data: { values: daily.map((r) => ({ day: str(r.day), calls: num(r.calls) ?? 0 })) },
    mark: { type: 'bar', color: SERIES.blue },
    encoding: {
      x: { field: 'day', type: 'ordinal', axis: dayAxis },
      y: { field: 'calls', type: 'quantitative', title: 'calls' },
    },
  });
}

export interface HistogramOptions {
  readonly title: string;
  readonly color: string;
  /** A dashed target line at this value. */
  readonly target?: { readonly at: number; readonly label: string };
}

export function histogram(d: Distribution, o: HistogramOptions): TopLevelSpec {
  const width = d.bins[0] === undefined ? 1 : d.bins[0].end - d.bins[0].start;
  return spec({
    width: HALF,
    height: 140,
    layer: [
      // The target line first, so the data draws over it.
      ...(o.target === undefined ? [] : targetLayers(o.target.at, o.target.label)),
      {
        data: { values: d.bins.map((b) => ({ start: b.start, end: b.end, n: b.n })) },
        mark: { type: 'bar', color: o.color },
        encoding: {
          x: {
            field: 'start',
            type: 'quantitative',
            bin: { binned: true, step: width },
            title: o.title,
            axis: { labelOverlap: true },
          },
          x2: { field: 'end' },
          y: { field: 'n', type: 'quantitative', title: 'count' },
        },
      },
    ],
  });
}

const METRICS = [
  ['ttft', 'LLM TTFT'],
  ['ttfb', 'TTS TTFB'],
  ['eou', 'end-of-utterance delay'],
  ['e2e', 'end to end'],
] as const;

/** Daily p50/p95 of the four latencies: `latency` rows with `agent_id` holding the day. */
export function latencyOverTime(byDay: readonly Row[]): TopLevelSpec {
  const values = byDay.flatMap((r) =>
    METRICS.flatMap(([key, metric]) =>
      (['p50', 'p95'] as const).map((stat) => ({
        day: str(r.agent_id),
        metric,
        stat,
        ms: num(r[`${key}_${stat}`]),
      })),
    ),
  );
  return spec({
    data: { values: values.filter((v) => v.ms !== null) },
    facet: { field: 'metric', type: 'nominal', sort: METRICS.map(([, m]) => m), title: null },
    columns: 2,
    spec: {
      width: 520,
      height: 110,
      mark: { type: 'line', point: { size: 20 }, strokeWidth: 1.5 },
      encoding: {
        x: { field: 'day', type: 'ordinal', axis: dayAxis },
        y: { field: 'ms', type: 'quantitative', title: 'ms', scale: { zero: true } },
        color: {
          field: 'stat',
          type: 'nominal',
          title: null,
          scale: { domain: ['p50', 'p95'], range: [SERIES.blue, SERIES.orange] },
        },
      },
    },
    resolve: { scale: { y: 'independent' } },
  });
}

const STAGE_COLORS = [SERIES.blue, SERIES.orange, SERIES.green, SERIES.gray];

/** Per agent, the p50 of each stage of a turn, stacked, with the p50 end to end as a tick (`turns`). */
export function turnBreakdown(turns: readonly Row[]): TopLevelSpec {
  const stages = turns.flatMap((r) =>
    (
      [
        [STAGES[0], r.eou_delay_p50],
        [STAGES[1], r.llm_ttft_p50],
        [STAGES[2], r.tts_ttfb_p50],
      ] as const
    ).map(([stage, v], order) => ({ agent: str(r.agent_id), stage, order, ms: num(v) ?? 0 })),
  );
  const e2e = turns.map((r) => ({ agent: str(r.agent_id), ms: num(r.e2e_p50) }));
  return spec({
    width: HALF,
    height: { step: 26 },
    layer: [
      // The target line first, so the data draws over it.
      ...targetLayers(TARGET_MS, '1 s'),
      {
        data: { values: stages },
        mark: { type: 'bar' },
        encoding: {
          y: { field: 'agent', type: 'nominal', title: null },
          x: { field: 'ms', type: 'quantitative', stack: 'zero', title: 'ms, p50 of each stage' },
          color: {
            field: 'stage',
            type: 'nominal',
            title: null,
            scale: { domain: STAGES.slice(0, 3), range: STAGE_COLORS.slice(0, 3) },
          },
          order: { field: 'order' },
        },
      },
      {
        data: { values: e2e.filter((v) => v.ms !== null) },
        mark: { type: 'tick', color: LIGHT.text, thickness: 2 },
        encoding: { y: { field: 'agent', type: 'nominal' }, x: { field: 'ms', type: 'quantitative' } },
      },
    ],
  });
}

/** Horizontal bars with a text label after each bar. */
function labelledBars(
  values: readonly { y: string; x: number; label: string; part?: string }[],
  o: { xTitle: string; color?: string; parts?: { domain: string[]; range: string[] } },
): TopLevelSpec {
  const totals = new Map<string, { x: number; label: string }>();
  for (const v of values) {
    const t = totals.get(v.y);
    totals.set(v.y, { x: (t?.x ?? 0) + v.x, label: v.label });
  }
  const color =
    o.parts === undefined
      ? { value: o.color ?? SERIES.blue }
      : { field: 'part', type: 'nominal', title: null, scale: o.parts };
  return spec({
    width: 380,
    height: { step: 22 },
    layer: [
      {
        data: { values: [...values] },
        mark: { type: 'bar' },
        encoding: {
          y: { field: 'y', type: 'nominal', title: null, sort: null },
          x: { field: 'x', type: 'quantitative', stack: 'zero', title: o.xTitle },
          color,
        },
      },
      {
        data: { values: [...totals].map(([y, t]) => ({ y, ...t })) },
        mark: { type: 'text', align: 'left', dx: 4, color: LIGHT.muted },
        encoding: {
          y: { field: 'y', type: 'nominal', sort: null },
          x: { field: 'x', type: 'quantitative' },
          text: { field: 'label' },
        },
      },
    ],
  });
}

/** Calls per tool, split into succeeded and failed, labelled with the error rate (`tools`). */
export function tools(rows: readonly Row[]): TopLevelSpec {
  const values = rows.flatMap((r) => {
    const calls = num(r.calls) ?? 0;
    const errors = num(r.errors) ?? 0;
    const label = `${errors} failed (${num(r.error_pct) ?? 0}%)`;
    const y = str(r.tool_name);
    return [
      { y, x: calls - errors, label, part: 'succeeded' },
      { y, x: errors, label, part: 'failed' },
    ];
  });
  return labelledBars(values, {
    xTitle: 'tool calls',
    parts: { domain: ['succeeded', 'failed'], range: [SERIES.teal, SERIES.red] },
  });
}

/** Share of agent turns the caller interrupted, per agent (`interruptions`). */
export function interruptions(rows: readonly Row[]): TopLevelSpec {
  return labelledBars(
    rows.map((r) => ({
      y: str(r.agent_id),
      x: num(r.interrupted_pct) ?? 0,
      label: `${num(r.interrupted) ?? 0} of ${num(r.agent_turns) ?? 0}`,
    })),
    { xTitle: '% of agent turns interrupted', color: SERIES.purple },
  );
}

export function closeReasons(rows: readonly { reason: string; calls: number }[]): TopLevelSpec {
  const total = rows.reduce((s, r) => s + r.calls, 0);
  return labelledBars(
    rows.map((r) => ({
      y: r.reason,
      x: r.calls,
      label: `${((100 * r.calls) / Math.max(1, total)).toFixed(0)}%`,
    })),
    { xTitle: 'calls', color: SERIES.gray },
  );
}

/** One call as a waterfall: a row per agent turn, its stages from the end of the user's speech, on 0..`maxMs`. */
export function timeline(t: Timeline, maxMs: number): TopLevelSpec {
  const notes = t.turns
    .map((turn) => ({
      turn: turnLabel(turn),
      x: turn.e2eMs ?? (turn.eouMs ?? 0) + (turn.ttftMs ?? 0) + (turn.ttfbMs ?? 0),
      note: [turn.interrupted ? 'interrupted' : '', ...turn.notes].filter(Boolean).join(' · '),
    }))
    .filter((n) => n.note !== '');
  const order = t.turns.map(turnLabel);
  return spec({
    width: 720,
    height: { step: 16 },
    layer: [
      // The target line first, so the data draws over it.
      ...targetLayers(TARGET_MS, '1 s'),
      {
        data: { values: segments(t) },
        mark: { type: 'bar', height: { band: 0.75 } },
        encoding: {
          y: { field: 'turn', type: 'ordinal', sort: order, title: 'turn · answer at' },
          x: {
            field: 'from',
            type: 'quantitative',
            title: 'ms since the caller stopped speaking',
            // One scale for every timeline of the page, so bars compare across calls.
            scale: { domain: [0, maxMs], nice: true },
          },
          x2: { field: 'to' },
          color: {
            field: 'stage',
            type: 'nominal',
            title: null,
            scale: { domain: [...STAGES], range: STAGE_COLORS },
          },
        },
      },
      {
        data: { values: notes },
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 10, color: LIGHT.muted },
        encoding: {
          y: { field: 'turn', type: 'ordinal', sort: order },
          x: { field: 'x', type: 'quantitative' },
          text: { field: 'note' },
        },
      },
    ],
  });
}
