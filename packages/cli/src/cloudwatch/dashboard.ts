/**
 * A CloudWatch dashboard over the call metrics (EMF): end-to-end latency and LLM time to first
 * token by agent (p50 and p95 over the calls, of each call's p95), calls per agent, errors and
 * interruptions, and, with a log group, the latest errors through Logs Insights. Per agent
 * either by SEARCH (every agent that published, none to list) or for the agents given.
 * Applying is idempotent: the body is compared with the dashboard's first.
 */
import type { MetricsApi } from './api.js';
import { INSIGHTS_QUERIES } from './insights.js';
import { AGENT_DIMENSION, type CallMetricName } from './metrics.js';

export interface DashboardOptions {
  readonly namespace: string;
  readonly region: string;
  /** Agents to graph one by one; empty: every agent, by SEARCH. */
  readonly agents: readonly string[];
  /** Log group for the Logs Insights widget (latest errors); none: no such widget. */
  readonly logGroup?: string | undefined;
  /** Period of every graph, seconds. Default 300. */
  readonly periodSec?: number | undefined;
}

type MetricRow = (string | Record<string, unknown>)[];

interface Widget {
  type: 'metric' | 'log';
  x: number;
  y: number;
  width: number;
  height: number;
  properties: Record<string, unknown>;
}

export interface DashboardBody {
  widgets: Widget[];
}

/** `{"Voicelake","AgentId"} MetricName="…"` for SEARCH, quoted so any valid namespace works. */
function searchTerm(namespace: string, metric: CallMetricName): string {
  return `{"${namespace}","${AGENT_DIMENSION}"} MetricName="${metric}"`;
}

/** p50 and p95 of `metric` per agent: two SEARCH expressions, or two rows per listed agent. */
function percentilesByAgent(o: DashboardOptions, metric: CallMetricName, period: number): MetricRow[] {
  if (o.agents.length === 0) {
    return (['p50', 'p95'] as const).map((stat) => [
      {
        expression: `SEARCH('${searchTerm(o.namespace, metric)}', '${stat}', ${period})`,
        id: `${stat}_${metric.toLowerCase()}`,
        label: `${stat} \${PROP('Dim.${AGENT_DIMENSION}')}`,
        period,
      },
    ]);
  }
  return o.agents.flatMap((agent) =>
    (['p50', 'p95'] as const).map((stat) => [
      o.namespace,
      metric,
      AGENT_DIMENSION,
      agent,
      { stat, label: `${stat} ${agent}`, period },
    ]),
  );
}

/** Calls per agent: the sample count of CallDuration (one data point per call). */
function callsByAgent(o: DashboardOptions, period: number): MetricRow[] {
  const total: MetricRow = [
    o.namespace,
    'CallDuration',
    { stat: 'SampleCount', label: 'all agents', period },
  ];
  if (o.agents.length === 0) {
    return [
      total,
      [
        {
          expression: `SEARCH('${searchTerm(o.namespace, 'CallDuration')}', 'SampleCount', ${period})`,
          id: 'calls_by_agent',
          label: `\${PROP('Dim.${AGENT_DIMENSION}')}`,
          period,
        },
      ],
    ];
  }
  return [
    total,
    ...o.agents.map(
      (agent): MetricRow => [
        o.namespace,
        'CallDuration',
        AGENT_DIMENSION,
        agent,
        { stat: 'SampleCount', label: agent, period },
      ],
    ),
  ];
}

function metricWidget(
  o: DashboardOptions,
  at: { x: number; y: number },
  title: string,
  metrics: MetricRow[],
  extra: Record<string, unknown> = {},
): Widget {
  return {
    type: 'metric',
    x: at.x,
    y: at.y,
    width: 12,
    height: 6,
    properties: { title, region: o.region, view: 'timeSeries', stacked: false, metrics, ...extra },
  };
}

/** The dashboard body (the JSON PutDashboard takes, before it is serialized). */
export function dashboardBody(o: DashboardOptions): DashboardBody {
  const period = o.periodSec ?? 300;
  const ms = { yAxis: { left: { label: 'ms', showUnits: false, min: 0 } } };
  const widgets: Widget[] = [
    metricWidget(
      o,
      { x: 0, y: 0 },
      "End-to-end latency by agent (p50 / p95 over calls of each call's p95), ms",
      percentilesByAgent(o, 'E2eLatencyP95', period),
      ms,
    ),
    metricWidget(
      o,
      { x: 12, y: 0 },
      "LLM time to first token by agent (p50 / p95 over calls of each call's p95), ms",
      percentilesByAgent(o, 'TtftP95', period),
      ms,
    ),
    metricWidget(o, { x: 0, y: 6 }, 'Calls', callsByAgent(o, period), { stat: 'SampleCount' }),
    metricWidget(
      o,
      { x: 12, y: 6 },
      'Errors, tool errors and interruptions (all agents)',
      (['Errors', 'ToolErrors', 'Interruptions'] as const).map((m) => [
        o.namespace,
        m,
        { stat: 'Sum', label: m, period },
      ]),
      { stat: 'Sum' },
    ),
  ];
  if (o.logGroup !== undefined) {
    widgets.push({
      type: 'log',
      x: 0,
      y: 12,
      width: 24,
      height: 6,
      properties: {
        title: `Latest errors (${o.logGroup})`,
        region: o.region,
        view: 'table',
        query: `SOURCE '${o.logGroup}' | ${INSIGHTS_QUERIES.errors.query.replace(/\n/g, ' ')}`,
      },
    });
  }
  return { widgets };
}

/** JSON with object keys sorted: two bodies that mean the same compare equal as text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

export type ApplyStatus = 'created' | 'updated' | 'unchanged';

/** Put the dashboard unless it already holds this body. */
export async function applyDashboard(
  api: MetricsApi,
  name: string,
  body: DashboardBody,
): Promise<{ status: ApplyStatus; messages: string[] }> {
  const existing = await api.getDashboard(name);
  if (existing !== undefined) {
    let same = false;
    try {
      same = canonicalJson(JSON.parse(existing)) === canonicalJson(body);
    } catch {
      // Not JSON: replace it.
    }
    if (same) return { status: 'unchanged', messages: [] };
  }
  const messages = await api.putDashboard(name, JSON.stringify(body));
  return { status: existing === undefined ? 'created' : 'updated', messages };
}
