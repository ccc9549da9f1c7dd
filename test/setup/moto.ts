/**
 * Vitest global setup: the pinned test venv (helpers/venv.ts), a real moto server (see
 * helpers/moto.ts) and a real single-node Trino over moto's S3 (helpers/trino.ts) for the whole
 * run, so `npm test` alone works on a fresh machine with Python 3, Java 24+ and Maven. Every temporary directory of the
 * run (tests, fixtures, child processes, default spools) goes under one private directory
 * that is removed afterwards: the suite leaves nothing behind in the OS temp dir.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startMoto } from '../helpers/moto.js';
import { startTrino, trinoTestsOff } from '../helpers/trino.js';
import { agentsPython, agentTestsOff, testPython } from '../helpers/venv.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = mkdtempSync(join(tmpdir(), 'voicelake-test-'));
  const state = join(root, 'state');
  mkdirSync(state, { mode: 0o700 });
  // Workers and the processes they start inherit these.
  process.env.TMPDIR = root;
  process.env.XDG_STATE_HOME = state;
  // The AWS SDK warns on every Node below 22 that its releases after January 2027 will need 22;
  // the tests run on Node 20 on purpose, so the notice is noise here (the product leaves it on).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  // Build (or find) the pinned venv once, before the workers start: they inherit its interpreter.
  testPython();
  // The real LiveKit Agents and Pipecat (test/integration/collect-agents.test.ts); off on .ci/run's extra Node legs.
  if (!agentTestsOff()) agentsPython();
  const moto = await startMoto();
  project.provide('motoEndpoint', moto.endpoint);
  // Trino takes ~20 s to start: it starts now, and the tests that use it wait for it (waitForTrino).
  // .ci/run turns it off (VOICELAKE_TRINO_TESTS=off) on the extra Node legs: it tests SQL, not Node.
  const trinoDir = join(root, 'trino');
  mkdirSync(trinoDir, { mode: 0o700 });
  const trino = trinoTestsOff() ? undefined : await startTrino(moto.endpoint, trinoDir);
  project.provide('trinoUrl', trino?.url ?? '');
  project.provide('trinoDir', trinoDir);
  return async () => {
    await trino?.stop();
    await moto.stop();
    rmSync(root, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    motoEndpoint: string;
    trinoUrl: string;
    trinoDir: string;
  }
}
