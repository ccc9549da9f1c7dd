/**
 * CloudWatch that earns its cost, through moto: with `ANALYTICS_CLOUDWATCH_EVENTS=call_started,
 * call_ended,error` the log stream holds exactly those events plus one EMF document per call,
 * S3 holds every event, `stats().destinations.cloudwatch.filtered` counts the rest, and every EMF
 * document sent (read from the PutLogEvents bodies through an inspecting proxy) passes the spec
 * validator. Moto stores EMF documents as plain log events: it extracts no metrics from them.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateCalls } from '../../packages/voicelake/src/demo/generator.js';
import type { TrackInput } from '../../packages/voicelake/src/event.js';
import { createAnalytics } from '../../packages/voicelake/src/index.js';
import { silentLogger } from '../../packages/voicelake/src/logger.js';
import { awsEnv, clients, createBucket, readLogGroup, uniqueName } from '../helpers/aws.js';
import { emfProblems, isEmf, sentLogEvents } from '../helpers/emf.js';
import { readLake } from '../helpers/lake.js';
import { type InspectingProxy, startProxy } from '../helpers/proxy.js';
import { tempDir } from '../helpers/tmp.js';

const endpoint = inject('motoEndpoint');
const { s3, logs } = clients(endpoint);
const KEPT = new Set(['call_started', 'call_ended', 'error']);

type Stats = ReturnType<ReturnType<typeof createAnalytics>['stats']>;

/** Track demo calls (and a few explicit errors) into `analytics`; returns each event's type by id. */
function trackCalls(analytics: ReturnType<typeof createAnalytics>, calls: number): Map<string, string> {
  const types = new Map<string, string>();
  const track = (input: TrackInput) => {
    const r = analytics.track(input);
    if (!r.accepted) throw new Error(r.message);
    types.set(r.eventId, input.type);
  };
  generateCalls({ track }, { calls, seed: 11, days: 1 });
  for (let i = 0; i < 3; i++)
    track({ type: 'error', callId: `call-x-${i}`, agentId: 'support', data: { errorType: 'api_error' } });
  return types;
}

describe('CloudWatch event filter and EMF call metrics (moto)', () => {
  let proxy: InspectingProxy;
  const bucket = uniqueName('vl-cwf');
  const logGroup = uniqueName('/voicelake/filter');
  let types: Map<string, string>;
  let stats: Stats;

  beforeAll(async () => {
    // Prepare
    proxy = await startProxy(endpoint);
    await createBucket(s3, bucket);
    const analytics = createAnalytics({
      env: {
        ...awsEnv(proxy.endpoint),
        ANALYTICS_S3_BUCKET: bucket,
        ANALYTICS_LOG_GROUP: logGroup,
        ANALYTICS_CLOUDWATCH_EVENTS: 'call_started,call_ended,error',
      },
      aws: { endpoint: proxy.endpoint, region: 'us-east-1' },
      logger: silentLogger,
      spool: { dir: tempDir('vl-spool') },
    });
    // Act
    types = trackCalls(analytics, 40);
    const closed = await analytics.close({ timeoutMs: 30_000 });
    expect(closed.timedOut).toBe(false);
    expect(closed.undelivered).toEqual({ s3: 0, cloudwatch: 0 });
    stats = analytics.stats();
  });

  afterAll(async () => {
    await proxy.close();
  });

  it('the log stream holds exactly the call_started, call_ended and error events, plus one EMF document per call', async () => {
    // Act
    const stored = await readLogGroup(logs, logGroup);
    const emf = stored.filter((e) => isEmf(e.message as string));
    const events = stored.filter((e) => !isEmf(e.message as string));
    // Assess
    const expected = [...types].filter(([, t]) => KEPT.has(t)).map(([id]) => id);
    const ids = events.map((e) => JSON.parse(e.message as string).event_id as string);
    expect(ids.sort()).toEqual(expected.sort());
    const ended = [...types.values()].filter((t) => t === 'call_ended').length;
    expect(ended).toBe(40);
    expect(emf).toHaveLength(ended);
    expect(new Set(events.map((e) => JSON.parse(e.message as string).event_type))).toEqual(KEPT);
  });

  it('S3 holds every event', async () => {
    // Act
    const lake = await readLake(s3, bucket);
    // Assess
    expect(lake.map((l) => l.event.event_id).sort()).toEqual([...types.keys()].sort());
    expect(lake.some((l) => '_aws' in l.event)).toBe(false);
  });

  it('stats: cloudwatch.filtered counts the rest, cloudwatch.emf the documents, S3 filters nothing', () => {
    // Assess
    const kept = [...types.values()].filter((t) => KEPT.has(t)).length;
    const cw = stats.destinations.cloudwatch;
    expect(cw?.filtered).toBe(types.size - kept);
    expect(cw?.delivered).toBe(kept);
    expect(cw?.emf).toBe(40);
    expect(cw?.failed).toBe(0);
    expect(stats.destinations.s3?.filtered).toBe(0);
    expect(stats.destinations.s3?.delivered).toBe(types.size);
  });

  it('every EMF document sent is valid against the specification and matches its call_ended', async () => {
    // Act
    const sent = sentLogEvents(proxy.requests).filter((e) => isEmf(e.message));
    const lake = await readLake(s3, bucket);
    const summaries = new Map(
      lake
        .filter((l) => l.event.event_type === 'call_ended')
        .map((l) => [l.event.call_id as string, l.event]),
    );
    // Assess
    expect(sent).toHaveLength(40);
    for (const e of sent) {
      expect(emfProblems(e.message), e.message).toEqual([]);
      const doc = JSON.parse(e.message);
      const summary = summaries.get(doc.call_id) as Record<string, unknown>;
      expect(e.timestamp).toBe(doc._aws.Timestamp);
      expect(doc._aws.Timestamp).toBe(Date.parse(summary.event_time as string));
      expect(doc._aws.CloudWatchMetrics[0].Namespace).toBe('Voicelake');
      expect(doc.AgentId).toBe(summary.agent_id);
      expect(doc.CallDuration).toBe(summary.call_duration_ms);
      expect(doc.E2eLatencyP95).toBe(summary.e2e_latency_p95_ms);
    }
  });

  it('no request carried a filtered event', () => {
    const sent = sentLogEvents(proxy.requests).filter((e) => !isEmf(e.message));
    for (const e of sent) expect(KEPT.has(JSON.parse(e.message).event_type)).toBe(true);
  });
});

describe('EMF off, and a predicate filter (moto)', () => {
  it('ANALYTICS_EMF=off sends no EMF document; a predicate filter keeps what it accepts', async () => {
    // Prepare
    const proxy = await startProxy(endpoint);
    const logGroup = uniqueName('/voicelake/emf-off');
    try {
      const analytics = createAnalytics({
        s3: false,
        local: false,
        cloudWatch: { logGroup, events: (t) => t.startsWith('call_') },
        env: { ...awsEnv(proxy.endpoint), ANALYTICS_EMF: 'off' },
        aws: { endpoint: proxy.endpoint, region: 'us-east-1' },
        logger: silentLogger,
        spool: { dir: tempDir('vl-spool') },
      });
      // Act
      const types = trackCalls(analytics, 5);
      await analytics.close({ timeoutMs: 30_000 });
      // Assess
      const stored = await readLogGroup(logs, logGroup);
      expect(stored.filter((e) => isEmf(e.message as string))).toHaveLength(0);
      const calls = [...types.values()].filter((t) => t.startsWith('call_')).length;
      expect(stored).toHaveLength(calls);
      expect(analytics.stats().destinations.cloudwatch?.filtered).toBe(types.size - calls);
      expect(analytics.stats().destinations.cloudwatch?.emf).toBe(0);
    } finally {
      await proxy.close();
    }
  });
});
