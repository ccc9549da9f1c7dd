/**
 * The real Python frameworks into a real `voicelake collect`: LiveKit Agents 1.8.9 (a real
 * AgentSession with fake models, test/python/livekit_call.py) and Pipecat 1.14.0 (a real
 * PipelineWorker with its OpenAI services on a fake OpenAI server, test/python/pipecat_call.py)
 * export their traces over OTLP/HTTP; the lake and the named queries must then say what the spans
 * said. Nothing reaches the internet: the venv is built in the global setup (test/helpers/venv.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CollectorDirs,
  type CollectorProcess,
  collectorDirs,
  queryLake as query,
  runPython,
  startCollectorProcess,
} from '../helpers/collect-process.js';
import { readLocalLake } from '../helpers/lake.js';
import { agentsPython, agentTestsOff } from '../helpers/venv.js';

interface SpansSaid {
  /** LiveKit: `llm_request_run` spans whose status is ERROR. */
  failedLlmAttempts?: number;
  roomSid?: string;
  conversationId?: string;
  traceId: string;
  spans: number;
  userTurns: number;
  agentTurns: { e2e: number; interrupted: boolean }[];
  tools: { name: string; isError: boolean }[];
}

const running: CollectorProcess[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) if (c.child.exitCode === null) await c.stop();
});

/** A real collector; the script's call exported into it; the collector stopped (its lake complete). */
async function callInto(script: string, args: string[]): Promise<{ dirs: CollectorDirs; said: SpansSaid }> {
  const dirs = collectorDirs();
  const collector = await startCollectorProcess(dirs);
  running.push(collector);
  const run = await runPython(agentsPython(), script, [`${collector.url}/v1/traces`, ...args], 120_000);
  expect(run.code, run.stderr).toBe(0);
  const stopped = await collector.stop();
  expect(stopped.code, collector.stderr).toBe(0);
  return { dirs, said: run.result as SpansSaid };
}

// On .ci/run's extra Node legs (VOICELAKE_AGENT_TESTS=off) the frameworks run on the first leg only.
describe.skipIf(agentTestsOff())('the real LiveKit Agents and Pipecat into voicelake collect', () => {
  it('a LiveKit AgentSession call: turns, e2e latency, the failing tool, the interruption and a failed model attempt', async () => {
    // Prepare, Act: a greeting, a tool call, a failing tool, an interrupted answer, a goodbye; the
    // model's first attempt fails (a dropped connection) and LiveKit retries it
    const { dirs, said } = await callInto('livekit_call.py', ['AJ_collect_test', '2', '1']);
    // Assess: what the spans said
    expect(said.failedLlmAttempts).toBe(1);
    expect(said.userTurns).toBe(5);
    expect(said.agentTurns).toHaveLength(5);
    expect(said.agentTurns.filter((t) => t.interrupted)).toHaveLength(1);
    expect(said.tools).toEqual([
      { name: 'get_weather', isError: false },
      { name: 'book_table', isError: true },
    ]);
    // Assess: the lake holds each span's numbers
    const events = readLocalLake(dirs.lake).map((l) => l.event);
    const ofCall = events.filter((e) => e.call_id === said.roomSid);
    expect(ofCall.length, 'every event carries the room sid as the call id').toBe(events.length);
    const turns = ofCall.filter((e) => e.event_type === 'agent_turn');
    expect(turns.map((e) => e.e2e_latency_ms).sort()).toEqual(
      said.agentTurns.map((t) => Math.round(t.e2e * 1e6) / 1e3).sort(),
    );
    expect(turns.filter((e) => e.interrupted === true)).toHaveLength(1);
    expect(ofCall.filter((e) => e.event_type === 'call_ended')).toHaveLength(1);
    // Assess: the named queries
    const [call] = await query('calls', dirs.lake);
    expect(call).toMatchObject({
      call_id: said.roomSid,
      agent_id: 'livekit-test-agent',
      turns: 5,
      interruptions: 1,
      tool_calls: 2,
      tool_errors: 1,
    });
    const [turnRow] = await query('turns', dirs.lake);
    const e2eSorted = said.agentTurns.map((t) => t.e2e * 1000).sort((a, b) => a - b);
    expect(turnRow).toMatchObject({ agent_turns: 5, e2e_p50: Math.round(e2eSorted[2] ?? Number.NaN) });
    const tools = await query('tools', dirs.lake);
    expect(tools).toEqual([
      { tool_name: 'book_table', calls: 1, errors: 1, error_pct: 100 },
      { tool_name: 'get_weather', calls: 1, errors: 0, error_pct: 0 },
    ]);
    const [interruptions] = await query('interruptions', dirs.lake);
    expect(interruptions).toMatchObject({ agent_turns: 5, interrupted: 1 });
    // Assess: the failed attempt, as the Node adapter records a model error
    const errors = ofCall.filter((e) => e.event_type === 'error');
    expect(errors).toEqual([
      expect.objectContaining({
        error_source: 'llm',
        error_type: 'llm_error',
        message: 'fake connection reset by peer',
        model_name: 'fake-llm-1',
      }),
    ]);
    expect(JSON.parse(String(errors[0]?.custom)).errorLabel).toBe('APIConnectionError');
    expect(ofCall.find((e) => e.event_type === 'call_ended')).toMatchObject({ errors: 1 });
    expect(await query('errors', dirs.lake)).toEqual([
      { error_type: 'llm_error', error_source: 'llm', errors: 1, recoverable: 0, calls: 1 },
    ]);
  });

  it('a Pipecat PipelineWorker call: turns, e2e latency, the failing tool and the interruption', async () => {
    // Prepare, Act: the same script through Pipecat's OpenAI services and a fake OpenAI server
    const { dirs, said } = await callInto('pipecat_call.py', ['conv-collect-test']);
    // Assess: what the spans said
    expect(said.userTurns).toBe(5);
    expect(said.agentTurns).toHaveLength(5);
    expect(said.agentTurns[3]?.interrupted, 'the long story is interrupted').toBe(true);
    // Assess: the lake holds each span's numbers and flags, in turn order
    const events = readLocalLake(dirs.lake).map((l) => l.event);
    expect(events.every((e) => e.call_id === 'conv-collect-test')).toBe(true);
    const turns = events
      .filter((e) => e.event_type === 'agent_turn')
      .sort((a, b) => String(a.event_time).localeCompare(String(b.event_time)));
    expect(turns.map((e) => [e.e2e_latency_ms, e.interrupted])).toEqual(
      said.agentTurns.map((t) => [Math.round(t.e2e * 1e6) / 1e3, t.interrupted]),
    );
    const tools = events.filter((e) => e.event_type === 'tool_call');
    expect(tools.map((e) => [e.tool_name, e.is_error])).toEqual([
      ['get_weather', false],
      ['book_table', true],
    ]);
    // Assess: the named queries
    const interrupted = said.agentTurns.filter((t) => t.interrupted).length;
    const [call] = await query('calls', dirs.lake);
    expect(call).toMatchObject({
      call_id: 'conv-collect-test',
      agent_id: 'pipecat-test-bot',
      turns: 5,
      interruptions: interrupted,
      tool_calls: 2,
      tool_errors: 1,
    });
    expect(await query('tools', dirs.lake)).toEqual([
      { tool_name: 'book_table', calls: 1, errors: 1, error_pct: 100 },
      { tool_name: 'get_weather', calls: 1, errors: 0, error_pct: 0 },
    ]);
    const [turnRow] = await query('turns', dirs.lake);
    const e2eSorted = said.agentTurns.map((t) => t.e2e * 1000).sort((a, b) => a - b);
    expect(turnRow).toMatchObject({ agent_turns: 5, e2e_p50: Math.round(e2eSorted[2] ?? Number.NaN) });
    const [interruptions] = await query('interruptions', dirs.lake);
    expect(interruptions).toMatchObject({ agent_turns: 5, interrupted });
  });
});
