/**
 * The LiveKit adapter on a real `voice.AgentSession`, driven offline by `FakeLLM`: what the
 * session emits lands in the local lake, S3 and CloudWatch, with a matching call summary.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { initializeLogger, llm, voice } from '@livekit/agents';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { openLake } from '../../packages/cli/src/lake/duckdb.js';
import { createAnalytics } from '../../packages/voicelake/src/index.js';
import { instrumentSession, percentile, SESSION_EVENTS } from '../../packages/voicelake/src/livekit/index.js';
import { silentLogger } from '../../packages/voicelake/src/logger.js';
import { clients, createBucket, readLogGroup, uniqueName } from '../helpers/aws.js';
import { readLake } from '../helpers/lake.js';
import { startProxy } from '../helpers/proxy.js';
import { tempDir } from '../helpers/tmp.js';

initializeLogger({ pretty: false, level: 'silent' });
const endpoint = inject('motoEndpoint');
const { s3, logs } = clients(endpoint);
const run = promisify(execFile);
const cli = resolve(import.meta.dirname, '../../packages/cli/bin/voicelake.js');

function fakeCtx() {
  const callbacks: (() => Promise<void>)[] = [];
  return {
    callbacks,
    job: { id: 'AJ_job1', agentName: 'support', room: { name: 'room-42', sid: 'RM_call42' } },
    addShutdownCallback(cb: () => Promise<void>) {
      callbacks.push(cb);
    },
  };
}

function makeSession() {
  const fake = new voice.testing.FakeLLM([
    { input: 'hello', content: 'Hi! How can I help?', ttft: 0.1, duration: 0.3 },
    {
      input: 'where is my order',
      toolCalls: [{ name: 'lookup_order', args: { id: '42' } }],
      ttft: 0.05,
      duration: 0.1,
    },
    { input: 'thanks', content: 'You are welcome.', ttft: 0.08, duration: 0.2 },
    { input: 'bye', content: 'Goodbye!', ttft: 0.06, duration: 0.1 },
  ]);
  const lookup = llm.tool({
    description: 'Look up an order',
    parameters: z.object({ id: z.string() }),
    execute: async ({ id }) => `order ${id} shipped`,
  });
  const session = new voice.AgentSession({ llm: fake, vad: null } as ConstructorParameters<
    typeof voice.AgentSession
  >[0]);
  const agent = new voice.Agent({
    instructions: 'You are a support agent.',
    tools: { lookup_order: lookup },
  });
  return { session, agent };
}

describe('instrumentSession on a real AgentSession', () => {
  const bucket = uniqueName('vl-lk');
  const logGroup = uniqueName('/voicelake/lk');
  const lakeDir = tempDir('vl-lk-lake');
  const counted = { llm: 0, ttft: [] as number[], tools: 0, agentTurns: 0, userTurns: 0 };
  let listenersBefore: Record<string, number> = {};
  let listenersAfter: Record<string, number> = {};

  beforeAll(async () => {
    // Prepare
    await createBucket(s3, bucket);
    const analytics = createAnalytics({
      s3: { bucket },
      cloudWatch: { logGroup },
      local: { dir: lakeDir },
      aws: { endpoint, region: 'us-east-1' },
      spool: { dir: tempDir('vl-spool') },
      logger: silentLogger,
      env: {},
    });
    const { session, agent } = makeSession();
    // Count what the session emits, independently of voicelake.
    session.on(voice.AgentSessionEventTypes.MetricsCollected, (ev) => {
      if (ev.metrics.type === 'llm_metrics') {
        counted.llm++;
        if (ev.metrics.ttftMs >= 0) counted.ttft.push(ev.metrics.ttftMs);
      }
    });
    session.on(voice.AgentSessionEventTypes.FunctionToolsExecuted, (ev) => {
      counted.tools += ev.functionCalls.length;
    });
    session.on(voice.AgentSessionEventTypes.ConversationItemAdded, (ev) => {
      if (ev.item.type !== 'message') return;
      if (ev.item.role === 'assistant') counted.agentTurns++;
      if (ev.item.role === 'user') counted.userTurns++;
    });
    listenersBefore = Object.fromEntries(SESSION_EVENTS.map((e) => [e, session.listenerCount(e as never)]));
    const ctx = fakeCtx();
    // Act
    instrumentSession(session, { analytics, ctx });
    await session.start({ agent });
    for (const input of ['hello', 'where is my order', 'thanks', 'bye'])
      await session.run({ userInput: input }).wait();
    await session.close();
    listenersAfter = Object.fromEntries(SESSION_EVENTS.map((e) => [e, session.listenerCount(e as never)]));
    for (const cb of ctx.callbacks) await cb();
    const closed = await analytics.close({ timeoutMs: 30_000 });
    expect(closed.undelivered).toEqual({ s3: 0, cloudwatch: 0, local: 0 });
  });

  afterAll(() => {
    s3.destroy();
    logs.destroy();
  });

  it('the lake holds call_started, turns, llm_metrics, tool_call and call_ended, all with one call_id', async () => {
    const lake = await openLake(lakeDir);
    try {
      const rows = await lake.query('SELECT event_type, count(*) AS n FROM events GROUP BY 1 ORDER BY 1');
      const counts = Object.fromEntries(rows.map((r) => [r.event_type as string, Number(r.n)]));
      expect(counts).toMatchObject({
        call_started: 1,
        call_ended: 1,
        llm_metrics: counted.llm,
        tool_call: counted.tools,
        agent_turn: counted.agentTurns,
        user_turn: counted.userTurns,
      });
      expect(counted.tools).toBe(1);
      expect(counted.userTurns).toBe(4);
      const ids = await lake.query('SELECT DISTINCT call_id, agent_id FROM events');
      expect(ids).toEqual([{ call_id: 'RM_call42', agent_id: 'support' }]);
      const [tool] = await lake.query(
        "SELECT tool_name, is_error, args_bytes FROM events WHERE event_type = 'tool_call'",
      );
      expect(tool).toEqual({ tool_name: 'lookup_order', is_error: false, args_bytes: 11 });
    } finally {
      lake.close();
    }
  });

  it('call_ended carries a summary that matches what the session emitted', async () => {
    const lake = await openLake(lakeDir);
    try {
      const [summary] = await lake.query(
        `SELECT turns, user_turns, tool_calls, tool_errors, errors, interruptions, close_reason,
                ttft_p50_ms, ttft_p95_ms, call_duration_ms, usage_json
         FROM events WHERE event_type = 'call_ended'`,
      );
      expect(summary).toMatchObject({
        turns: counted.agentTurns,
        user_turns: counted.userTurns,
        tool_calls: counted.tools,
        tool_errors: 0,
        errors: 0,
        interruptions: 0,
        close_reason: 'user_initiated',
        ttft_p50_ms: percentile(counted.ttft, 50),
        ttft_p95_ms: percentile(counted.ttft, 95),
      });
      expect(Number(summary?.call_duration_ms)).toBeGreaterThan(0);
      expect(JSON.parse(summary?.usage_json as string)).toHaveProperty('modelUsage');
    } finally {
      lake.close();
    }
  });

  it('S3 and CloudWatch hold the same events as the local lake', async () => {
    const lake = await openLake(lakeDir);
    try {
      const local = (await lake.query('SELECT event_id FROM events')).map((r) => r.event_id).sort();
      const inS3 = (await readLake(s3, bucket)).map((l) => l.event.event_id).sort();
      const messages = (await readLogGroup(logs, logGroup)).map((e) => JSON.parse(e.message as string));
      // Beside the events, CloudWatch holds the call's metrics as one EMF document.
      const inCw = messages
        .filter((m) => m._aws === undefined)
        .map((m) => m.event_id)
        .sort();
      expect(inS3).toEqual(local);
      expect(inCw).toEqual(local);
      expect(
        messages.filter((m) => m._aws !== undefined),
        'one EMF document for the call',
      ).toHaveLength(1);
    } finally {
      lake.close();
    }
  });

  it('the call-summary columns answer the named query `voicelake query calls`', async () => {
    const { stdout } = await run(process.execPath, [cli, 'query', 'calls', '--data-dir', lakeDir, '--json']);
    const rows = JSON.parse(stdout) as Record<string, unknown>[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      call_id: 'RM_call42',
      agent_id: 'support',
      turns: counted.agentTurns,
      tool_calls: counted.tools,
      ttft_p50_ms: percentile(counted.ttft, 50),
      close_reason: 'user_initiated',
    });
  });

  it('leaves no listener on the session once it closed', () => {
    expect(listenersAfter).toEqual(listenersBefore);
  });
});

describe('detach and shutdown', () => {
  it('detaching stops all recording and removes every listener', async () => {
    // Prepare
    const analytics = createAnalytics({
      local: { dir: tempDir('vl-lk') },
      spool: false,
      logger: silentLogger,
      env: {},
    });
    const { session } = makeSession();
    const before = Object.fromEntries(SESSION_EVENTS.map((e) => [e, session.listenerCount(e as never)]));
    const detach = instrumentSession(session, { analytics, callId: 'c-detach' });
    const during = SESSION_EVENTS.map((e) => session.listenerCount(e as never));
    // Act
    detach();
    session.emit(voice.AgentSessionEventTypes.MetricsCollected, {
      type: 'metrics_collected',
      createdAt: Date.now(),
      metrics: { type: 'llm_metrics', ttftMs: 100 } as never,
    });
    // Assess
    expect(during.every((n, i) => n === (before[SESSION_EVENTS[i] as string] ?? 0) + 1)).toBe(true);
    expect(Object.fromEntries(SESSION_EVENTS.map((e) => [e, session.listenerCount(e as never)]))).toEqual(
      before,
    );
    expect(analytics.stats().accepted).toBe(1); // call_started only
    await analytics.close();
  });

  it('the shutdown callback finishes within its bound when every destination hangs', async () => {
    // Prepare
    const proxy = await startProxy(endpoint);
    proxy.mode = 'hang';
    const analytics = createAnalytics({
      s3: { bucket: 'vl-hang' },
      cloudWatch: { logGroup: '/voicelake/hang' },
      local: false,
      aws: { endpoint: proxy.endpoint, region: 'us-east-1' },
      spool: false,
      logger: silentLogger,
      env: {},
    });
    const { session } = makeSession();
    const ctx = fakeCtx();
    instrumentSession(session, { analytics, ctx, shutdownTimeoutMs: 1000 });
    // Act
    const started = Date.now();
    for (const cb of ctx.callbacks) await cb();
    const elapsed = Date.now() - started;
    // Assess
    expect(ctx.callbacks).toHaveLength(1);
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(2500);
    expect(analytics.stats().accepted).toBe(2); // call_started + call_ended (job_shutdown)
    await analytics.close({ timeoutMs: 500 });
    await proxy.close();
  });
});

describe('instrumentSession with transcripts: false', () => {
  it('records the turns and their metrics but no text at all', async () => {
    // Prepare
    const lakeDir = tempDir('vl-lk-notext');
    const analytics = createAnalytics({
      s3: false,
      cloudWatch: false,
      local: { dir: lakeDir },
      spool: false,
      logger: silentLogger,
      env: {},
    });
    const { session, agent } = makeSession();
    instrumentSession(session, { analytics, transcripts: false });
    // Act
    await session.start({ agent });
    for (const input of ['hello', 'where is my order']) await session.run({ userInput: input }).wait();
    await session.close();
    await analytics.close();
    // Assess
    const events = (await import('../helpers/lake.js')).readLocalLake(lakeDir).map((l) => l.event);
    const turns = events.filter((e) => e.event_type === 'user_turn' || e.event_type === 'agent_turn');
    expect(new Set(turns.map((e) => e.event_type)), 'user and agent turns are recorded').toEqual(
      new Set(['user_turn', 'agent_turn']),
    );
    expect(
      turns.filter((e) => e.transcript !== undefined || e.text !== undefined),
      'turns with text',
    ).toEqual([]);
    expect(JSON.stringify(events), 'no word of the conversation anywhere').not.toMatch(
      /where is my order|hello/i,
    );
  });
});
