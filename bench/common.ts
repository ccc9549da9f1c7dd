/** Shared helpers for the benchmarks: timing, stats, realistic events, machine info. */
import { cpus, totalmem } from 'node:os';
import { generateCalls } from '../packages/voicelake/src/demo/generator.js';
import type { TrackInput } from '../packages/voicelake/src/event.js';

export interface Options {
  /** Smoke mode for CI: tiny sizes, checks only that every benchmark produces numbers. */
  readonly quick: boolean;
}

/** Realistic voice events (what `voicelake demo` produces), captured as track() inputs. */
export function demoEvents(calls: number, seed = 7): TrackInput[] {
  const out: TrackInput[] = [];
  generateCalls(
    {
      track(input: TrackInput) {
        out.push(input);
        return undefined;
      },
    },
    { calls, seed, days: 1 },
  );
  return out;
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}

export function summarize(values: number[]): { median: number; p99: number; mean: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    mean: values.reduce((a, b) => a + b, 0) / Math.max(1, values.length),
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function machine() {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
