/**
 * 4. Event-loop delay (perf_hooks.monitorEventLoopDelay), p99 and max: idle; with S3 and
 * CloudWatch active at 2,000 and 20,000 events/s; during the flush of a large batch.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createAnalytics } from '../packages/voicelake/src/index.js';
import { silentLogger } from '../packages/voicelake/src/logger.js';
import { demoEvents, type Options, round, sleep } from './common.js';

type Phase = { p50Ms: number; p99Ms: number; maxMs: number; events: number };

async function measure(run: () => Promise<number>): Promise<Phase> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const events = await run();
  h.disable();
  return {
    p50Ms: round(h.percentile(50) / 1e6),
    p99Ms: round(h.percentile(99) / 1e6),
    maxMs: round(h.max / 1e6),
    events,
  };
}

export async function loopDelay(
  options: Options,
  endpoint: string,
  spoolDir: (name: string) => string,
  bucket: string,
) {
  const events = demoEvents(options.quick ? 50 : 4000, 3);
  const seconds = options.quick ? 1 : 6;
  const make = (name: string, extra: object = {}) =>
    createAnalytics({
      s3: { bucket, ...extra },
      cloudWatch: { logGroup: `/bench/loop-${name}-${Date.now().toString(36)}` },
      local: false,
      aws: { endpoint, region: 'us-east-1' },
      spool: { dir: spoolDir(name) },
      logger: silentLogger,
      env: {},
    });
  let i = 0;
  /** Track at `rate`/s in 5 ms ticks for `seconds`. */
  const steady = (analytics: ReturnType<typeof make>, rate: number) =>
    new Promise<number>((resolve) => {
      const start = performance.now();
      let sent = 0;
      const timer = setInterval(() => {
        const elapsed = performance.now() - start;
        const due = Math.min(Math.floor((elapsed / 1000) * rate), rate * seconds);
        while (sent < due) {
          analytics.track(events[i++ % events.length]);
          sent++;
        }
        if (elapsed >= seconds * 1000) {
          clearInterval(timer);
          resolve(sent);
        }
      }, 5);
    });

  const idle = await measure(async () => {
    await sleep(seconds * 1000);
    return 0;
  });
  const a2k = make('2k', { intervalMs: 1000 });
  const at2k = await measure(() => steady(a2k, 2000));
  await a2k.close({ timeoutMs: 60_000 });
  const a20k = make('20k', { intervalMs: 1000 });
  const at20k = await measure(() => steady(a20k, 20_000));
  await a20k.close({ timeoutMs: 60_000 });
  // A large batch: tracked with delivery held back, then one flush.
  const big = make('flush', {
    intervalMs: 3_600_000,
    maxBatchBytes: 256 * 1024 * 1024,
    maxBatchEvents: 1_000_000,
  });
  const n = options.quick ? 2000 : 100_000;
  for (let k = 0; k < n; k++) {
    big.track(events[k % events.length]);
    if (k % 5000 === 4999) await new Promise((r) => setImmediate(r));
  }
  await sleep(200);
  const flush = await measure(async () => {
    await big.flush();
    return n;
  });
  await big.close({ timeoutMs: 60_000 });
  return { idle, at2k, at20k, flush };
}
