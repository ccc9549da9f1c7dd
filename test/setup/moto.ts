/**
 * Vitest global setup: a real moto server for the whole run (see helpers/moto.ts), so
 * `npm test` alone works on a fresh machine with Python 3.
 */
import type { TestProject } from 'vitest/node';
import { startMoto } from '../helpers/moto.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const moto = await startMoto();
  project.provide('motoEndpoint', moto.endpoint);
  return async () => moto.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    motoEndpoint: string;
  }
}
