/**
 * `voicelake demo` as a user runs it: a real process, the built CLI, the local lake.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { KEY_PATTERN } from '../../packages/voicelake/src/lake/layout.js';

const run = promisify(execFile);
const cli = resolve(import.meta.dirname, '../../packages/cli/bin/voicelake.js');

describe('voicelake demo', () => {
  it('writes 200 calls into .json.gz files whose lines match their year=/month=/day= partition', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'vl-demo-'));
    // Act
    const { stdout } = await run(process.execPath, [cli, 'demo', '--calls', '200', '--data-dir', dir], {
      env: { ...process.env, ANALYTICS_SPOOL_DIR: `${dir}.spool` },
    });
    // Assess
    const files = readdirSync(dir, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.json.gz'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    const calls = new Set<string>();
    let events = 0;
    for (const file of files) {
      const key = relative(dir, join(dir, file));
      const [, , year, month, day] = KEY_PATTERN.exec(key) ?? [];
      expect(year, key).toBeDefined();
      const lines = gunzipSync(readFileSync(join(dir, file)))
        .toString('utf8')
        .trimEnd()
        .split('\n');
      for (const line of lines) {
        const e = JSON.parse(line) as { event_time: string; call_id: string };
        expect(e.event_time.slice(0, 10)).toBe(`${year}-${month}-${day}`);
        calls.add(e.call_id);
        events++;
      }
    }
    expect(calls.size).toBe(200);
    expect(stdout).toMatch(/calls\s+200\n/);
    expect(stdout).toContain(`events                  ${events.toLocaleString('en-US')} (`);
    expect(stdout).toContain('event date = partition  yes, every line');
    expect(stdout).toMatch(/TTFT p50 \/ p95\s+\d+ ms \/ \d+ ms/);
    expect(stdout).toMatch(/stored gzip .*\((\d+\.\d)% smaller\)/);
  });

  it('refuses a bad --calls with a clear message and a non-zero exit', async () => {
    // Act
    const failure = await run(process.execPath, [cli, 'demo', '--calls', 'many']).catch((e: unknown) => e);
    // Assess
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toContain(
      '--calls must be a positive integer, got "many"',
    );
  });
});
