/**
 * `voicelake report` over a large lake: 10,000 demo calls spread over 30 days (200 over 3 with
 * `--quick`), written through the library into a local lake, then the built CLI's `report`
 * timed as a user runs it (a process, wall clock, Node start-up included), and the size of the
 * HTML file it wrote. The targets: under 30 s and under 3 MB for 10,000 calls.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { generateCalls } from '../packages/voicelake/src/demo/generator.js';
import { createAnalytics } from '../packages/voicelake/src/index.js';
import { silentLogger } from '../packages/voicelake/src/logger.js';
import { round } from './common.js';

const run = promisify(execFile);
const cli = resolve(import.meta.dirname, '../packages/cli/bin/voicelake.js');

export async function reportGen(opts: {
  quick: boolean;
}): Promise<{ calls: number; seconds: number; bytes: number }> {
  const calls = opts.quick ? 200 : 10_000;
  const work = mkdtempSync(join(tmpdir(), 'vl-bench-report-'));
  try {
    const lake = join(work, 'lake');
    const analytics = createAnalytics({
      s3: false,
      cloudWatch: false,
      local: { dir: lake },
      spool: false,
      logger: silentLogger,
      env: {},
    });
    generateCalls(analytics, { calls, seed: 11, days: opts.quick ? 3 : 30 });
    const closed = await analytics.close({ timeoutMs: 300_000 });
    if (closed.undelivered.local !== 0)
      throw new Error(`bench report: ${closed.undelivered.local} events not written`);

    const out = join(work, 'report.html');
    const t0 = performance.now();
    await run(process.execPath, [cli, 'report', '--data-dir', lake, '--out', out], {
      env: { ...process.env, ANALYTICS_LOG_LEVEL: 'warn' },
    });
    const seconds = (performance.now() - t0) / 1000;
    return { calls, seconds: round(seconds, 2), bytes: statSync(out).size };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
