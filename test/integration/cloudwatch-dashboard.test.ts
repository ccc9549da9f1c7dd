import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import {
  ALARM_DEFAULTS,
  alarmConfigs,
  alarmDifferences,
  applyAlarms,
} from '../../packages/cli/src/cloudwatch/alarms.js';
import {
  type AlarmConfig,
  type ExistingAlarm,
  type MetricsApi,
  sdkMetricsApi,
} from '../../packages/cli/src/cloudwatch/api.js';
import { applyDashboard, canonicalJson, dashboardBody } from '../../packages/cli/src/cloudwatch/dashboard.js';
import { cloudwatchCommand } from '../../packages/cli/src/commands/cloudwatch.js';
import { uniqueName } from '../helpers/aws.js';

const endpoint = inject('motoEndpoint');

class AwsError extends Error {}

/** CloudWatch over AWS JSON 1.0, unsigned (moto does not check signatures), with call counts. */
function jsonApi(url: string): MetricsApi & { calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const call = async (action: string, input: unknown): Promise<Record<string, unknown>> => {
    calls[action] = (calls[action] ?? 0) + 1;
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `GraniteServiceVersion20100801.${action}`,
        authorization:
          'AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: JSON.stringify(input),
    });
    const body = (await res.json()) as Record<string, unknown>;
    if (!res.ok) {
      const error = new AwsError(String(body.message ?? body.Message ?? res.status));
      error.name = String(body.__type ?? 'Error').replace(/^.*#/, '');
      throw error;
    }
    return body;
  };
  return {
    calls,
    async getDashboard(name) {
      try {
        return (await call('GetDashboard', { DashboardName: name })).DashboardBody as string;
      } catch (error) {
        if ((error as Error).name === 'ResourceNotFound') return undefined;
        throw error;
      }
    },
    async putDashboard(name, body) {
      const out = await call('PutDashboard', { DashboardName: name, DashboardBody: body });
      return ((out.DashboardValidationMessages ?? []) as { Message: string }[]).map((m) => m.Message);
    },
    async describeAlarms(names) {
      return (await call('DescribeAlarms', { AlarmNames: names })).MetricAlarms as ExistingAlarm[];
    },
    async putMetricAlarm(alarm: AlarmConfig) {
      await call('PutMetricAlarm', alarm);
    },
    close() {},
  };
}

/** Run `voicelake cloudwatch …args` with this API; returns what it printed. */
async function cli(api: MetricsApi, args: string[]): Promise<{ stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    stdout += String(s);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    stderr += String(s);
    return true;
  });
  try {
    await cloudwatchCommand(async () => api).parseAsync(['node', 'cloudwatch', ...args]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return { stdout, stderr };
}

afterEach(() => vi.restoreAllMocks());

describe('voicelake cloudwatch dashboard (moto)', () => {
  it('prints a body moto accepts; --apply twice creates, then changes nothing', async () => {
    // Prepare
    const api = jsonApi(endpoint);
    const name = uniqueName('vl-dash');
    const args = [
      'dashboard',
      '--name',
      name,
      '--namespace',
      'VoiceTest',
      '--log-group',
      '/voicelake/x',
      '--apply',
    ];
    // Act
    const first = await cli(api, args);
    const second = await cli(api, args);
    // Assess
    expect(first.stderr).toBe(`dashboard ${name}: created\n`);
    expect(second.stderr).toBe(`dashboard ${name}: unchanged\n`);
    expect(api.calls.PutDashboard).toBe(1);
    const stored = await api.getDashboard(name);
    expect(canonicalJson(JSON.parse(stored as string))).toBe(canonicalJson(JSON.parse(first.stdout)));
    expect(second.stdout).toBe(first.stdout);
  });

  it('graphs latency p50/p95 by agent with SEARCH, or per agent with --agents; changing it updates', async () => {
    const api = jsonApi(endpoint);
    const name = uniqueName('vl-dash');
    const search = dashboardBody({ namespace: 'Voicelake', region: 'us-east-1', agents: [] });
    const text = JSON.stringify(search);
    expect(text).toContain(
      `SEARCH('{\\"Voicelake\\",\\"AgentId\\"} MetricName=\\"E2eLatencyP95\\"', 'p95', 300)`,
    );
    expect(text).toContain(`SEARCH('{\\"Voicelake\\",\\"AgentId\\"} MetricName=\\"TtftP95\\"', 'p50', 300)`);
    expect(search.widgets.map((w) => w.properties.title)).toEqual([
      expect.stringMatching(/^End-to-end latency by agent/),
      expect.stringMatching(/^LLM time to first token by agent/),
      'Calls',
      'Errors, tool errors and interruptions (all agents)',
    ]);
    expect((await applyDashboard(api, name, search)).status).toBe('created');
    const perAgent = dashboardBody({
      namespace: 'Voicelake',
      region: 'us-east-1',
      agents: ['support', 'sales'],
    });
    expect(perAgent.widgets[0]?.properties.metrics).toEqual([
      [
        'Voicelake',
        'E2eLatencyP95',
        'AgentId',
        'support',
        { stat: 'p50', label: 'p50 support', period: 300 },
      ],
      [
        'Voicelake',
        'E2eLatencyP95',
        'AgentId',
        'support',
        { stat: 'p95', label: 'p95 support', period: 300 },
      ],
      ['Voicelake', 'E2eLatencyP95', 'AgentId', 'sales', { stat: 'p50', label: 'p50 sales', period: 300 }],
      ['Voicelake', 'E2eLatencyP95', 'AgentId', 'sales', { stat: 'p95', label: 'p95 sales', period: 300 }],
    ]);
    expect(await applyDashboard(api, name, perAgent)).toEqual({ status: 'updated', messages: [] });
    expect(await applyDashboard(api, name, perAgent)).toEqual({ status: 'unchanged', messages: [] });
  });

  it('without --apply prints and calls nothing', async () => {
    const api = jsonApi(endpoint);
    const { stdout, stderr } = await cli(api, ['dashboard']);
    expect(JSON.parse(stdout).widgets.length).toBeGreaterThanOrEqual(4);
    expect(stderr).toBe('');
    expect(api.calls).toEqual({});
  });
});

describe('voicelake cloudwatch alarms (moto)', () => {
  it('--apply twice: created, then unchanged, and DescribeAlarms holds the configuration', async () => {
    // Prepare
    const api = jsonApi(endpoint);
    const prefix = uniqueName('vl');
    const args = [
      'alarms',
      '--prefix',
      prefix,
      '--p95-latency-ms',
      '1200',
      '--error-rate-pct',
      '3',
      '--apply',
    ];
    // Act
    const first = await cli(api, args);
    const [before] = await api.describeAlarms([`${prefix}-e2e-latency-p95`]);
    const second = await cli(api, args);
    const stored = await api.describeAlarms([`${prefix}-e2e-latency-p95`, `${prefix}-error-rate`]);
    // Assess
    expect(first.stderr).toBe(
      `alarm ${prefix}-e2e-latency-p95: created\nalarm ${prefix}-error-rate: created\n`,
    );
    expect(second.stderr).toBe(
      `alarm ${prefix}-e2e-latency-p95: unchanged\nalarm ${prefix}-error-rate: unchanged\n`,
    );
    expect(api.calls.PutMetricAlarm).toBe(2);
    const latency = stored.find((a) => a.AlarmName === `${prefix}-e2e-latency-p95`);
    expect(latency).toMatchObject({
      Namespace: 'Voicelake',
      MetricName: 'E2eLatencyP95',
      ExtendedStatistic: 'p95',
      Threshold: 1200,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(latency?.AlarmConfigurationUpdatedTimestamp).toBe(before?.AlarmConfigurationUpdatedTimestamp);
    const rate = stored.find((a) => a.AlarmName === `${prefix}-error-rate`);
    expect(rate).toMatchObject({ Threshold: 3 });
    expect(rate?.Metrics).toEqual([
      expect.objectContaining({ Id: 'errors', MetricStat: expect.objectContaining({ Stat: 'Sum' }) }),
      expect.objectContaining({ Id: 'calls', MetricStat: expect.objectContaining({ Stat: 'SampleCount' }) }),
      expect.objectContaining({ Id: 'error_rate', Expression: 'IF(calls > 0, 100 * errors / calls, 0)' }),
    ]);
  });

  it('a changed threshold updates only that alarm, and keeps the actions someone set', async () => {
    // Prepare
    const api = jsonApi(endpoint);
    const prefix = uniqueName('vl');
    const base = { namespace: 'Voicelake', ...ALARM_DEFAULTS, prefix };
    const alarms = alarmConfigs(base);
    await applyAlarms(api, alarms);
    const topic = 'arn:aws:sns:us-east-1:123456789012:oncall';
    const [latency] = alarms;
    await api.putMetricAlarm({ ...(latency as AlarmConfig), AlarmActions: [topic] });
    // Act
    const same = await applyAlarms(api, alarms);
    const changed = await applyAlarms(api, alarmConfigs({ ...base, p95LatencyMs: 2000 }));
    // Assess
    expect(same.map((r) => r.status)).toEqual(['unchanged', 'unchanged']);
    expect(changed.map((r) => [r.status, r.differences])).toEqual([
      ['updated', ['AlarmDescription', 'Threshold']],
      ['unchanged', []],
    ]);
    const [stored] = await api.describeAlarms([`${prefix}-e2e-latency-p95`]);
    expect(stored).toMatchObject({ Threshold: 2000, AlarmActions: [topic] });
  });

  it('compares only what voicelake sets', () => {
    const [latency] = alarmConfigs({ namespace: 'N', prefix: 'p', p95LatencyMs: 1, errorRatePct: 1 });
    const have = { ...(latency as AlarmConfig), AlarmArn: 'arn', StateValue: 'ALARM', Threshold: 1.0 };
    expect(alarmDifferences(latency as AlarmConfig, have)).toEqual([]);
    expect(alarmDifferences(latency as AlarmConfig, { ...have, Metrics: [{ Id: 'x' }] })).toEqual([
      'Metrics',
    ]);
  });
});

describe('the SDK implementation', () => {
  it('applies the dashboard and alarms through the SDK, twice, against moto', async () => {
    const api = await sdkMetricsApi({ region: 'us-east-1', endpoint });
    try {
      const name = uniqueName('vl-sdk');
      const body = dashboardBody({ namespace: 'Voicelake', region: 'us-east-1', agents: [] });
      expect((await applyDashboard(api, name, body)).status).toBe('created');
      expect((await applyDashboard(api, name, body)).status).toBe('unchanged');
      const alarms = alarmConfigs({ namespace: 'Voicelake', ...ALARM_DEFAULTS, prefix: name });
      expect((await applyAlarms(api, alarms)).map((r) => r.status)).toEqual(['created', 'created']);
      expect((await applyAlarms(api, alarms)).map((r) => r.status)).toEqual(['unchanged', 'unchanged']);
    } finally {
      api.close();
    }
  });
});
