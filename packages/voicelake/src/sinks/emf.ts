/**
 * Call metrics as CloudWatch embedded metric format (EMF) documents: each `call_ended` record
 * becomes one extra log event that CloudWatch Logs turns into metrics (no PutMetricData, no
 * extra permission). Built in the CloudWatch sink's `prepare()`, off the `track()` hot path.
 *
 * Specification (AWS, "Specification: Embedded metric format"): the root holds
 * `_aws: { Timestamp, CloudWatchMetrics: [MetricDirective] }`; a MetricDirective holds
 * `Namespace`, `Dimensions` (an array of DimensionSets, each at most 30 keys, possibly empty) and
 * `Metrics` (at most 100 `{ Name, Unit }`); every metric named is a number on the root, every
 * dimension key a string on the root. Timestamps are epoch milliseconds.
 */

/** Default namespace of the call metrics (`cloudWatch.emf.namespace`, `ANALYTICS_EMF_NAMESPACE`). */
export const EMF_DEFAULT_NAMESPACE = 'Voicelake';

/** The dimension that carries the agent: metrics are published per agent and, with `[]`, in total. */
export const EMF_AGENT_DIMENSION = 'AgentId';

/** The spec's limits. */
export const EMF_LIMITS = {
  metricsPerDirective: 100,
  dimensionsPerSet: 30,
  namespaceLength: 255,
  dimensionValueLength: 1024,
} as const;

/** The units a MetricDefinition may name (CloudWatch's MetricDatum units). */
export const EMF_UNITS = [
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
] as const;
export type EmfUnit = (typeof EMF_UNITS)[number];

/** One call metric: its CloudWatch name and unit, and how it is read from the `call_ended` line. */
export interface CallMetric {
  readonly name: string;
  readonly unit: EmfUnit;
  readonly doc: string;
  readonly value: (e: Readonly<Record<string, unknown>>) => number | undefined;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const column =
  (name: string) =>
  (e: Readonly<Record<string, unknown>>): number | undefined =>
    num(e[name]);

/** The metrics of one call, from the `call_ended` summary columns. Only those present are written. */
export const CALL_METRICS: readonly CallMetric[] = [
  {
    name: 'CallDuration',
    unit: 'Milliseconds',
    doc: 'Call duration (`call_duration_ms`).',
    value: column('call_duration_ms'),
  },
  { name: 'Turns', unit: 'Count', doc: 'Agent turns (`turns`).', value: column('turns') },
  {
    name: 'Interruptions',
    unit: 'Count',
    doc: 'Interrupted agent turns (`interruptions`).',
    value: column('interruptions'),
  },
  {
    name: 'TtftP95',
    unit: 'Milliseconds',
    doc: "The call's p95 LLM time to first token (`ttft_p95_ms`).",
    value: column('ttft_p95_ms'),
  },
  {
    name: 'E2eLatencyP95',
    unit: 'Milliseconds',
    doc: "The call's p95 end-to-end turn latency (`e2e_latency_p95_ms`).",
    value: column('e2e_latency_p95_ms'),
  },
  { name: 'Errors', unit: 'Count', doc: 'Errors in the call (`errors`).', value: column('errors') },
  {
    name: 'ToolErrors',
    unit: 'Count',
    doc: 'Failed tool calls (`tool_errors`).',
    value: column('tool_errors'),
  },
  {
    name: 'Tokens',
    unit: 'Count',
    doc: 'LLM tokens: `total_tokens`, else `prompt_tokens + completion_tokens`.',
    value: (e) => {
      const total = num(e.total_tokens);
      if (total !== undefined) return total;
      const prompt = num(e.prompt_tokens);
      const completion = num(e.completion_tokens);
      return prompt === undefined && completion === undefined ? undefined : (prompt ?? 0) + (completion ?? 0);
    },
  },
];

/** Namespaces CloudWatch accepts for custom metrics (ASCII, no `AWS/` prefix, ≤ 255 characters). */
const NAMESPACE = /^[A-Za-z0-9._#:/-]+$/;

/** Why a namespace is refused, or undefined when it is valid. */
export function namespaceProblem(namespace: string): string | undefined {
  if (namespace.length === 0 || namespace.length > EMF_LIMITS.namespaceLength)
    return `must be 1-${EMF_LIMITS.namespaceLength} characters`;
  if (!NAMESPACE.test(namespace)) return 'may hold only letters, digits and . _ # : / -';
  if (namespace.startsWith('AWS/')) return 'may not start with AWS/ (reserved for AWS services)';
  if (namespace.startsWith(':')) return 'may not start with :';
  return undefined;
}

/** A dimension value CloudWatch accepts: printable ASCII, not only spaces, ≤ 1024 characters. */
function dimensionValue(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (value.length === 0 || value.length > EMF_LIMITS.dimensionValueLength) return undefined;
  if (!/^[\x20-\x7e]+$/.test(value) || value.trim() === '') return undefined;
  return value;
}

/**
 * The EMF document for one `call_ended` line, or undefined when the line is not JSON or carries
 * none of the call metrics. The agent (`agent_id`) becomes the `AgentId` dimension beside an
 * empty dimension set (the fleet total); a call without a valid agent id (missing, non-ASCII or
 * over 1024 characters) is published in the total only. `call_id` rides along as a plain field
 * for Logs Insights (it is not a dimension: one metric per call would be costly).
 */
export function emfDocument(line: string, timeMs: number, namespace: string): string | undefined {
  let event: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    event = parsed as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const metrics: { Name: string; Unit: EmfUnit }[] = [];
  const values: Record<string, number> = {};
  for (const m of CALL_METRICS) {
    const v = m.value(event);
    if (v === undefined) continue;
    metrics.push({ Name: m.name, Unit: m.unit });
    values[m.name] = v;
  }
  if (metrics.length === 0) return undefined;
  const agent = dimensionValue(event.agent_id);
  const doc: Record<string, unknown> = {
    _aws: {
      Timestamp: timeMs,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: agent === undefined ? [[]] : [[EMF_AGENT_DIMENSION], []],
          Metrics: metrics,
        },
      ],
    },
    ...(agent === undefined ? {} : { [EMF_AGENT_DIMENSION]: agent }),
    ...values,
  };
  if (typeof event.call_id === 'string') doc.call_id = event.call_id;
  return JSON.stringify(doc);
}
