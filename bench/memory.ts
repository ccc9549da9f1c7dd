/**
 * 6. Memory: RSS of a producer process at steady state (destinations healthy) and during an
 * outage of both destinations (the network cut by a proxy), with the spool on.
 */
import { resolve } from 'node:path';
import { awsEnv } from '../test/helpers/aws.js';
import { type MemorySample, resultOf, runNode } from '../test/helpers/process.js';
import type { InspectingProxy } from '../test/helpers/proxy.js';
import { type Options, round } from './common.js';

const agent = resolve(import.meta.dirname, '../test/fixtures/agent.mjs');
const MiB = 1024 * 1024;

async function phase(proxy: InspectingProxy, seconds: number, spoolDir: string, bucket: string) {
  const run = await runNode(
    agent,
    {
      ...awsEnv(proxy.endpoint),
      ANALYTICS_S3_BUCKET: bucket,
      ANALYTICS_LOG_GROUP: `/bench/mem-${Date.now().toString(36)}`,
      ANALYTICS_SPOOL_DIR: spoolDir,
      ANALYTICS_LOG_LEVEL: 'silent',
      VL_MODE: 'memory',
      VL_RATE: '2000',
      VL_SECONDS: String(seconds),
    },
    (seconds + 120) * 1000,
    ['--expose-gc'],
  );
  if (run.code !== 0) throw new Error(`memory phase failed: ${run.stderr}`);
  const { samples, tracked } = resultOf<{ samples: MemorySample[]; tracked: number }>(run.stdout);
  const warmFrom = Math.max(1, Math.floor(seconds / 3));
  const warm = samples.filter((s) => s.t >= warmFrom);
  const first = warm[0] ?? samples[0];
  const last = samples[samples.length - 1];
  const maxIn = (from: number, to: number, key: 'rss' | 'heapUsed') =>
    Math.max(...samples.filter((x) => x.t >= from && x.t < to).map((x) => x[key]));
  const growth = (key: 'rss' | 'heapUsed') =>
    maxIn((2 * seconds) / 3, seconds + 1, key) - maxIn(seconds / 3, (2 * seconds) / 3, key);
  const lastThirdGrowth = growth('rss');
  return {
    seconds,
    events: tracked,
    /** Peak RSS in the last third of the run minus the peak in the middle third: ~0 when flat. */
    rssGrowthLastThirdMiB: round(lastThirdGrowth / MiB, 1),
    /** The same for the heap after a full GC each sample: what is really retained. */
    heapGrowthLastThirdMiB: round(growth('heapUsed') / MiB, 1),
    heapEndMiB: round((last?.heapUsed ?? 0) / MiB, 1),
    rssWarmMiB: round((first?.rss ?? 0) / MiB, 1),
    rssEndMiB: round((last?.rss ?? 0) / MiB, 1),
    rssMaxMiB: round(Math.max(...warm.map((s) => s.rss)) / MiB, 1),
    spoolStartMiB: round((first?.spoolBytes ?? 0) / MiB, 1),
    spoolEndMiB: round((last?.spoolBytes ?? 0) / MiB, 1),
  };
}

export async function memory(
  options: Options,
  proxy: InspectingProxy,
  spoolDir: (n: string) => string,
  bucket: string,
) {
  proxy.mode = 'forward';
  const steady = await phase(proxy, options.quick ? 3 : 20, spoolDir('mem-steady'), bucket);
  proxy.mode = 'refuse';
  const outage = await phase(proxy, options.quick ? 3 : 30, spoolDir('mem-outage'), bucket);
  proxy.mode = 'forward';
  return { steady, outage };
}
