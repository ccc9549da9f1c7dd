/**
 * `voicelake collect` end to end: OTLP requests shaped like LiveKit Agents' and Pipecat's, over
 * real HTTP, into a real collector writing through a real spool to a real local lake; then the
 * named queries answer as they would for a Node call.
 */
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAnalytics } from 'voicelake';
import { type RunningCollector, startCollector } from '../../packages/collect/src/index.js';
import { voicelake } from '../helpers/cli.js';
import { readLocalLake } from '../helpers/lake.js';
import {
  type FakeSpan,
  hexId,
  jsonBody,
  livekitCall,
  pipecatCall,
  post,
  protobufBody,
} from '../helpers/otlp.js';
import { tempDir } from '../helpers/tmp.js';

const silent = { info() {}, warn() {}, error() {}, debug() {} } as never;

async function collector(
  lake: string,
  extra: { idleTimeoutMs?: number; stateDir?: string; spool?: string } = {},
) {
  const analytics = createAnalytics({
    local: { dir: lake },
    s3: false,
    cloudWatch: false,
    spool: { dir: extra.spool ?? tempDir('vl-collect-spool') },
    logger: silent,
  });
  const running = await startCollector({
    port: 0,
    analytics,
    stateDir: extra.stateDir ?? tempDir('vl-collect-state'),
    ...(extra.idleTimeoutMs ? { idleTimeoutMs: extra.idleTimeoutMs } : {}),
  });
  return { running, analytics };
}

async function query(name: string, lake: string): Promise<Record<string, unknown>[]> {
  const { stdout } = await voicelake(['query', name, '--data-dir', lake, '--format', 'json'], {
    ...process.env,
  });
  return JSON.parse(stdout) as Record<string, unknown>[];
}

const open: { running: RunningCollector; analytics: ReturnType<typeof createAnalytics> }[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) {
    await c.running.close();
    await c.analytics.close();
  }
});

describe('voicelake collect', () => {
  it('turns a LiveKit call and a Pipecat call into the same events and answers as a Node call', async () => {
    // Prepare
    const lake = tempDir('vl-collect-lake');
    const c = await collector(lake);
    open.push(c);
    const lk = livekitCall('RM_test1');
    const pc = pipecatCall('conv-1');
    // Act: LiveKit over protobuf (one batch twice: a retried export), Pipecat over gzip JSON
    for (const batch of lk.batches) {
      const res = await post(`${c.running.url}/v1/traces`, protobufBody(batch));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/x-protobuf');
      expect(res.body.length, 'an empty ExportTraceServiceResponse').toBe(0);
    }
    expect((await post(`${c.running.url}/v1/traces`, protobufBody(lk.batches[1] ?? []))).status).toBe(200);
    for (const batch of pc) {
      const res = await post(`${c.running.url}/v1/traces`, gzipSync(jsonBody(batch)), {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body.toString())).toEqual({});
    }
    await c.analytics.flush();
    // Assess: the lake
    const lines = readLocalLake(lake).map((l) => l.event);
    const ids = lines.map((e) => e.event_id);
    expect(new Set(ids).size, 'a re-sent span is the same event').toBe(ids.length);
    const lkEvents = lines.filter((e) => e.call_id === 'RM_test1');
    expect(lkEvents.filter((e) => e.event_type === 'agent_turn').map((e) => e.e2e_latency_ms)).toEqual(
      lk.e2e,
    );
    expect(lkEvents.every((e) => e.agent_id === 'capture-agent')).toBe(true);
    const ended = lkEvents.find((e) => e.event_type === 'call_ended');
    expect(ended).toMatchObject({
      turns: 5,
      user_turns: 5,
      interruptions: 1,
      tool_calls: 2,
      tool_errors: 1,
      close_reason: 'user_initiated',
      call_duration_ms: 28_000,
      prompt_tokens: 5 * 43,
      e2e_latency_p50_ms: 1100,
    });
    // As the Node adapter records them: the hook's delay on each user turn, the job and the
    // (redacted) room name on call_started.
    expect(
      lkEvents.filter((e) => e.event_type === 'user_turn').map((e) => e.on_user_turn_completed_delay_ms),
    ).toEqual([0.3, 0.3, 0.3, 0.3, 0.3]);
    const started = lkEvents.find((e) => e.event_type === 'call_started');
    expect(JSON.parse(String(started?.custom))).toEqual({ jobId: 'AJ_1', roomName: expect.any(String) });
    expect(started?.custom, 'lk.pii.room_name redacted').not.toContain('jane.doe@example.com');
    const pcEvents = lines.filter((e) => e.call_id === 'conv-1');
    // The bot's words on each Pipecat turn: its TTS requests' text, in order, redacted.
    const said = pcEvents.filter((e) => e.event_type === 'agent_turn').map((e) => e.text);
    expect(said.slice(1)).toEqual(['Sunny.', 'Once upon a time']);
    expect(said[0]).toMatch(/^Hi! Write to (?!jane\.doe@example\.com)/);
    expect(pcEvents.find((e) => e.event_type === 'call_ended')).toMatchObject({
      turns: 3,
      interruptions: 1,
      tool_calls: 1,
    });
    expect(pcEvents.filter((e) => e.event_type === 'tool_call').map((e) => e.tool_name)).toEqual([
      'get_weather',
    ]);
    // Assess: the named queries
    const calls = await query('calls', lake);
    expect(calls.map((r) => [r.call_id, r.turns, r.interruptions, r.tool_calls, r.tool_errors])).toEqual(
      expect.arrayContaining([
        ['RM_test1', 5, 1, 2, 1],
        ['conv-1', 3, 1, 1, 0],
      ]),
    );
    const tools = await query('tools', lake);
    expect(tools).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ tool_name: 'book_table', calls: 1, errors: 1 }),
        expect.objectContaining({ tool_name: 'get_weather', calls: 2, errors: 0 }),
      ]),
    );
    const interruptions = await query('interruptions', lake);
    expect(interruptions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ agent_id: 'capture-agent', agent_turns: 5, interrupted: 1 }),
      ]),
    );
    const turns = await query('turns', lake);
    expect(turns.reduce((n, r) => n + Number(r.agent_turns), 0)).toBe(8);
  }, 60_000);

  it('records a failed model call as one error event, as the Node adapter records a model error', async () => {
    // Prepare: a LiveKit call (protobuf) with a retried LLM attempt, a failed TTS attempt, an
    // LLM request whose last attempt failed (the failure re-raised up to llm_request and
    // llm_node, as LiveKit does) and a failing tool marked ERROR; a Pipecat conversation (gzip
    // JSON, the status code by name) whose LLM raised; a GenAI chat span (JSON, code 2) that failed.
    const lake = tempDir('vl-collect-lake');
    const c = await collector(lake);
    open.push(c);
    const url = `${c.running.url}/v1/traces`;
    const lk = livekitCall('RM_err');
    const [turn1, turn2, turn3, turn4] = lk.batches;
    if (!turn1 || !turn2 || !turn3 || !turn4) throw new Error('livekitCall has 5 turns');
    const named = (batch: FakeSpan[], name: string): FakeSpan => {
      const found = batch.find((x) => x.name === name);
      if (found === undefined) throw new Error(`no ${name}`);
      return found;
    };
    const attempt = (
      parent: FakeSpan,
      name: string,
      retry: number,
      failure?: { errorType: string; type: string; message: string },
    ): FakeSpan => ({
      ...parent,
      spanId: hexId(8),
      parentSpanId: parent.spanId,
      name,
      attributes: {
        'gen_ai.conversation.id': 'RM_err',
        'lk.retry_count': retry,
        'gen_ai.request.model': name.startsWith('llm') ? 'fake-llm-1' : 'fake-tts-1',
        'gen_ai.provider.name': name.startsWith('llm') ? 'fake-llm-provider' : 'fake-tts-provider',
        ...(failure
          ? {
              'error.type': failure.errorType,
              'exception.type': failure.type,
              'exception.message': failure.message,
            }
          : {}),
      },
      ...(failure
        ? {
            status: { code: 2 as const, message: failure.message },
            exception: { type: failure.type, message: failure.message },
          }
        : {}),
    });
    const llmDown = {
      errorType: 'APIConnectionError',
      type: 'APIConnectionError',
      message: 'Connection error while asking about jane.doe@example.com.',
    };
    turn1.push(
      attempt(named(turn1, 'llm_request'), 'llm_request_run', 0, llmDown),
      attempt(named(turn1, 'llm_request'), 'llm_request_run', 1),
    );
    turn2.push(
      attempt(named(turn2, 'tts_request'), 'tts_request_run', 0, {
        errorType: '503',
        type: 'APIStatusError',
        message: 'Service Unavailable',
      }),
    );
    const tool = named(turn3, 'function_tool');
    tool.status = { code: 2, message: 'no table free' };
    const failedRequest = named(turn4, 'llm_request');
    const failedNode = named(turn4, 'llm_node');
    turn4.push(attempt(failedRequest, 'llm_request_run', 0, llmDown));
    for (const above of [failedRequest, failedNode]) {
      above.attributes['error.type'] = 'APIConnectionError';
      above.status = { code: 2, message: llmDown.message };
      above.exception = { type: 'APIConnectionError', message: llmDown.message };
    }
    const pc = pipecatCall('conv-err');
    const pcLlm = pc[0]?.find((x) => x.name === 'llm');
    if (pcLlm === undefined) throw new Error('pipecatCall has an llm span');
    pcLlm.status = { code: 2, codeName: true, message: 'APIStatusError: Error code: 500' };
    pcLlm.exception = { type: 'APIStatusError', message: 'Error code: 500' };
    const genaiTrace = hexId(16);
    const genaiSpan = (name: string, attributes: Record<string, string>): FakeSpan => ({
      traceId: genaiTrace,
      spanId: hexId(8),
      name,
      startMs: Date.UTC(2026, 11, 7, 16, 0, 0),
      endMs: Date.UTC(2026, 11, 7, 16, 0, 1),
      attributes,
      scope: 'some.genai.instrumentation',
      status: { code: 2, message: 'Request timed out for jane.doe@example.com.' },
    });
    // The tool first: the chat span's events are then written at once, not held (and redacted) first.
    const genai = [
      genaiSpan('execute_tool lookup', {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': 'lookup',
      }),
      genaiSpan('chat gpt-4o', {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o',
        'error.type': 'timeout',
      }),
    ];
    // Act
    for (const batch of lk.batches) expect((await post(url, protobufBody(batch))).status).toBe(200);
    expect((await post(url, protobufBody(turn1))).status, 'a retried export').toBe(200);
    for (const batch of pc) {
      const res = await post(url, gzipSync(jsonBody(batch)), {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      });
      expect(res.status).toBe(200);
    }
    expect((await post(url, jsonBody(genai), { 'content-type': 'application/json' })).status).toBe(200);
    await c.analytics.flush();
    // Assess: the error events
    const events = readLocalLake(lake).map((l) => l.event);
    const errorsOf = (call: string) =>
      events
        .filter((e) => e.call_id === call && e.event_type === 'error')
        .sort((x, y) => String(x.event_time).localeCompare(String(y.event_time)));
    // Fields the lake has no column for are in `custom`, a JSON string.
    const labelOf = (e: Record<string, unknown>) => JSON.parse(String(e.custom ?? '{}')).errorLabel;
    const lkErrors = errorsOf('RM_err');
    expect(
      lkErrors.map((e) => [e.error_source, e.error_type, labelOf(e), e.model_name, e.recoverable]),
      'error_type as the Node adapter writes it; the exception class (or HTTP status) as errorLabel',
    ).toEqual([
      ['llm', 'llm_error', 'APIConnectionError', 'fake-llm-1', undefined],
      ['tts', 'tts_error', '503', 'fake-tts-1', undefined],
      ['llm', 'llm_error', 'APIConnectionError', 'fake-llm-1', undefined],
    ]);
    expect(lkErrors[1]?.message).toBe('Service Unavailable');
    for (const e of [lkErrors[0], lkErrors[2]]) {
      expect(e?.message, 'the message redacted like a transcript').toMatch(
        /^Connection error while asking about /,
      );
      expect(e?.message).not.toContain('jane.doe@example.com');
    }
    expect(new Set(lkErrors.map((e) => e.event_id)).size).toBe(3);
    expect(events.find((e) => e.call_id === 'RM_err' && e.event_type === 'call_ended')).toMatchObject({
      errors: 3,
      tool_calls: 2,
      tool_errors: 1,
    });
    expect(errorsOf('conv-err')).toEqual([
      expect.objectContaining({
        error_source: 'llm',
        error_type: 'llm_error',
        message: 'Error code: 500',
        model_name: 'gpt-4o-mini',
      }),
    ]);
    expect(errorsOf('conv-err').map(labelOf)).toEqual(['APIStatusError']);
    expect(errorsOf(genaiTrace).map(labelOf)).toEqual(['timeout']);
    expect(events.find((e) => e.call_id === 'conv-err' && e.event_type === 'call_ended')).toMatchObject({
      errors: 1,
    });
    expect(errorsOf(genaiTrace)).toEqual([
      expect.objectContaining({
        error_source: 'llm',
        error_type: 'llm_error',
        message: expect.stringMatching(/^Request timed out for (?!jane\.doe@example\.com)/),
        model_name: 'gpt-4o',
      }),
    ]);
    expect(
      events.filter((e) => e.call_id === genaiTrace && e.event_type === 'tool_call').map((e) => e.is_error),
      'a failing tool is a tool_call error, not an error event',
    ).toEqual([true]);
    // Assess: the named queries
    expect(await query('errors', lake)).toEqual([
      { error_type: 'llm_error', error_source: 'llm', errors: 4, recoverable: 0, calls: 3 },
      { error_type: 'tts_error', error_source: 'tts', errors: 1, recoverable: 0, calls: 1 },
    ]);
    const calls = await query('calls', lake);
    expect(calls.map((r) => [r.call_id, r.errors])).toEqual(
      expect.arrayContaining([
        ['RM_err', 3],
        ['conv-err', 1],
      ]),
    );
  }, 60_000);

  it('answers bad input with the OTLP status codes, and loses nothing else', async () => {
    // Prepare
    const lake = tempDir('vl-collect-lake');
    const c = await collector(lake);
    open.push(c);
    const url = `${c.running.url}/v1/traces`;
    const { batches } = livekitCall('RM_bad');
    const fat = structuredClone(batches[0] ?? []);
    const target = fat[0];
    if (target) for (let i = 0; i < 10_000; i++) target.attributes[`k${i}`] = i;
    const badUtf8 = protobufBody(batches[1] ?? []);
    const at = badUtf8.indexOf(Buffer.from('Paris'));
    badUtf8[at] = 0xff;
    // Act
    const malformed = await post(url, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]));
    const wrongType = await post(url, protobufBody(batches[0] ?? []), { 'content-type': 'text/plain' });
    const oversize = await post(url, Buffer.alloc(9 * 1024 * 1024));
    const bomb = await post(url, gzipSync(Buffer.alloc(100 * 1024 * 1024)), {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'gzip',
    });
    const many = await post(url, jsonBody(fat), { 'content-type': 'application/json' });
    const invalid = await post(url, badUtf8);
    const notJson = await post(url, Buffer.from([0x7b, 0xff, 0x7d]), { 'content-type': 'application/json' });
    for (const batch of batches.slice(1)) expect((await post(url, protobufBody(batch))).status).toBe(200);
    await c.analytics.flush();
    // Assess
    expect(malformed.status).toBe(400);
    expect(wrongType.status).toBe(415);
    expect(oversize.status).toBe(413);
    expect(bomb.status).toBe(413);
    expect(many.status, 'a span over the attribute limit is a partial success').toBe(200);
    expect(JSON.parse(many.body.toString())).toMatchObject({ partialSuccess: { rejectedSpans: '1' } });
    expect(invalid.status).toBe(400);
    expect(notJson.status).toBe(400);
    const ended = readLocalLake(lake)
      .map((l) => l.event)
      .find((e) => e.event_type === 'call_ended');
    // The first batch lost one span (eou_wait, refused) and kept the rest: 5 user turns.
    expect(ended).toMatchObject({ call_id: 'RM_bad', user_turns: 5, turns: 5 });
  }, 60_000);

  it('closes a call whose root never comes after the idle timeout, across a restart', async () => {
    // Prepare
    const lake = tempDir('vl-collect-lake');
    const stateDir = tempDir('vl-collect-state');
    const spool = tempDir('vl-collect-spool');
    const first = await collector(lake, { stateDir, spool, idleTimeoutMs: 60 * 60_000 });
    const { batches } = livekitCall('RM_crash');
    for (const batch of batches.slice(0, 3))
      expect((await post(`${first.running.url}/v1/traces`, protobufBody(batch))).status).toBe(200);
    await first.running.close();
    await first.analytics.close();
    // Act: a restarted collector with a short timeout
    const second = await collector(lake, { stateDir, spool, idleTimeoutMs: 200 });
    open.push(second);
    await vi.waitFor(() => expect(second.running.collector.stats.callsTimedOut).toBe(1), { timeout: 10_000 });
    await second.analytics.flush();
    // Assess
    const events = readLocalLake(lake).map((l) => l.event);
    expect(events.find((e) => e.event_type === 'call_ended')).toMatchObject({
      call_id: 'RM_crash',
      close_reason: 'timeout',
      turns: 3,
      user_turns: 3,
    });
    expect(events.filter((e) => e.event_type === 'user_turn').length).toBe(3);
  }, 60_000);

  it('takes NDJSON events with an answer per line, and health and metrics', async () => {
    // Prepare
    const lake = tempDir('vl-collect-lake');
    const c = await collector(lake);
    open.push(c);
    const lines = [
      JSON.stringify({ type: 'call_started', callId: 'py-1' }),
      'not json',
      JSON.stringify({ type: '', callId: 'py-1' }),
      JSON.stringify({ type: 'agent_turn', callId: 'py-1', data: { e2eLatencyMs: 900 } }),
    ].join('\n');
    // Act
    const res = await post(`${c.running.url}/v1/events`, lines, { 'content-type': 'application/x-ndjson' });
    const health = await fetch(`${c.running.url}/healthz`);
    const metrics = await (await fetch(`${c.running.url}/metrics`)).text();
    await post(
      `${c.running.url}/v1/traces`,
      protobufBody([
        {
          traceId: hexId(16),
          spanId: hexId(8),
          name: 'x',
          startMs: Date.now(),
          endMs: Date.now(),
          attributes: {},
          scope: 'other',
        },
      ]),
    );
    // Assess
    expect(res.status).toBe(200);
    const { results } = JSON.parse(res.body.toString()) as { results: Record<string, unknown>[] };
    expect(results.map((r) => [r.line, r.accepted, r.reason])).toEqual([
      [1, true, undefined],
      [2, false, 'not_json'],
      [3, false, 'invalid_type'],
      [4, true, undefined],
    ]);
    expect(health.status).toBe(200);
    expect(metrics).toContain('voicelake_events_rejected_total{reason="invalid_type"} 1');
    expect(c.running.collector.stats.spansUnrecognized).toBe(1);
  }, 60_000);
});
