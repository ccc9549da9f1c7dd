/**
 * 1. Hot path: the cost of one `track()` call on realistic voice events, beside pino logging
 * the same object to a buffered destination, in the same process, interleaved.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createAnalytics } from '../packages/voicelake/src/index.js';
import { silentLogger } from '../packages/voicelake/src/logger.js';
import { demoEvents, type Options, round, summarize } from './common.js';

export async function hotPath(options: Options) {
  const events = demoEvents(options.quick ? 20 : 400);
  const dir = mkdtempSync(join(tmpdir(), 'vl-bench-hot-'));
  const analytics = createAnalytics({
    local: { dir: join(dir, 'lake') },
    spool: { dir: join(dir, 'spool') },
    logger: silentLogger,
    env: {},
  });
  const logger = pino(pino.destination({ dest: '/dev/null', sync: false, minLength: 8 * 1024 }));
  const batch = 100;
  const rounds = options.quick ? 20 : 600;
  const trackNs: number[] = [];
  const pinoNs: number[] = [];
  let i = 0;
  // Warm up both paths (JIT), then alternate batches so both see the same machine noise.
  for (let w = 0; w < (options.quick ? 200 : 20_000); w++) {
    const e = events[w % events.length];
    analytics.track(e);
    logger.info(e);
  }
  for (let r = 0; r < rounds; r++) {
    let t0 = process.hrtime.bigint();
    for (let k = 0; k < batch; k++) analytics.track(events[(i + k) % events.length]);
    trackNs.push(Number(process.hrtime.bigint() - t0) / batch);
    t0 = process.hrtime.bigint();
    for (let k = 0; k < batch; k++) logger.info(events[(i + k) % events.length]);
    pinoNs.push(Number(process.hrtime.bigint() - t0) / batch);
    i += batch;
    // Let the destinations and the spool's group commit run between rounds, as in an agent.
    if (r % 10 === 9) await new Promise((resolve) => setImmediate(resolve));
  }
  await analytics.close({ timeoutMs: 30_000 });
  logger.flush();
  const t = summarize(trackNs);
  const p = summarize(pinoNs);
  return {
    calls: rounds * batch,
    trackNsMedian: round(t.median, 0),
    trackNsP99: round(t.p99, 0),
    pinoNsMedian: round(p.median, 0),
    pinoNsP99: round(p.p99, 0),
    ratioMedian: round(t.median / p.median),
    ratioP99: round(t.p99 / p.p99),
  };
}
