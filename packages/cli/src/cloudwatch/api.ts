/**
 * The four CloudWatch (metrics) calls the dashboard and alarms commands make, behind one small
 * interface: tests and other transports implement it, and the CLI's implementation uses
 * `@aws-sdk/client-cloudwatch`, loaded when a command applies something (printing needs no AWS).
 */
import { ConfigError } from 'voicelake';

export interface Dimension {
  readonly Name: string;
  readonly Value: string;
}

/** One query of a metric-math alarm (PutMetricAlarm `Metrics`). */
export interface AlarmQuery {
  readonly Id: string;
  readonly Label?: string;
  readonly ReturnData: boolean;
  readonly Expression?: string;
  readonly MetricStat?: {
    readonly Metric: {
      readonly Namespace: string;
      readonly MetricName: string;
      readonly Dimensions: Dimension[];
    };
    readonly Period: number;
    readonly Stat: string;
  };
}

/** What `PutMetricAlarm` takes, for the alarms voicelake defines. */
export interface AlarmConfig {
  readonly AlarmName: string;
  readonly AlarmDescription: string;
  readonly ActionsEnabled: boolean;
  readonly ComparisonOperator: string;
  readonly EvaluationPeriods: number;
  readonly DatapointsToAlarm: number;
  readonly Threshold: number;
  readonly TreatMissingData: string;
  readonly Namespace?: string;
  readonly MetricName?: string;
  readonly Dimensions?: Dimension[];
  readonly Period?: number;
  readonly Statistic?: string;
  readonly ExtendedStatistic?: string;
  readonly Metrics?: AlarmQuery[];
  readonly AlarmActions?: string[];
  readonly OKActions?: string[];
  readonly InsufficientDataActions?: string[];
}

/** An alarm as `DescribeAlarms` returns it (only the members compared are typed). */
export type ExistingAlarm = Readonly<Record<string, unknown>> & { readonly AlarmName?: string };

export interface MetricsApi {
  /** The dashboard's body, or undefined when there is no such dashboard. */
  getDashboard(name: string): Promise<string | undefined>;
  /** Put the dashboard; returns CloudWatch's validation messages (none when it is valid). */
  putDashboard(name: string, body: string): Promise<string[]>;
  /** The metric alarms of these names that exist. */
  describeAlarms(names: readonly string[]): Promise<ExistingAlarm[]>;
  putMetricAlarm(alarm: AlarmConfig): Promise<void>;
  close(): void;
}

/** The package that holds the CloudWatch client (not needed to print a dashboard or alarms). */
export const CLOUDWATCH_SDK = '@aws-sdk/client-cloudwatch';

interface Sendable {
  send(command: unknown): Promise<Record<string, unknown>>;
  destroy(): void;
}
type CommandClass = new (input: unknown) => unknown;
interface CloudWatchSdk {
  CloudWatchClient: new (config: { region?: string; endpoint?: string }) => Sendable;
  GetDashboardCommand: CommandClass;
  PutDashboardCommand: CommandClass;
  DescribeAlarmsCommand: CommandClass;
  PutMetricAlarmCommand: CommandClass;
}

const NOT_FOUND = new Set(['ResourceNotFound', 'ResourceNotFoundException', 'DashboardNotFoundError']);

/** The SDK implementation. Region, endpoint and credentials are the SDK's own unless given. */
export async function sdkMetricsApi(
  options: { region?: string; endpoint?: string } = {},
): Promise<MetricsApi> {
  let sdk: CloudWatchSdk;
  try {
    // Loaded by name at run time: printing a dashboard or alarms never needs it.
    const specifier: string = CLOUDWATCH_SDK;
    sdk = (await import(specifier)) as CloudWatchSdk;
  } catch (error) {
    throw new ConfigError(
      `--apply needs ${CLOUDWATCH_SDK}, which is not installed: npm install ${CLOUDWATCH_SDK}`,
      { cause: error },
    );
  }
  const config: { region?: string; endpoint?: string } = {};
  if (options.region !== undefined) config.region = options.region;
  if (options.endpoint !== undefined) config.endpoint = options.endpoint;
  const client = new sdk.CloudWatchClient(config);
  return {
    async getDashboard(name) {
      try {
        const out = await client.send(new sdk.GetDashboardCommand({ DashboardName: name }));
        return typeof out.DashboardBody === 'string' ? out.DashboardBody : undefined;
      } catch (error) {
        if (NOT_FOUND.has((error as Error)?.name)) return undefined;
        throw error;
      }
    },
    async putDashboard(name, body) {
      const out = await client.send(
        new sdk.PutDashboardCommand({ DashboardName: name, DashboardBody: body }),
      );
      const messages = (out.DashboardValidationMessages ?? []) as { Message?: string; DataPath?: string }[];
      return messages.map((m) => `${m.DataPath ?? ''} ${m.Message ?? ''}`.trim());
    },
    async describeAlarms(names) {
      const out = await client.send(
        new sdk.DescribeAlarmsCommand({ AlarmNames: [...names], AlarmTypes: ['MetricAlarm'] }),
      );
      return (out.MetricAlarms ?? []) as ExistingAlarm[];
    },
    async putMetricAlarm(alarm) {
      await client.send(new sdk.PutMetricAlarmCommand(alarm));
    },
    close: () => client.destroy(),
  };
}
