/**
 * `voicelake cloudwatch dashboard|alarms`: print, and with `--apply` put, a dashboard and alarms
 * over the call metrics the library publishes in the embedded metric format. Applying twice
 * changes nothing the second time (each is compared with what CloudWatch holds first).
 */
import { Command } from 'commander';
import { ConfigError } from 'voicelake';
import { ALARM_DEFAULTS, alarmConfigs, applyAlarms } from '../cloudwatch/alarms.js';
import { type MetricsApi, sdkMetricsApi } from '../cloudwatch/api.js';
import { applyDashboard, dashboardBody } from '../cloudwatch/dashboard.js';
import { agentList, namespaceFrom, regionFrom } from '../cloudwatch/metrics.js';
import { envValue } from '../env.js';

interface CommonFlags {
  namespace?: string;
  region?: string;
  apply?: boolean;
}

interface DashboardFlags extends CommonFlags {
  logGroup?: string;
  name: string;
  agents?: string;
}

interface AlarmFlags extends CommonFlags {
  prefix: string;
  p95LatencyMs: number;
  errorRatePct: number;
  snsTopic?: string;
}

/** How the commands reach CloudWatch; tests give their own. */
export type MetricsApiFactory = (region: string) => Promise<MetricsApi>;

const positiveNumber =
  (flag: string) =>
  (value: string): number => {
    const n = Number(value);
    if (!(n > 0) || !Number.isFinite(n))
      throw new ConfigError(`${flag} must be a positive number, got ${value}`);
    return n;
  };

/** Endpoint and credentials are the SDK's own (`AWS_ENDPOINT_URL_CLOUDWATCH`, `AWS_ENDPOINT_URL`, profiles). */
export function cloudwatchCommand(api: MetricsApiFactory = (region) => sdkMetricsApi({ region })): Command {
  const cmd = new Command('cloudwatch').description(
    'CloudWatch over the call metrics (EMF): a dashboard and alarms, printed or applied',
  );
  cmd
    .command('dashboard')
    .description('Print (or --apply) a dashboard: latency p50/p95 by agent, calls, errors, interruptions')
    .option('--log-group <name>', 'log group for the latest-errors widget (default: ANALYTICS_LOG_GROUP)')
    .option('--namespace <ns>', 'metrics namespace (default: ANALYTICS_EMF_NAMESPACE, else Voicelake)')
    .option('--name <name>', 'dashboard name', 'voicelake')
    .option('--agents <a,b>', 'graph these agents one by one (default: every agent, by SEARCH)')
    .option('--region <region>', 'region the widgets read (default: AWS_REGION, else us-east-1)')
    .option('--apply', 'put the dashboard (PutDashboard) unless it already holds this body')
    .action(async (flags: DashboardFlags) => {
      const region = regionFrom(flags.region);
      const body = dashboardBody({
        namespace: namespaceFrom(flags.namespace),
        region,
        agents: agentList(flags.agents),
        logGroup: flags.logGroup ?? envValue('ANALYTICS_LOG_GROUP'),
      });
      process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
      if (!flags.apply) return;
      const client = await api(region);
      try {
        const { status, messages } = await applyDashboard(client, flags.name, body);
        for (const m of messages) process.stderr.write(`dashboard ${flags.name}: ${m}\n`);
        process.stderr.write(`dashboard ${flags.name}: ${status}\n`);
      } finally {
        client.close();
      }
    });
  cmd
    .command('alarms')
    .description('Print (or --apply) alarms on end-to-end latency p95 and errors per 100 calls')
    .option('--namespace <ns>', 'metrics namespace (default: ANALYTICS_EMF_NAMESPACE, else Voicelake)')
    .option('--prefix <prefix>', 'alarm name prefix', ALARM_DEFAULTS.prefix)
    .option(
      '--p95-latency-ms <ms>',
      'alarm when the p95 end-to-end latency is above this (ms)',
      positiveNumber('--p95-latency-ms'),
      ALARM_DEFAULTS.p95LatencyMs,
    )
    .option(
      '--error-rate-pct <pct>',
      'alarm when errors per 100 calls are above this',
      positiveNumber('--error-rate-pct'),
      ALARM_DEFAULTS.errorRatePct,
    )
    .option('--sns-topic <arn>', 'notify this SNS topic on ALARM and OK (default: keep the current actions)')
    .option('--region <region>', 'region (default: AWS_REGION, else us-east-1)')
    .option('--apply', 'put each alarm (PutMetricAlarm) that is missing or differs')
    .action(async (flags: AlarmFlags) => {
      const region = regionFrom(flags.region);
      const alarms = alarmConfigs({
        namespace: namespaceFrom(flags.namespace),
        prefix: flags.prefix,
        p95LatencyMs: flags.p95LatencyMs,
        errorRatePct: flags.errorRatePct,
        snsTopic: flags.snsTopic,
      });
      process.stdout.write(`${JSON.stringify(alarms, null, 2)}\n`);
      if (!flags.apply) return;
      const client = await api(region);
      try {
        for (const r of await applyAlarms(client, alarms)) {
          const why = r.differences.length > 0 ? ` (${r.differences.join(', ')})` : '';
          process.stderr.write(`alarm ${r.name}: ${r.status}${why}\n`);
        }
      } finally {
        client.close();
      }
    });
  return cmd;
}
