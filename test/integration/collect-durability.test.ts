/**
 * `voicelake collect` acknowledges a span only once its event is fsynced to the spool, and OTLP
 * exporters retry what was not acknowledged: so 8 real OpenTelemetry exporters (Python SDK,
 * test/python/otlp_exporter.py) sending at once, with the collector SIGKILLed mid-run and started
 * again on the same port and spool, must leave every span they sent in the lake exactly once.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as collect from '../helpers/collect-process.js';
import { readLocalLake } from '../helpers/lake.js';
import { agentsPython, agentTestsOff } from '../helpers/venv.js';

const EXPORTERS = 8;
const SPANS_EACH = 300;

async function spansReceived(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^voicelake_collect_spans_received_total (\d+)$/m.exec(text)?.[1] ?? 0);
}

const running: collect.CollectorProcess[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) if (c.child.exitCode === null) await c.stop();
});

// The exporters are the real Python SDK's, from the agents venv (off on .ci/run's extra Node legs).
describe.skipIf(agentTestsOff())('voicelake collect under 8 exporters and a SIGKILL', () => {
  it('has every span any exporter sent in the lake exactly once', async () => {
    // Prepare
    const dirs = collect.collectorDirs();
    const first = await collect.startCollectorProcess(dirs);
    running.push(first);
    const python = agentsPython();
    // Act: 8 exporters at once; the collector killed once a third of the spans came, then restarted
    const exporters = Array.from({ length: EXPORTERS }, (_, i) =>
      collect.runPython(
        python,
        'otlp_exporter.py',
        [`${first.url}/v1/traces`, `exporter${i}`, String(SPANS_EACH), '0.01'],
        180_000,
      ),
    );
    const before = await vi.waitFor(
      async () => {
        const n = await spansReceived(first.url);
        expect(n, `spans in so far\n${first.stderr}`).toBeGreaterThanOrEqual((EXPORTERS * SPANS_EACH) / 3);
        return n;
      },
      { timeout: 60_000, interval: 20 },
    );
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const second = await collect.startCollectorProcess(dirs, { port: first.port });
    running.push(second);
    const runs = await Promise.all(exporters);
    const afterRestart = await spansReceived(second.url);
    const stopped = await second.stop();
    // Assess: every exporter finished with every span acknowledged
    expect(stopped.code, second.stderr).toBe(0);
    const acked: string[] = [];
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(0);
      const result = run.result as { acked: string[]; failed: string[] };
      expect(result.failed).toEqual([]);
      acked.push(...result.acked);
    }
    expect(acked).toHaveLength(EXPORTERS * SPANS_EACH);
    expect(before, 'the kill came mid-run').toBeLessThan(EXPORTERS * SPANS_EACH);
    expect(afterRestart, 'the restarted collector took the rest').toBeGreaterThan(0);
    // Assess: the lake holds each of them under one event id. A request committed but not answered
    // before the kill is sent again and written again with the same id (readers count it once).
    const calls = readLocalLake(dirs.lake)
      .map((l) => l.event)
      .filter((e) => e.event_type === 'tool_call');
    const idOf = new Map<string, Set<unknown>>();
    for (const e of calls)
      idOf.set(String(e.tool_call_id), (idOf.get(String(e.tool_call_id)) ?? new Set()).add(e.event_id));
    expect([...idOf.keys()].sort(), 'no span lost, none invented').toEqual([...acked].sort());
    expect(
      [...idOf.values()].filter((ids) => ids.size !== 1),
      'one event id per span',
    ).toEqual([]);
    const [tools] = await collect.queryLake('tools', dirs.lake);
    expect(tools, 'readers count each span once').toMatchObject({ tool_name: 'lookup', calls: acked.length });
  });
});
