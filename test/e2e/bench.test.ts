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
    await run(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--out', out], {
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
    ]) {
      const values = numbers(results[section]);
      expect(values.length, section).toBeGreaterThan(3);
      for (const [path, v] of values) expect(Number.isFinite(v), `${section}.${path}`).toBe(true);
    }
    const md = readFileSync(join(out, 'benchmarks.md'), 'utf8');
    expect(md).toContain('Quick smoke run');
    expect(md).not.toMatch(/NaN|undefined|Infinity/);
  }, 180_000);
});
