/**
 * The packages as users install them: `voicelake` alone from its packed tarball (what an agent
 * container gets), `voicelake-collect` alone (the sidecar next to a Python agent), and
 * `voicelake-cli` from its tarball into an empty directory. Installs
 * are `npm ci --offline` with a lockfile made from the workspace's (helpers/offline-install.ts),
 * so every tarball comes from the npm cache that `npm ci` filled: no test reaches the network.
 */
import { execFile } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { installOffline } from '../helpers/offline-install.js';
import { tempDir } from '../helpers/tmp.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const MB = 1_000_000;

/** Bytes and `.node` binaries under a directory, without following symlinks. */
function measure(dir: string): { bytes: number; natives: string[] } {
  let bytes = 0;
  const natives: string[] = [];
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(e.parentPath, e.name);
    if (e.isFile()) {
      bytes += statSync(path).size;
      if (e.name.endsWith('.node')) natives.push(path);
    }
  }
  return { bytes, natives };
}

async function npm(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    maxBuffer: 64 * MB,
  });
  return stdout;
}

describe('packed packages', () => {
  let libTarball = '';
  let cliTarball = '';
  let collectTarball = '';
  const packDir = tempDir('vl-pack');

  beforeAll(async () => {
    const out = await npm(
      [
        'pack',
        '--json',
        '--pack-destination',
        packDir,
        '-w',
        'voicelake',
        '-w',
        'voicelake-collect',
        '-w',
        'voicelake-cli',
      ],
      root,
    );
    const packed = JSON.parse(out) as { filename: string; name: string }[];
    libTarball = join(packDir, packed.find((p) => p.name === 'voicelake')?.filename ?? '');
    cliTarball = join(packDir, packed.find((p) => p.name === 'voicelake-cli')?.filename ?? '');
    collectTarball = join(packDir, packed.find((p) => p.name === 'voicelake-collect')?.filename ?? '');
  }, 120_000);

  it('the library alone installs under 40 MB with no native binary, and imports without DuckDB', async () => {
    // Prepare
    const app = tempDir('vl-agent');
    // Act
    await installOffline(
      app,
      [{ name: 'voicelake', workspace: 'packages/voicelake', tarball: libTarball }],
      true,
    );
    const { bytes, natives } = measure(join(app, 'node_modules'));
    const { stdout } = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const v = await import('voicelake'); await import('voicelake/livekit'); await import('voicelake/spool');
         let duck = true; try { await import('@duckdb/node-api'); } catch { duck = false; }
         console.log(JSON.stringify({ create: typeof v.createAnalytics, duck }));`,
      ],
      { cwd: app },
    );
    // Assess
    console.log(`voicelake installed alone: ${(bytes / MB).toFixed(1)} MB of node_modules`);
    expect(natives, 'no .node binary in the library install').toEqual([]);
    expect(bytes, 'library node_modules under 40 MB').toBeLessThan(40 * MB);
    expect(JSON.parse(stdout), 'voicelake imports, and DuckDB is not even installed').toEqual({
      create: 'function',
      duck: false,
    });
  }, 300_000);

  it('voicelake-collect alone installs under 40 MB with no native binary and no DuckDB, and its bin answers', async () => {
    // Prepare
    const app = tempDir('vl-collect-app');
    await installOffline(
      app,
      [
        { name: 'voicelake', workspace: 'packages/voicelake', tarball: libTarball },
        { name: 'voicelake-collect', workspace: 'packages/collect', tarball: collectTarball },
      ],
      true,
    );
    // Act
    const { bytes, natives } = measure(join(app, 'node_modules'));
    const help = await run(join(app, 'node_modules/.bin/voicelake-collect'), ['--help'], { cwd: app });
    const { stdout } = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const c = await import('voicelake-collect');
         let duck = true; try { await import('@duckdb/node-api'); } catch { duck = false; }
         console.log(JSON.stringify({ start: typeof c.startCollector, duck }));`,
      ],
      { cwd: app },
    );
    // Assess
    console.log(`voicelake-collect installed: ${(bytes / MB).toFixed(1)} MB of node_modules`);
    expect(natives, 'no .node binary in the collector install').toEqual([]);
    expect(bytes, 'collector node_modules under 40 MB').toBeLessThan(40 * MB);
    expect(help.stdout).toMatch(/Usage: voicelake-collect/);
    expect(JSON.parse(stdout), 'voicelake-collect imports, and DuckDB is not even installed').toEqual({
      start: 'function',
      duck: false,
    });
  }, 300_000);

  it('voicelake-cli installs from its tarball into an empty directory and runs demo, query and spool status', async () => {
    // Prepare
    const dir = tempDir('vl-cli');
    await installOffline(
      dir,
      [
        { name: 'voicelake', workspace: 'packages/voicelake', tarball: libTarball },
        { name: 'voicelake-collect', workspace: 'packages/collect', tarball: collectTarball },
        { name: 'voicelake-cli', workspace: 'packages/cli', tarball: cliTarball },
      ],
      true,
    );
    const bin = join(dir, 'node_modules/.bin/voicelake');
    const env = { ...process.env, ANALYTICS_LOG_LEVEL: 'warn', ANALYTICS_SPOOL_DIR: join(dir, 'spool') };
    // Act
    const demo = await run(bin, ['demo', '--calls', '20'], { cwd: dir, env });
    const daily = await run(bin, ['query', 'daily', '--json'], { cwd: dir, env });
    const status = await run(bin, ['spool', 'status', '--spool-dir', join(dir, 'spool'), '--json'], {
      cwd: dir,
      env,
    }).catch((e: { stderr: string; code: number }) => e);
    // Assess
    expect(demo.stdout).toMatch(/voicelake demo: 20 calls/);
    const rows = JSON.parse(daily.stdout) as { calls: number }[];
    expect(
      rows.reduce((n, r) => n + Number(r.calls), 0),
      'calls in `query daily`',
    ).toBe(20);
    expect(
      JSON.stringify(status),
      'spool status answers (with a clear error when there is no spool)',
    ).toMatch(/segments|no spool at/);
  }, 300_000);
});
