/**
 * Two alarms over the call metrics (EMF), for all agents: end-to-end latency (p95 over the calls
 * of each call's p95) above a threshold, and errors per 100 calls above a percentage. Applying is
 * idempotent: each alarm is compared with what `DescribeAlarms` returns, and only one that
 * differs (or is missing) is put. Actions already on an alarm are kept unless `--sns-topic` sets them.
 */
import type { AlarmConfig, ExistingAlarm, MetricsApi } from './api.js';
import type { ApplyStatus } from './dashboard.js';

export interface AlarmOptions {
  readonly namespace: string;
  /** Alarm names start with this. Default `voicelake`. */
  readonly prefix: string;
  /** Threshold of the end-to-end latency p95, ms. */
  readonly p95LatencyMs: number;
  /** Threshold of errors per 100 calls, %. */
  readonly errorRatePct: number;
  /** SNS topic ARN notified on ALARM and OK; none: the alarms' current actions are kept. */
  readonly snsTopic?: string | undefined;
  /** Period, seconds. Default 300. */
  readonly periodSec?: number | undefined;
}

export const ALARM_DEFAULTS = { prefix: 'voicelake', p95LatencyMs: 1500, errorRatePct: 5 } as const;

/** The alarms, as PutMetricAlarm inputs. */
export function alarmConfigs(o: AlarmOptions): AlarmConfig[] {
  const period = o.periodSec ?? 300;
  const actions = o.snsTopic ? { AlarmActions: [o.snsTopic], OKActions: [o.snsTopic] } : {};
  const common = {
    ActionsEnabled: true,
    ComparisonOperator: 'GreaterThanThreshold',
    EvaluationPeriods: 3,
    DatapointsToAlarm: 2,
    // No calls is not an incident: missing data keeps the alarm OK.
    TreatMissingData: 'notBreaching',
    ...actions,
  };
  const stat = (id: string, metric: string, statName: string) => ({
    Id: id,
    ReturnData: false,
    MetricStat: {
      Metric: { Namespace: o.namespace, MetricName: metric, Dimensions: [] },
      Period: period,
      Stat: statName,
    },
  });
  return [
    {
      AlarmName: `${o.prefix}-e2e-latency-p95`,
      AlarmDescription: `voicelake: p95 over calls of each call's p95 end-to-end turn latency (${o.namespace} E2eLatencyP95) above ${o.p95LatencyMs} ms in 2 of 3 periods of ${period} s`,
      Namespace: o.namespace,
      MetricName: 'E2eLatencyP95',
      Dimensions: [],
      Period: period,
      ExtendedStatistic: 'p95',
      Threshold: o.p95LatencyMs,
      ...common,
    },
    {
      AlarmName: `${o.prefix}-error-rate`,
      AlarmDescription: `voicelake: errors per 100 calls (${o.namespace} Errors: sum / sample count) above ${o.errorRatePct}% in 2 of 3 periods of ${period} s`,
      Metrics: [
        stat('errors', 'Errors', 'Sum'),
        stat('calls', 'Errors', 'SampleCount'),
        {
          Id: 'error_rate',
          Label: 'errors per 100 calls',
          Expression: 'IF(calls > 0, 100 * errors / calls, 0)',
          ReturnData: true,
        },
      ],
      Threshold: o.errorRatePct,
      ...common,
    },
  ];
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * True when every member `want` sets is in `have` with the same value (arrays: same length, in
 * order). Members CloudWatch adds (ARNs, state, timestamps) are not compared.
 */
function covers(want: unknown, have: unknown): boolean {
  if (Array.isArray(want)) {
    // CloudWatch may leave an empty list out of what it returns.
    if (want.length === 0 && have === undefined) return true;
    return Array.isArray(have) && want.length === have.length && want.every((w, i) => covers(w, have[i]));
  }
  if (isObj(want)) {
    return isObj(have) && Object.entries(want).every(([k, w]) => w === undefined || covers(w, have[k]));
  }
  if (typeof want === 'number') return typeof have === 'number' && Math.abs(want - have) < 1e-9;
  return want === have;
}

/** The members of `want` that `have` does not match; empty when the alarm is as wanted. */
export function alarmDifferences(want: AlarmConfig, have: ExistingAlarm): string[] {
  const differ: string[] = [];
  for (const [key, value] of Object.entries(want)) {
    if (value === undefined) continue;
    if (!covers(value, have[key])) differ.push(key);
  }
  // A single-metric alarm must not keep queries, nor a metric-math alarm a metric.
  if (want.Metrics === undefined && Array.isArray(have.Metrics) && have.Metrics.length > 0)
    differ.push('Metrics');
  if (want.MetricName === undefined && typeof have.MetricName === 'string') differ.push('MetricName');
  return differ;
}

export interface AlarmResult {
  readonly name: string;
  readonly status: ApplyStatus;
  /** What differed, for `updated`. */
  readonly differences: string[];
}

/** Put each alarm that is missing or differs; keep the actions of an existing one unless set. */
export async function applyAlarms(api: MetricsApi, alarms: readonly AlarmConfig[]): Promise<AlarmResult[]> {
  const existing = new Map(
    (await api.describeAlarms(alarms.map((a) => a.AlarmName))).map((a) => [a.AlarmName, a] as const),
  );
  const results: AlarmResult[] = [];
  for (const alarm of alarms) {
    const have = existing.get(alarm.AlarmName);
    if (have === undefined) {
      await api.putMetricAlarm(alarm);
      results.push({ name: alarm.AlarmName, status: 'created', differences: [] });
      continue;
    }
    const differences = alarmDifferences(alarm, have);
    if (differences.length === 0) {
      results.push({ name: alarm.AlarmName, status: 'unchanged', differences });
      continue;
    }
    const keep = (key: 'AlarmActions' | 'OKActions' | 'InsufficientDataActions') =>
      alarm[key] === undefined && Array.isArray(have[key]) && (have[key] as unknown[]).length > 0
        ? { [key]: have[key] as string[] }
        : {};
    await api.putMetricAlarm({
      ...alarm,
      ...keep('AlarmActions'),
      ...keep('OKActions'),
      ...keep('InsufficientDataActions'),
    });
    results.push({ name: alarm.AlarmName, status: 'updated', differences });
  }
  return results;
}
