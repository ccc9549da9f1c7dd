/**
 * The benchmark smoke run (`npm run bench -- --quick`): every benchmark runs and produces
 * numbers. It never checks speed: these machines are shared and noisy.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp.js';

const run = promisify(execFile);
type RoundedRatio = { perRound: number[]; spreadPct: number; stable: boolean };
const root = resolve(import.meta.dirname, '../..');

function numbers(value: unknown, path = ''): [string, unknown][] {
  if (typeof value === 'number') return [[path, value]];
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => numbers(v, path ? `${path}.${k}` : k));
  }
  return [];
}

describe('npm run bench -- --quick', () => {
  it('runs every benchmark and writes numbers to results.json and benchmarks.md', async () => {
    // Act
    const out = tempDir('vl-bench');
    await run(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/run.ts', '--quick', '--out', out], {
      cwd: root,
      maxBuffer: 16 * 1024 * 1024,
    });
    // Assess
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Record<string, unknown>;
    for (const section of [
      'hotPath',
      'throughput',
      'seedBaseline',
      'eventLoopDelay',
      'bytes',
      'memory',
      'cost',
      'uuid',
    ]) {
      const values = numbers(results[section]);
      expect(values.length, section).toBeGreaterThan(3);
      for (const [path, v] of values) expect(Number.isFinite(v), `${section}.${path}`).toBe(true);
    }
    // Ratios measured in rounds: at least 5 rounds, a spread, and a stability verdict.
    const hot = results.hotPath as { ratio: RoundedRatio };
    const tp = results.throughput as {
      ratio: RoundedRatio;
      noSpoolRatio: RoundedRatio;
      inputLimitRatio: RoundedRatio;
    };
    for (const [name, ratio] of Object.entries({
      hot: hot.ratio,
      spoolOn: tp.ratio,
      spoolOff: tp.noSpoolRatio,
      spoolOnAgainstInputs: tp.inputLimitRatio,
    })) {
      expect(ratio.perRound.length, name).toBeGreaterThanOrEqual(5);
      expect(typeof ratio.stable, name).toBe('boolean');
      expect(ratio.stable, name).toBe(ratio.spreadPct <= 15);
    }
    const machine = results.machine as { node: string; cpu: string };
    expect(machine.node).toBe(process.version);
    expect(machine.cpu.length).toBeGreaterThan(0);
    const md = readFileSync(join(out, 'benchmarks.md'), 'utf8');
    expect(md).toContain('Quick smoke run');
    expect(md).toContain(`Node ${process.version}`);
    expect(md).toContain('UUIDv7');
    expect(md).not.toMatch(/NaN|undefined|Infinity/);
  }, 180_000);
});
