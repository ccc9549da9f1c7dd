/**
 * Memory stays bounded during a long outage: the backlog goes to the spool on disk.
 * Also checks `voicelake spool status` against that backlog.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { awsEnv, uniqueName } from '../helpers/aws.js';
import { type MemorySample, resultOf, runNode } from '../helpers/process.js';
import { startProxy } from '../helpers/proxy.js';
import { tempDir } from '../helpers/tmp.js';

const run = promisify(execFile);
const endpoint = inject('motoEndpoint');
const agent = resolve(import.meta.dirname, '../fixtures/agent.mjs');
const cli = resolve(import.meta.dirname, '../../packages/cli/bin/voicelake.js');
const SECONDS = Number(process.env.VL_OUTAGE_SECONDS ?? 60);
const MiB = 1024 * 1024;

describe(`a ${SECONDS} s outage at 2,000 events/s`, async () => {
  const proxy = await startProxy(endpoint);
  afterAll(() => proxy.close());

  it(
    'keeps RSS flat while the spool on disk grows; spool status reports the backlog',
    async () => {
      // Prepare: both destinations unreachable for the whole run.
      proxy.mode = 'refuse';
      const spoolDir = tempDir('vl-spool');
      // Act
      const result = await runNode(
        agent,
        {
          ...awsEnv(proxy.endpoint),
          ANALYTICS_S3_BUCKET: uniqueName('vl-mem'),
          ANALYTICS_LOG_GROUP: uniqueName('/voicelake/mem'),
          ANALYTICS_SPOOL_DIR: spoolDir,
          ANALYTICS_LOG_LEVEL: 'error',
          VL_MODE: 'memory',
          VL_RATE: '2000',
          VL_SECONDS: String(SECONDS),
        },
        (SECONDS + 60) * 1000,
        ['--expose-gc'],
      );
      const status = await run(process.execPath, [cli, 'spool', 'status', '--spool-dir', spoolDir, '--json']);
      const text = await run(process.execPath, [cli, 'spool', 'status', '--spool-dir', spoolDir]);
      // Assess
      expect(result.code, result.stderr).toBe(0);
      const { samples, tracked } = resultOf<{ samples: MemorySample[]; tracked: number }>(result.stdout);
      expect(tracked).toBeGreaterThan(SECONDS * 2000 * 0.9);
      const warm = samples.find((s) => s.t >= Math.min(15, SECONDS / 3)) as MemorySample;
      const last = samples[samples.length - 1] as MemorySample;
      const peak = Math.max(...samples.filter((s) => s.t >= warm.t).map((s) => s.rss));
      console.log(
        `outage memory: rss ${(warm.rss / MiB).toFixed(0)} MiB at ${warm.t}s, peak ${(peak / MiB).toFixed(0)} MiB, ` +
          `${(last.rss / MiB).toFixed(0)} MiB at ${last.t}s; spool ${(warm.spoolBytes / MiB).toFixed(1)} → ${(last.spoolBytes / MiB).toFixed(1)} MiB, ${tracked} events`,
      );
      // The backlog grows on disk in proportion to the events...
      expect(last.spoolBytes).toBeGreaterThan(warm.spoolBytes * 2);
      expect(last.spoolBytes).toBeGreaterThan(tracked * 100);
      // ...while memory stays flat: far less growth than the backlog itself.
      expect(peak - warm.rss).toBeLessThan(32 * MiB);
      // Flat: the last third of the outage needs no more memory than the middle third.
      const third = (from: number, to: number) =>
        Math.max(...samples.filter((s) => s.t >= from && s.t < to).map((s) => s.rss));
      expect(third((2 * SECONDS) / 3, SECONDS + 1) - third(SECONDS / 3, (2 * SECONDS) / 3)).toBeLessThan(
        12 * MiB,
      );
      // What is really retained (the heap after a full GC each second) does not grow with the backlog.
      const heapThird = (from: number, to: number) =>
        Math.max(...samples.filter((s) => s.t >= from && s.t < to).map((s) => s.heapUsed));
      const heapGrowth =
        heapThird((2 * SECONDS) / 3, SECONDS + 1) - heapThird(SECONDS / 3, (2 * SECONDS) / 3);
      console.log(`outage heap after GC: last third vs middle third ${(heapGrowth / MiB).toFixed(1)} MiB`);
      expect(heapGrowth).toBeLessThan(4 * MiB);
      const parsed = JSON.parse(status.stdout) as { destinations: { destination: string; events: number }[] };
      const pending = Object.fromEntries(parsed.destinations.map((d) => [d.destination, d.events]));
      expect(pending).toEqual({ s3: tracked, cloudwatch: tracked });
      expect(text.stdout).toMatch(/^\s+s3\s+[\d,]+\s+[\d.]+ MiB\s+[\d.]+ (s|min)\s+/m);
    },
    (SECONDS + 120) * 1000,
  );
});
