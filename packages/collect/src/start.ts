/**
 * `startCollector`: resolve the options, open the analytics pipeline (from the same environment
 * as the library), load pending calls, listen, sweep idle calls; `close()` drains within the
 * library's shutdown bound.
 */
import { availableParallelism } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { type Analytics, CollectError, ConfigError, createAnalytics, DEFAULTS } from 'voicelake';
import { acquireLock, HEARTBEAT_MS, readLockOwner, stateDir } from 'voicelake/state-files';
import { CallStore } from './calls/store.js';
import { Collector } from './collector.js';
import { createCollectorServer } from './http/server.js';
import { DecodePool } from './otlp/decode-pool.js';
import { progressLine } from './progress.js';

export interface CollectOptions {
  /** Port. Default 4318 (the OTLP/HTTP port); 0 picks a free one. */
  port?: number;
  /** Address to bind. Default `127.0.0.1`; any other needs `token` or `insecure`. */
  host?: string;
  /** Bearer token required on every request but `/healthz`. Default: `VOICELAKE_COLLECT_TOKEN`, else none. */
  token?: string;
  /** Allow a non-loopback address without a token. Default false. */
  insecure?: boolean;
  /** Largest request body on the wire. Default 8 MiB. */
  maxBodyBytes?: number;
  /** Largest body once gzip is inflated. Default 64 MiB. */
  maxDecompressedBytes?: number;
  /** A call with no new span for this long is closed with `close_reason: "timeout"`. Default 10 minutes. */
  idleTimeoutMs?: number;
  /** Where pending calls are kept. Default: `VOICELAKE_COLLECT_STATE_DIR`, else `<state dir>/collect/calls`. */
  stateDir?: string;
  /** The pipeline to write to. Default: `createAnalytics()` from the environment. */
  analytics?: Analytics;
}

export interface RunningCollector {
  readonly url: string;
  readonly collector: Collector;
  readonly analytics: Analytics;
  /** What it has done so far, in one line (the progress line of a terminal). */
  progressLine(): string;
  /** Stop accepting, answer what is in flight, close the pipeline (bounded). */
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export async function startCollector(options: CollectOptions = {}): Promise<RunningCollector> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? process.env.VOICELAKE_COLLECT_TOKEN;
  if (!LOOPBACK.has(host) && token === undefined && options.insecure !== true)
    throw new CollectError(
      `refusing to listen on ${host} without a token: pass --token (bearer) or, knowingly, --insecure`,
    );
  const port = options.port ?? 4318;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError(`port must be 0-65535, got ${port}`);
  const explicitDir = options.stateDir ?? process.env.VOICELAKE_COLLECT_STATE_DIR;
  if (explicitDir !== undefined && !isAbsolute(explicitDir))
    throw new ConfigError(`the state directory must be an absolute path, got ${explicitDir}`);
  const base = explicitDir ?? stateDir();
  const store = new CallStore(explicitDir ?? join(base, 'collect', 'calls'), base);
  const lock = await lockState(store.dir);
  const heartbeat = setInterval(() => lock.refresh(), HEARTBEAT_MS);
  heartbeat.unref();
  let analytics: Analytics | undefined;
  let decoder: DecodePool | undefined;
  /** Everything start-up took, given back: the decoding thread, the pipeline (when it made it), the log, the lock. */
  const release = async (): Promise<void> => {
    await decoder?.close();
    if (analytics !== undefined && options.analytics === undefined)
      await analytics.close({ timeoutMs: DEFAULTS.closeTimeoutMs });
    await store.close();
    clearInterval(heartbeat);
    lock.release();
  };
  let collector: Collector;
  let served: ReturnType<typeof createCollectorServer>;
  try {
    analytics = options.analytics ?? createAnalytics();
    const { logger } = analytics;
    // On a single CPU a second thread only adds the structured clone's cost: decode inline there.
    decoder = new DecodePool(availableParallelism() > 1 ? undefined : false, (error) =>
      logger.warn({ error: error.message }, `collect: ${error.message}`),
    );
    collector = new Collector({
      analytics,
      store,
      idleTimeoutMs: options.idleTimeoutMs ?? 10 * 60_000,
      closedKeepMs: 60 * 60_000,
    });
    served = createCollectorServer({
      collector,
      analytics,
      decoder,
      maxBodyBytes: options.maxBodyBytes ?? 8 * 1024 * 1024,
      maxDecompressedBytes: options.maxDecompressedBytes ?? 64 * 1024 * 1024,
      token,
      retryAfterSeconds: 5,
      commitTimeoutMs: 10_000,
    });
    const { server } = served;
    // The decoding thread loaded before the first request can come.
    await decoder.ready();
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) =>
        reject(new CollectError(`cannot listen on ${host}:${port}: ${error.message}`, { cause: error })),
      );
      server.listen(port, host, resolve);
    });
  } catch (error) {
    await release();
    throw error;
  }
  const { server, http } = served;
  const pipeline = analytics;
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  const sweepEvery = Math.max(50, Math.min(30_000, Math.floor((options.idleTimeoutMs ?? 600_000) / 4)));
  let sweeping: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    sweeping = sweeping
      .then(() => collector.sweep())
      .catch((error: unknown) => {
        pipeline.logger.error({ error: (error as Error).message }, 'collect: closing idle calls failed');
      });
  }, sweepEvery);
  timer.unref();
  void sweeping;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    collector,
    analytics: pipeline,
    progressLine: () => progressLine(collector.stats, http, pipeline),
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await sweeping;
        await release();
      })();
      return closing;
    },
  };
}

/** The state directory's lock: one collector per directory (they would interleave the call log). */
async function lockState(dir: string): Promise<Awaited<ReturnType<typeof acquireLock>>> {
  try {
    return await acquireLock(dir);
  } catch (error) {
    const owner = readLockOwner(dir);
    const who = owner === undefined ? (error as Error).message : `process ${owner.pid} on ${owner.host}`;
    throw new CollectError(
      `the state directory ${dir} is in use by another voicelake collect (${who}); give each collector its own --state-dir`,
      { cause: error },
    );
  }
}
