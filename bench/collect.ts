/**
 * 12–13. `voicelake collect`: OTLP/HTTP requests shaped like LiveKit Agents' (test/helpers/otlp.ts,
 * protobuf, children first and the root last), into a real collector on loopback. The exporters
 * run in a process of their own (bench/collect-sender.ts), as agents do: the collector's process
 * spends its CPU on the collector alone.
 *
 * 12. Ingest throughput: spans/s from the first request to the last event in the local lake,
 * every request answered only after its events were fsynced to the spool (16 agent processes
 * exporting at once, each running 8 calls whose spans its BatchSpanProcessor sends together),
 * beside the limit of the same requests decoded and mapped with no I/O at all (protobuf decode,
 * the collector's mapping, a `track()` that only counts, no HTTP, no spool, no state files). In
 * alternating rounds; the ratio is the median of the rounds'.
 *
 * 13. Ack latency: request sent → 200, p99, at 10× the span rate of a host running 32 calls at
 * once. A LiveKit call sends ~86 spans over ~35 s (docs/collect.md), so 32 calls send ~79
 * spans/s and 10× is ~786 spans/s: 32 exporters, each posting one call's batches in turn, paced
 * to that rate, into a collector writing to the local lake with its spool on.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
// The collector's own `voicelake` (the built package), as it runs.
import { type Analytics, createAnalytics } from 'voicelake';
import type { CallStore } from '../packages/collect/src/calls/store.js';
import { Collector } from '../packages/collect/src/collector.js';
import { startCollector } from '../packages/collect/src/index.js';
import { decodeProtobuf } from '../packages/collect/src/otlp/decode-protobuf.js';
import { livekitCall, protobufBody } from '../test/helpers/otlp.js';
import { median, type Options, quantile, round, roundedRatio, settle } from './common.js';

/**
 * Export requests of `n` LiveKit calls, as agent processes send them: each process runs `perProcess`
 * calls at once and its BatchSpanProcessor puts their spans of the same moment in one request
 * (batch j of each of its calls). Returns each process's requests, in order, and the span count.
 */
function calls(n: number, tag: string, perProcess: number): { bodies: Buffer[][]; spans: number } {
  const bodies: Buffer[][] = [];
  let spans = 0;
  const t0 = Date.now() - 3_600_000;
  for (let p = 0; p * perProcess < n; p++) {
    const group = Array.from({ length: Math.min(perProcess, n - p * perProcess) }, (_, i) =>
      livekitCall(`RM_${tag}_${p}_${i}`, t0 + (p * perProcess + i) * 60_000),
    );
    const requests: Buffer[] = [];
    for (let j = 0; j < Math.max(...group.map((c) => c.batches.length)); j++) {
      const merged = group.flatMap((c) => c.batches[j] ?? []);
      spans += merged.length;
      requests.push(protobufBody(merged));
    }
    bodies.push(requests);
  }
  return { bodies, spans };
}

const nullAnalytics = {
  track: () => ({ accepted: true, eventId: '' }),
  commit: async () => 'persisted',
  redact: (text: string) => text,
} as unknown as Analytics;
const nullStore = {
  load: () => [],
  save: async () => {},
  remove: () => {},
} as unknown as CallStore;

/** The limit: decode and map every request, in order, with no I/O. */
async function limitRun(bodies: Buffer[][]): Promise<number> {
  const collector = new Collector({
    analytics: nullAnalytics,
    store: nullStore,
    idleTimeoutMs: 600_000,
    closedKeepMs: 3_600_000,
  });
  const t0 = performance.now();
  for (const call of bodies) for (const body of call) await collector.ingest(decodeProtobuf(body).spans);
  return performance.now() - t0;
}

/** Run a job in the sender process (bench/collect-sender.ts); its JSON result. */
async function sender<T>(job: Record<string, unknown>, bodies: Buffer[][]): Promise<T> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'collect-sender.ts')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const out = text(child.stdout);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.stdin.end(
    JSON.stringify({ ...job, bodies: bodies.map((call) => call.map((b) => b.toString('base64'))) }),
  );
  const [result, code] = await Promise.all([out, exited]);
  if (code !== 0) throw new Error(`bench: the sender process exited with ${code}`);
  return JSON.parse(result) as T;
}

/** A collector over a fresh spool and local lake; `close` flushes the lake. */
async function realCollector(work: string, name: string) {
  const analytics = createAnalytics({
    local: { dir: join(work, `lake-${name}`) },
    s3: false,
    cloudWatch: false,
    spool: { dir: join(work, `spool-${name}`) },
    logger: { info() {}, warn() {}, error() {}, debug() {} } as never,
  });
  const running = await startCollector({ port: 0, analytics, stateDir: join(work, `state-${name}`) });
  return {
    url: running.url,
    async close() {
      await running.close();
      await analytics.close();
    },
  };
}

/**
 * Durable ingest: `senders` exporters (in their own process) share the calls; timed from the first
 * request sent until the lake holds everything.
 */
async function durableRun(bodies: Buffer[][], work: string, name: string, senders: number): Promise<number> {
  const c = await realCollector(work, name);
  const { startMs } = await sender<{ startMs: number }>({ kind: 'flood', url: c.url, senders }, bodies);
  await c.close();
  return Date.now() - startMs;
}

/** Ack latencies at `spansPerSecond`, spread over `exporters` paced senders, for `seconds`. */
async function ackLatency(work: string, exporters: number, spansPerSecond: number, seconds: number) {
  const { bodies, spans } = calls(exporters * 4, 'ack', 1);
  const spansPerRequest = spans / bodies.reduce((n, b) => n + b.length, 0);
  const requestGapMs = (1000 * exporters * spansPerRequest) / spansPerSecond;
  const c = await realCollector(work, 'ack');
  const { latencies, sent } = await sender<{ latencies: number[]; sent: number }>(
    { kind: 'paced', url: c.url, exporters, requestGapMs, seconds, spansPerRequest },
    bodies,
  );
  await c.close();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    spansPerSecond: round(sent / seconds, 0),
    p50Ms: round(quantile(latencies, 0.5), 1),
    p99Ms: round(quantile(latencies, 0.99), 1),
    maxMs: round(latencies[latencies.length - 1] ?? Number.NaN, 1),
  };
}

export async function collectIngest(options: Options) {
  const work = mkdtempSync(join(tmpdir(), 'vl-bench-collect-'));
  try {
    const rounds = options.quick ? 3 : 5;
    // 1,200 calls (about 50,000 spans, 2 s a round): a steady state. With 300 (about 0.5 s), the
    // lake's one write at close (the local lake batches for 30 s) and the warm-up were 15% of a round.
    const n = options.quick ? 10 : Number(process.env.BENCH_COLLECT_CALLS ?? 1200);
    const senders = Number(process.env.BENCH_COLLECT_SENDERS ?? 16);
    const perProcess = 8;
    const ratios: number[] = [];
    const limitRates: number[] = [];
    const durableRates: number[] = [];
    let spanCount = 0;
    for (let r = 0; r < rounds; r++) {
      // Fresh trace ids every round, for both sides: nothing is a duplicate.
      const { bodies, spans } = calls(n, `r${r}`, perProcess);
      spanCount = spans;
      settle();
      const limitMs = await limitRun(bodies);
      settle();
      const durableMs = await durableRun(bodies, work, `r${r}`, senders);
      limitRates.push((spans * 1000) / limitMs);
      durableRates.push((spans * 1000) / durableMs);
      ratios.push(limitMs / durableMs);
    }
    // 32 calls × 86 spans / 35 s, times 10.
    const targetRate = Math.round(((10 * 32 * 86) / 35) * 10) / 10;
    const ack = await ackLatency(work, 32, targetRate, options.quick ? 2 : 20);
    return {
      /** When these rows were measured (they may be spliced into an earlier run's results). */
      measuredAt: new Date().toISOString(),
      calls: n,
      spansPerRound: spanCount,
      senders,
      callsPerRequest: perProcess,
      limitSpansPerSecond: round(median(limitRates), 0),
      spansPerSecond: round(median(durableRates), 0),
      ratio: roundedRatio(ratios),
      ack: { targetSpansPerSecond: targetRate, ...ack },
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
