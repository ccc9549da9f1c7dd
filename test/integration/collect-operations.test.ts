/**
 * Running `voicelake collect` as an operator does, through the CLI's real bin: it refuses a
 * non-loopback address without a token, checks the bearer token, drains and exits on SIGTERM within
 * the library's close bound, and its spool is the one `voicelake spool status` finds; and, in
 * process, a spool near its limit answers 503 with Retry-After instead of dropping acknowledged
 * events.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAnalytics, DEFAULTS } from 'voicelake';
import { type RunningCollector, startCollector } from '../../packages/collect/src/index.js';
import { voicelake } from '../helpers/cli.js';
import {
  type CollectorProcess,
  collectorDirs,
  queryLake,
  startCollectorProcess,
} from '../helpers/collect-process.js';
import { readLocalLake } from '../helpers/lake.js';
import { freePort } from '../helpers/net.js';
import { hexId, protobufBody } from '../helpers/otlp.js';
import { childEnv } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';

const CLI_BIN = resolve(import.meta.dirname, '../../packages/cli/bin/voicelake.js');

/** NDJSON of `n` track() inputs for call `callId`, each with `pad` characters of text. */
function events(callId: string, n: number, pad = 10): string {
  const time = new Date().toISOString();
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      type: 'agent_turn',
      callId,
      agentId: 'ops-agent',
      time,
      data: { text: `${'x'.repeat(pad)} ${i}`, e2eLatencyMs: 100 + i },
    }),
  ).join('\n');
}

const postEvents = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson', ...headers },
    body,
  });

/** An S3 destination nothing answers for: its events stay in the spool. */
async function unreachableS3(): Promise<Record<string, string>> {
  return {
    ANALYTICS_S3_BUCKET: 'vl-collect-unreachable',
    AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${await freePort()}`,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  };
}

const running: CollectorProcess[] = [];
const inProcess: RunningCollector[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) if (c.child.exitCode === null) await c.stop();
  for (const c of inProcess.splice(0)) {
    await c.close();
    await c.analytics.close();
  }
});

describe('voicelake collect, operated', () => {
  it('refuses a non-loopback address without --token or --insecure, with a typed error', async () => {
    // Prepare
    const port = await freePort();
    // Act
    const result = await new Promise<{ code: number | null; stderr: string }>((done) => {
      execFile(
        process.execPath,
        [CLI_BIN, 'collect', '--host', '0.0.0.0', '--port', String(port)],
        { env: childEnv({ ANALYTICS_LAKE_DIR: tempDir('vl-collect-lake') }), timeout: 30_000 },
        (error, _stdout, stderr) => done({ code: error ? Number(error.code) : 0, stderr }),
      );
    });
    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without a token/);
    expect(result.stderr).toMatch(/\[VL_ERR_COLLECT\]/);
  });

  it('on any address with --token, answers only requests that carry the bearer token', async () => {
    // Prepare
    const dirs = collectorDirs();
    const collector = await startCollectorProcess(dirs, { args: ['--host', '0.0.0.0', '--token', 's3cret'] });
    running.push(collector);
    // Act
    const none = await postEvents(collector.url, events('call-token', 1));
    const wrong = await postEvents(collector.url, events('call-token', 1), { authorization: 'Bearer nope' });
    const metricsWithout = await fetch(`${collector.url}/metrics`);
    const health = await fetch(`${collector.url}/healthz`);
    const right = await postEvents(collector.url, events('call-token', 2), {
      authorization: 'Bearer s3cret',
    });
    // Assess
    expect([none.status, wrong.status, metricsWithout.status]).toEqual([401, 401, 401]);
    expect(health.status, '/healthz needs no token').toBe(200);
    expect(right.status).toBe(200);
    expect(((await right.json()) as { results: { accepted: boolean }[] }).results).toHaveLength(2);
  });

  it('on SIGTERM, drains what it acknowledged into the lake and exits within the close bound', async () => {
    // Prepare
    const dirs = collectorDirs();
    const collector = await startCollectorProcess(dirs);
    running.push(collector);
    const res = await postEvents(collector.url, events('call-sigterm', 50));
    expect(res.status).toBe(200);
    // Act
    const sent = Date.now();
    const exit = await collector.stop();
    const tookMs = Date.now() - sent;
    // Assess
    expect(exit).toEqual({ code: 0, signal: null });
    expect(tookMs, 'within DEFAULTS.closeTimeoutMs and a process exit').toBeLessThan(
      DEFAULTS.closeTimeoutMs + 1000,
    );
    const lake = readLocalLake(dirs.lake).filter((l) => l.event.call_id === 'call-sigterm');
    expect(lake).toHaveLength(50);
    const [interruptions] = await queryLake('interruptions', dirs.lake);
    expect(interruptions).toMatchObject({ agent_id: 'ops-agent', agent_turns: 50 });
  });

  it('keeps a progress line, on a terminal or with --progress, and leaves the last one on exit', async () => {
    // Prepare
    const dirs = collectorDirs();
    const collector = await startCollectorProcess(dirs, { args: ['--progress'] });
    running.push(collector);
    // Act
    expect((await postEvents(collector.url, events('call-progress', 3))).status).toBe(200);
    await vi.waitFor(() => expect(collector.stderr).toContain('→ 3 events'), { timeout: 10_000 });
    const exit = await collector.stop();
    // Assess
    expect(exit.code).toBe(0);
    const lines = collector.stderr.split(/[\r\n]/).filter((l) => l.startsWith('voicelake collect: '));
    expect(lines.length, 'redrawn in place').toBeGreaterThan(1);
    expect(lines.at(-1)).toBe(
      'voicelake collect: 0 spans (0 unrecognized) → 3 events (0 refused); calls 0 open, 0 closed (0 timed out);' +
        ' pending local 0; 0 requests answered non-200\x1b[K',
    );
    expect(collector.stderr.endsWith('\x1b[K\n'), 'the last line ends the output').toBe(true);
  });

  it('keeps its spool where `voicelake spool status` finds it, with the owner and the backlog', async () => {
    // Prepare: the default spool directory (no ANALYTICS_SPOOL_DIR), an S3 lake that never answers
    const dirs = { ...collectorDirs(), spool: '' };
    const env = await unreachableS3();
    const collector = await startCollectorProcess(dirs, { env });
    running.push(collector);
    expect((await postEvents(collector.url, events('call-status', 7))).status).toBe(200);
    // Act: the CLI with the same environment and no --spool-dir, until the spool has recorded
    // the S3 backlog (its cursors are persisted in the background)
    type Status = {
      records: number;
      owner?: { pid: number; alive: boolean };
      destinations: { destination: string; events: number }[];
    };
    const statusEnv = {
      ...process.env,
      ...env,
      ANALYTICS_LAKE_DIR: dirs.lake,
      ANALYTICS_SPOOL_DIR: undefined,
    };
    const deadline = Date.now() + 20_000;
    let stdout = '';
    let status: Status;
    do {
      stdout = (await voicelake(['spool', 'status', '--json'], statusEnv)).stdout;
      status = JSON.parse(stdout) as Status;
    } while (!status.destinations.some((d) => d.destination === 's3') && Date.now() < deadline);
    // Assess
    expect(status.owner).toMatchObject({ pid: collector.child.pid, alive: true });
    expect(status.records).toBeGreaterThanOrEqual(7);
    expect(status.destinations.find((d) => d.destination === 's3')?.events, stdout).toBe(7);
  });

  it('answers 503 with Retry-After once the spool is near its limit, and keeps what it acknowledged', async () => {
    // Prepare: a 1 MiB spool in front of an S3 lake that never answers
    const s3 = await unreachableS3();
    const analytics = createAnalytics({
      s3: { bucket: 'vl-collect-unreachable' },
      aws: { endpoint: s3.AWS_ENDPOINT_URL_S3, region: 'us-east-1' },
      cloudWatch: false,
      local: false,
      spool: { dir: tempDir('vl-collect-full-spool'), maxBytes: 1024 * 1024, segmentBytes: 256 * 1024 },
      logger: { info() {}, warn() {}, error() {}, debug() {} } as never,
    });
    const collector = await startCollector({ port: 0, analytics, stateDir: tempDir('vl-collect-state') });
    inProcess.push(collector);
    // Act: 100-event requests of ~2 KB events until one is refused
    const statuses: number[] = [];
    let refused: Response | undefined;
    for (let i = 0; i < 20 && refused === undefined; i++) {
      const res = await postEvents(collector.url, events(`call-full-${i}`, 100, 2000));
      statuses.push(res.status);
      if (res.status !== 200) refused = res;
    }
    // Assess
    expect(refused?.status, `statuses ${statuses.join(',')}`).toBe(503);
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused?.text()).toMatch(/spool is full/);
    const traceId = hexId(16);
    const spans = Array.from({ length: 100 }, () => ({
      traceId,
      spanId: hexId(8),
      name: 'execute_tool',
      startMs: Date.now(),
      endMs: Date.now() + 5,
      attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'x'.repeat(2000) },
      scope: 'any',
    }));
    const traces = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: protobufBody(spans),
    });
    expect(traces.status, 'traces are refused too').toBe(503);
    expect(traces.headers.get('retry-after')).not.toBeNull();
    const accepted = statuses.filter((s) => s === 200).length * 100;
    expect(accepted).toBeGreaterThan(0);
    expect(analytics.stats().destinations.s3, 'nothing acknowledged was dropped').toMatchObject({
      dropped: 0,
      pending: accepted,
    });
  });

  it('refuses a second collector on the same state directory, naming the first; the directory is free once it closed', async () => {
    // Prepare
    const stateDir = tempDir('vl-collect-shared-state');
    const quiet = () =>
      createAnalytics({
        local: { dir: tempDir('vl-collect-lake') },
        s3: false,
        cloudWatch: false,
        spool: { dir: tempDir('vl-collect-spool') },
        logger: { info() {}, warn() {}, error() {}, debug() {} } as never,
      });
    const first = await startCollector({ port: 0, analytics: quiet(), stateDir });
    inProcess.push(first);
    // Act
    const refusedAnalytics = quiet();
    const second = startCollector({ port: 0, analytics: refusedAnalytics, stateDir });
    // Assess
    await expect(second).rejects.toThrow(
      new RegExp(
        `state directory ${stateDir} is in use by another voicelake collect \\(process ${process.pid} `,
      ),
    );
    await refusedAnalytics.close();
    await first.close();
    const third = await startCollector({ port: 0, analytics: quiet(), stateDir });
    inProcess.push(third);
    expect(third.url).toMatch(/^http:/);
  });
});
