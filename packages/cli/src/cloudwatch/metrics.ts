/**
 * The call metrics the library publishes in the embedded metric format (the CloudWatch sink's
 * `sinks/emf.ts`), as the dashboard and alarms read them. The CLI reaches the library only
 * through its package exports, so the names are written here too; a test checks they match.
 */
import { DEFAULTS } from 'voicelake';
import { envValue } from '../env.js';

/** Default metrics namespace (`cloudWatch.emf.namespace`, `ANALYTICS_EMF_NAMESPACE`). */
export const DEFAULT_NAMESPACE = DEFAULTS.cloudWatch.emf.namespace;

/** The per-agent dimension; every metric is also published without dimensions (the total). */
export const AGENT_DIMENSION = 'AgentId';

/** Metric name → unit, as published (one data point per call, from its `call_ended`). */
export const CALL_METRIC_UNITS = {
  CallDuration: 'Milliseconds',
  Turns: 'Count',
  Interruptions: 'Count',
  TtftP95: 'Milliseconds',
  E2eLatencyP95: 'Milliseconds',
  Errors: 'Count',
  ToolErrors: 'Count',
  Tokens: 'Count',
} as const;
export type CallMetricName = keyof typeof CALL_METRIC_UNITS;

/** The namespace: the flag, else `ANALYTICS_EMF_NAMESPACE`, else `Voicelake`. */
export function namespaceFrom(flag: string | undefined): string {
  return flag ?? envValue('ANALYTICS_EMF_NAMESPACE') ?? DEFAULT_NAMESPACE;
}

/** The region widgets and alarms name: the flag, else `AWS_REGION` / `AWS_DEFAULT_REGION`, else us-east-1. */
export function regionFrom(flag: string | undefined): string {
  return flag ?? envValue('AWS_REGION') ?? envValue('AWS_DEFAULT_REGION') ?? 'us-east-1';
}

/** `a,b` → `['a', 'b']` (trimmed, without empties). */
export function agentList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
}
