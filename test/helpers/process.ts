import { spawn } from 'node:child_process';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

/** Run a Node script in a real child process with a clean, explicit environment, to its exit. */
export async function runNode(
  script: string,
  env: Record<string, string>,
  timeoutMs = 60_000,
  nodeArgs: string[] = [],
): Promise<RunResult> {
  const started = Date.now();
  const run = startNode(script, env, nodeArgs);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      run.child.kill('SIGKILL');
      reject(new Error(`${script} did not exit within ${timeoutMs} ms\n${run.stderr}`));
    }, timeoutMs);
  });
  try {
    const { code, signal } = await Promise.race([run.exited, timeout]);
    return { code, signal, stdout: run.stdout, stderr: run.stderr, elapsedMs: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

/** One per-second sample of `test/fixtures/agent.mjs` in memory mode. */
export interface MemorySample {
  /** Seconds since the start. */
  t: number;
  rss: number;
  /** Heap after a full GC when the process runs with --expose-gc. */
  heapUsed: number;
  spoolBytes: number;
  tracked: number;
}

/** The `RESULT {...}` line a fixture prints. */
export function resultOf<T>(stdout: string): T {
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`no RESULT line in:\n${stdout}`);
  return JSON.parse(line.slice('RESULT '.length)) as T;
}

/** Log messages (pino JSON lines) a process wrote to stderr. */
export function logMessages(stderr: string): { level: number; msg: string }[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: number; msg: string });
}

/** A child's environment: `env` over the basics and the run's private temp root and state dir (test/setup/moto.ts). */
export function childEnv(env: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
    ...(process.env.XDG_STATE_HOME ? { XDG_STATE_HOME: process.env.XDG_STATE_HOME } : {}),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...env,
  };
}

/** Start a Node script and keep its handle, for tests that signal it. */
export function startNode(script: string, env: Record<string, string>, nodeArgs: string[] = []) {
  const child = spawn(process.execPath, [...nodeArgs, script], {
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>(
    (resolve) => {
      child.on('close', (code, signal) => resolve({ code, signal, at: Date.now() }));
    },
  );
  return {
    child,
    exited,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    /** Resolve when stdout contains `text`. */
    async waitFor(text: string, timeoutMs = 60_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!stdout.includes(text)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for "${text}"\n${stderr}`);
        if (child.exitCode !== null) throw new Error(`process exited before "${text}"\n${stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}
