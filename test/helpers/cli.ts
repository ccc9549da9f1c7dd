/**
 * Run `voicelake` in this process, as the bin would, with `env` as the environment: what it
 * printed and its exit code. In-process so the CLI's code counts in coverage (child processes
 * do not); tests that need a real process (signals, other users, exit behaviour) spawn the bin.
 * Resolves like `execFile` does: `{ stdout, stderr }`, or rejects with `code`, `stdout`, `stderr`.
 */
import { runCli } from '../../packages/cli/src/program.js';

export interface CliRun {
  readonly stdout: string;
  readonly stderr: string;
}

export class CliFailed extends Error {
  constructor(
    readonly code: number,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`voicelake exited with ${code}: ${stderr.trim().split('\n').at(-1) ?? ''}`);
  }
}

let running: Promise<unknown> = Promise.resolve();

export function voicelake(
  args: readonly string[],
  env: Record<string, string | undefined> = process.env,
): Promise<CliRun> {
  // One at a time: the environment and the standard streams are the process's.
  const result = running.then(() => runInProcess(args, env));
  running = result.catch(() => undefined);
  return result;
}

async function runInProcess(
  args: readonly string[],
  env: Record<string, string | undefined>,
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const saved = { ...process.env };
  const write = { out: process.stdout.write, err: process.stderr.write };
  for (const k of Object.keys(process.env)) if (!(k in env)) delete process.env[k];
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stderr.write;
  let code: number;
  try {
    code = await runCli(['node', 'voicelake', ...args]);
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
  if (code !== 0) throw new CliFailed(code, stdout, stderr);
  return { stdout, stderr };
}
