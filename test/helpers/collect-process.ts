/**
 * A real `voicelake collect` process (the CLI's bin, as a user starts it) writing through its own
 * spool to a local lake, and the Python agents that export to it: for tests that signal, kill and
 * restart the collector, or run the real frameworks against it. Needs the build (dist/).
 */
import { execFile, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { voicelake } from './cli.js';
import { freePort } from './net.js';
import { childEnv } from './process.js';
import { tempDir } from './tmp.js';

const CLI_BIN = resolve(import.meta.dirname, '../../packages/cli/bin/voicelake.js');
export const PYTHON_DIR = resolve(import.meta.dirname, '../python');

export interface CollectorDirs {
  lake: string;
  spool: string;
  state: string;
}

export const collectorDirs = (): CollectorDirs => ({
  lake: tempDir('vl-collect-lake'),
  spool: tempDir('vl-collect-spool'),
  state: tempDir('vl-collect-state'),
});

/** Start `voicelake collect --port <port>` on `dirs`; resolves once it listens. */
export async function startCollectorProcess(
  dirs: CollectorDirs,
  options: { port?: number; args?: string[]; env?: Record<string, string> } = {},
) {
  const port = options.port ?? (await freePort());
  return startWithArgs(port, dirs, options);
}

async function startWithArgs(
  port: number,
  dirs: CollectorDirs,
  options: { args?: string[]; env?: Record<string, string> },
) {
  const child = spawn(
    process.execPath,
    [CLI_BIN, 'collect', '--port', String(port), '--state-dir', dirs.state, ...(options.args ?? [])],
    {
      env: childEnv({
        ANALYTICS_LAKE_DIR: dirs.lake,
        // '' leaves the spool where the library puts it by default (under XDG_STATE_HOME).
        ...(dirs.spool === '' ? {} : { ANALYTICS_SPOOL_DIR: dirs.spool }),
        ...options.env,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  child.stdout.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.on('close', (code, signal) => done({ code, signal }));
  });
  // Listening, or gone: whichever comes first.
  await new Promise<void>((listening, failed) => {
    const check = (): void => {
      if (stderr.includes('listening on')) listening();
    };
    child.stderr.on('data', check);
    check();
    child.once('exit', () => failed(new Error(`voicelake collect did not start:\n${stderr}`)));
  });
  return {
    child,
    exited,
    port,
    url: `http://127.0.0.1:${port}`,
    get stderr() {
      return stderr;
    },
    /** SIGTERM: the collector drains its spool into the lake and exits. */
    async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

export type CollectorProcess = Awaited<ReturnType<typeof startCollectorProcess>>;

/** Run a Python script to its end; its last stdout line is JSON. */
export function runPython(
  python: string,
  script: string,
  args: string[],
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string; result: unknown }> {
  return new Promise((done) => {
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PYTHONUNBUFFERED: '1' };
    execFile(
      python,
      [resolve(PYTHON_DIR, script), ...args],
      { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const last = stdout.trim().split('\n').at(-1) ?? '';
        let result: unknown;
        try {
          result = JSON.parse(last);
        } catch {
          result = undefined;
        }
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        done({ code, stdout, stderr, result });
      },
    );
  });
}

/** `voicelake query <name>` over a local lake, as JSON rows. */
export async function queryLake(name: string, lake: string): Promise<Record<string, unknown>[]> {
  const { stdout } = await voicelake(['query', name, '--data-dir', lake, '--format', 'json']);
  return JSON.parse(stdout) as Record<string, unknown>[];
}
