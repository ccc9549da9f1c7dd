/**
 * Start a real moto server (S3 + CloudWatch Logs emulator) on a free loopback port, from the
 * pinned test venv (helpers/venv.ts). Used by the test setup and the benchmarks.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { freePort, waitForHttp } from './net.js';
import { testPython } from './venv.js';

export interface Moto {
  readonly endpoint: string;
  stop(): void;
}

export async function startMoto(): Promise<Moto> {
  const python = testPython();
  const port = await freePort();
  const server: ChildProcess = spawn(python, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  server.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${endpoint}/moto-api/`, 60_000);
  } catch (error) {
    server.kill('SIGKILL');
    throw new Error(`moto server did not start: ${(error as Error).message}\n${stderr}`);
  }
  return { endpoint, stop: () => server.kill('SIGTERM') };
}
