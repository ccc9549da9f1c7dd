/**
 * Start a real moto server (S3 + CloudWatch Logs emulator) on a free loopback port.
 * Installs `moto[server]` into `.venv-moto/` when missing. Used by the test setup and the
 * benchmarks.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { freePort, waitForHttp } from './net.js';

const VENV = resolve(import.meta.dirname, '../../.venv-moto');

function motoServerBinary(): string {
  if (process.env.VOICELAKE_MOTO_SERVER) return process.env.VOICELAKE_MOTO_SERVER;
  const bin = resolve(VENV, 'bin/moto_server');
  if (!existsSync(bin)) {
    console.log(`[moto] installing moto[server] into ${VENV} (first run only)`);
    execFileSync('python3', ['-m', 'venv', VENV], { stdio: 'inherit' });
    execFileSync(resolve(VENV, 'bin/pip'), ['install', '--quiet', 'moto[server]'], { stdio: 'inherit' });
  }
  return bin;
}

export interface Moto {
  readonly endpoint: string;
  stop(): void;
}

export async function startMoto(): Promise<Moto> {
  const bin = motoServerBinary();
  const port = await freePort();
  const server: ChildProcess = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], {
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
