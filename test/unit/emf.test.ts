/**
 * Call metrics in the embedded metric format: the document for a `call_ended` line, the spec
 * validator (test/helpers/emf.ts) that every document sent is held to, and the CloudWatch
 * options around them (event filter, EMF, log class) as resolveConfig reads them.
 */
import { describe, expect, it } from 'vitest';
import {
  AGENT_DIMENSION,
  CALL_METRIC_UNITS,
  DEFAULT_NAMESPACE,
} from '../../packages/cli/src/cloudwatch/metrics.js';
import { resolveConfig } from '../../packages/voicelake/src/config/resolve.js';
import { generateCalls } from '../../packages/voicelake/src/demo/generator.js';
import { ConfigError } from '../../packages/voicelake/src/errors.js';
import { normalizeEvent, type TrackInput } from '../../packages/voicelake/src/event.js';
import { silentLogger } from '../../packages/voicelake/src/logger.js';
import { eventTypeOf } from '../../packages/voicelake/src/sinks/cloudwatch-batch.js';
import {
  CALL_METRICS,
  EMF_AGENT_DIMENSION,
  EMF_DEFAULT_NAMESPACE,
  emfDocument,
  namespaceProblem,
} from '../../packages/voicelake/src/sinks/emf.js';
import { emfProblems } from '../helpers/emf.js';

const NOW = Date.now();

function line(input: TrackInput): { line: string; timeMs: number } {
  const n = normalizeEvent(input, 1 << 20, NOW);
  if (!n.ok) throw new Error(n.message);
  return { line: n.record.line, timeMs: n.record.timeMs };
}

/** The demo's `call_ended` lines: the summary the LiveKit recorder writes. */
function demoCallEnded(calls: number): { line: string; timeMs: number }[] {
  const out: { line: string; timeMs: number }[] = [];
  generateCalls(
    {
      track(input: TrackInput) {
        if (input.type === 'call_ended') out.push(line(input));
      },
    },
    { calls, seed: 3, days: 1, now: NOW },
  );
  return out;
}

describe('emfDocument', () => {
  it('turns a demo call_ended into a valid document with every call metric, per agent and in total', () => {
    const ended = demoCallEnded(20);
    expect(ended).toHaveLength(20);
    for (const e of ended) {
      const doc = emfDocument(e.line, e.timeMs, 'Voicelake');
      expect(doc).toBeDefined();
      expect(emfProblems(doc as string)).toEqual([]);
      const parsed = JSON.parse(doc as string);
      const source = JSON.parse(e.line);
      expect(parsed._aws.Timestamp).toBe(e.timeMs);
      expect(parsed._aws.CloudWatchMetrics).toHaveLength(1);
      const directive = parsed._aws.CloudWatchMetrics[0];
      expect(directive.Namespace).toBe('Voicelake');
      expect(directive.Dimensions).toEqual([['AgentId'], []]);
      expect(parsed.AgentId).toBe(source.agent_id);
      expect(parsed.call_id).toBe(source.call_id);
      expect(parsed.CallDuration).toBe(source.call_duration_ms);
      expect(parsed.Turns).toBe(source.turns);
      expect(parsed.Interruptions).toBe(source.interruptions);
      expect(parsed.E2eLatencyP95).toBe(source.e2e_latency_p95_ms);
      expect(parsed.TtftP95).toBe(source.ttft_p95_ms);
      expect(parsed.Errors).toBe(source.errors);
      expect(parsed.ToolErrors).toBe(source.tool_errors);
      expect(parsed.Tokens).toBe(source.prompt_tokens + source.completion_tokens);
      // Nothing else of the line is copied: no transcript, no error message.
      expect(Object.keys(parsed).sort()).toEqual(
        ['_aws', 'AgentId', 'call_id', ...directive.Metrics.map((m: { Name: string }) => m.Name)].sort(),
      );
    }
  });

  it('writes only the metrics present, total_tokens when given, and no AgentId without a valid agent', () => {
    const e = line({
      type: 'call_ended',
      callId: 'c1',
      data: { turns: 3, totalTokens: 99, promptTokens: 1 },
    });
    const doc = JSON.parse(emfDocument(e.line, e.timeMs, 'NS') as string);
    expect(doc._aws.CloudWatchMetrics[0].Metrics).toEqual([
      { Name: 'Turns', Unit: 'Count' },
      { Name: 'Tokens', Unit: 'Count' },
    ]);
    expect(doc.Tokens).toBe(99);
    expect(doc._aws.CloudWatchMetrics[0].Dimensions).toEqual([[]]);
    expect(doc).not.toHaveProperty('AgentId');
    const nonAscii = line({ type: 'call_ended', callId: 'c', agentId: 'agént', data: { turns: 1 } });
    expect(JSON.parse(emfDocument(nonAscii.line, nonAscii.timeMs, 'NS') as string)).not.toHaveProperty(
      'AgentId',
    );
    expect(emfProblems(emfDocument(nonAscii.line, nonAscii.timeMs, 'NS') as string)).toEqual([]);
  });

  it('makes no document from a line without call metrics, or from a line that is not JSON', () => {
    const e = line({ type: 'call_ended', callId: 'c', agentId: 'a', data: { closeReason: 'x' } });
    expect(emfDocument(e.line, e.timeMs, 'NS')).toBeUndefined();
    expect(emfDocument('{not json', NOW, 'NS')).toBeUndefined();
    expect(emfDocument('[1,2]', NOW, 'NS')).toBeUndefined();
  });

  it('refuses namespaces CloudWatch would refuse', () => {
    expect(namespaceProblem('Voicelake')).toBeUndefined();
    expect(namespaceProblem('team/voice:prod#1')).toBeUndefined();
    expect(namespaceProblem('')).toMatch(/1-255/);
    expect(namespaceProblem('x'.repeat(256))).toMatch(/1-255/);
    expect(namespaceProblem('AWS/Logs')).toMatch(/AWS\//);
    expect(namespaceProblem('has space')).toMatch(/letters/);
    expect(namespaceProblem(':x')).toMatch(/:/);
  });

  it('matches the CLI: the same names, units, dimension and default namespace', () => {
    expect(Object.fromEntries(CALL_METRICS.map((m) => [m.name, m.unit]))).toEqual(CALL_METRIC_UNITS);
    expect(EMF_AGENT_DIMENSION).toBe(AGENT_DIMENSION);
    expect(EMF_DEFAULT_NAMESPACE).toBe(DEFAULT_NAMESPACE);
  });
});

describe('the EMF validator (test/helpers/emf.ts)', () => {
  const valid = () => ({
    _aws: {
      Timestamp: NOW,
      CloudWatchMetrics: [
        {
          Namespace: 'NS',
          Dimensions: [['AgentId'], []],
          Metrics: [{ Name: 'Latency', Unit: 'Milliseconds' }],
        },
      ],
    },
    AgentId: 'support',
    Latency: 120,
  });
  const problems = (mutate: (d: ReturnType<typeof valid> & Record<string, unknown>) => void) => {
    const d = valid() as ReturnType<typeof valid> & Record<string, unknown>;
    mutate(d);
    return emfProblems(JSON.stringify(d));
  };

  it('accepts a valid document and the example of the specification', () => {
    expect(problems(() => {})).toEqual([]);
    const example = {
      _aws: {
        Timestamp: NOW,
        CloudWatchMetrics: [
          {
            Namespace: 'lambda-function-metrics',
            Dimensions: [['functionVersion']],
            Metrics: [{ Name: 'time', Unit: 'Milliseconds' }],
          },
        ],
      },
      functionVersion: '$LATEST',
      time: 100,
      requestId: '989ffbf8-9ace-4817-a57c-e4dd734019ee',
    };
    expect(emfProblems(JSON.stringify(example))).toEqual([]);
  });

  it('fails deliberately invalid documents, each for its reason', () => {
    expect(emfProblems('not json')).toEqual([expect.stringMatching(/not JSON/)]);
    expect(emfProblems('{"a":1}')).toEqual([expect.stringMatching(/_aws is missing/)]);
    expect(problems((d) => delete (d._aws as Partial<typeof d._aws>).Timestamp)).toEqual([
      expect.stringMatching(/Timestamp is missing/),
    ]);
    expect(problems((d) => (d._aws.Timestamp = Math.floor(NOW / 1000)))).toEqual([
      expect.stringMatching(/seconds, not milliseconds/),
    ]);
    expect(problems((d) => (d._aws.Timestamp = NOW - 15 * 86_400_000))).toEqual([
      expect.stringMatching(/too far in the past/),
    ]);
    expect(problems((d) => (d._aws.Timestamp = NOW + 3 * 3_600_000))).toEqual([
      expect.stringMatching(/too far in the future/),
    ]);
    expect(problems((d) => (d.Latency = '120' as unknown as number))).toEqual([
      expect.stringMatching(/metric Latency is not a number/),
    ]);
    expect(problems((d) => delete (d as Partial<typeof d>).Latency)).toEqual([
      expect.stringMatching(/metric Latency is not a number/),
    ]);
    expect(problems((d) => (d.AgentId = 7 as unknown as string))).toEqual([
      expect.stringMatching(/dimension AgentId is not a string/),
    ]);
    expect(
      problems(
        (d) =>
          ((d._aws.CloudWatchMetrics[0] as { Metrics: unknown[] }).Metrics[0] = {
            Name: 'Latency',
            Unit: 'ms',
          }),
      ),
    ).toEqual([expect.stringMatching(/unit ms/)]);
    expect(
      problems((d) => {
        const keys = Array.from({ length: 31 }, (_, i) => `D${i}`);
        for (const k of keys) d[k] = 'v';
        (d._aws.CloudWatchMetrics[0] as { Dimensions: unknown[] }).Dimensions = [keys];
      }),
    ).toEqual([expect.stringMatching(/31 keys, over 30/)]);
    expect(
      problems((d) => {
        const metrics = Array.from({ length: 101 }, (_, i) => ({ Name: `M${i}`, Unit: 'Count' as const }));
        for (const m of metrics) d[m.Name] = 1;
        (d._aws.CloudWatchMetrics[0] as { Metrics: unknown[] }).Metrics = metrics;
      }),
    ).toEqual([expect.stringMatching(/101 definitions, over 100/)]);
    expect(problems((d) => delete (d._aws.CloudWatchMetrics[0] as { Namespace?: string }).Namespace)).toEqual(
      [expect.stringMatching(/Namespace is missing/)],
    );
  });
});

describe('eventTypeOf', () => {
  it('reads the type of a track() line without parsing, and falls back to JSON for others', () => {
    expect(eventTypeOf(line({ type: 'call_started', callId: 'c' }).line)).toBe('call_started');
    expect(eventTypeOf(line({ type: 'quote"and\\slash', callId: 'c' }).line)).toBe('quote"and\\slash');
    expect(eventTypeOf(line({ type: 'ünïcode', callId: 'c' }).line)).toBe('ünïcode');
    expect(eventTypeOf('{"event_type":"x","event_id":"y"}')).toBe('x');
    expect(eventTypeOf('{"event_id":"short","event_type":"z"}')).toBe('z');
    expect(eventTypeOf('{"event_type":3}')).toBeUndefined();
    expect(eventTypeOf('garbage')).toBeUndefined();
  });
});

describe('CloudWatch options', () => {
  const base = { logger: silentLogger, spool: false as const, s3: false as const, local: false as const };

  it('defaults: every event, EMF on in the Voicelake namespace, STANDARD, existing groups untouched', () => {
    const c = resolveConfig({ ...base, env: { ANALYTICS_LOG_GROUP: '/g' } }).cloudWatch;
    expect(c).toMatchObject({
      events: 'all',
      emf: { namespace: 'Voicelake' },
      logGroupClass: 'STANDARD',
      applyToExisting: false,
      retentionDays: 30,
    });
  });

  it('reads the environment', () => {
    const c = resolveConfig({
      ...base,
      env: {
        ANALYTICS_LOG_GROUP: '/g',
        ANALYTICS_CLOUDWATCH_EVENTS: ' call_started, call_ended ,error,',
        ANALYTICS_EMF_NAMESPACE: 'Team/Voice',
        ANALYTICS_LOG_APPLY_TO_EXISTING: 'true',
      },
    }).cloudWatch;
    expect(c).toMatchObject({
      events: ['call_started', 'call_ended', 'error'],
      emf: { namespace: 'Team/Voice' },
      applyToExisting: true,
    });
    const off = resolveConfig({
      ...base,
      env: { ANALYTICS_LOG_GROUP: '/g', ANALYTICS_EMF: 'off', ANALYTICS_LOG_CLASS: 'INFREQUENT_ACCESS' },
    }).cloudWatch;
    expect(off).toMatchObject({ emf: false, logGroupClass: 'INFREQUENT_ACCESS' });
  });

  it('takes options over the environment, and a predicate as the filter', () => {
    const predicate = (t: string) => t.startsWith('call_');
    const c = resolveConfig({
      ...base,
      cloudWatch: { logGroup: '/g', events: predicate, emf: { namespace: 'Opt' } },
      env: { ANALYTICS_CLOUDWATCH_EVENTS: 'error', ANALYTICS_EMF: 'off', ANALYTICS_EMF_NAMESPACE: 'Env' },
    }).cloudWatch;
    expect(c?.events).toBe(predicate);
    expect(c?.emf).toEqual({ namespace: 'Opt' });
    expect(resolveConfig({ ...base, cloudWatch: { logGroup: '/g', emf: false } }).cloudWatch?.emf).toBe(
      false,
    );
  });

  it('refuses INFREQUENT_ACCESS with EMF on, and says why', () => {
    const attempt = () =>
      resolveConfig({ ...base, cloudWatch: { logGroup: '/g', logGroupClass: 'INFREQUENT_ACCESS' }, env: {} });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/INFREQUENT_ACCESS does not extract embedded metric format metrics.*emf: false/);
    expect(
      resolveConfig({
        ...base,
        cloudWatch: { logGroup: '/g', logGroupClass: 'INFREQUENT_ACCESS', emf: false },
        env: {},
      }).cloudWatch?.logGroupClass,
    ).toBe('INFREQUENT_ACCESS');
  });

  it('names invalid values', () => {
    const bad = (env: Record<string, string>) => () =>
      resolveConfig({ ...base, env: { ANALYTICS_LOG_GROUP: '/g', ...env } });
    expect(bad({ ANALYTICS_EMF: 'maybe' })).toThrow(/cloudWatch\.emf: .*ANALYTICS_EMF: on or off/);
    expect(bad({ ANALYTICS_LOG_CLASS: 'GLACIER' })).toThrow(
      /logGroupClass: must be STANDARD or INFREQUENT_ACCESS/,
    );
    expect(bad({ ANALYTICS_EMF_NAMESPACE: 'AWS/Mine' })).toThrow(/namespace may not start with AWS/);
    expect(bad({ ANALYTICS_LOG_APPLY_TO_EXISTING: 'perhaps' })).toThrow(/applyToExisting/);
  });
});
