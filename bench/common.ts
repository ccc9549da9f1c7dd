/** Shared helpers for the benchmarks: timing, stats, realistic events, machine info. */
import { readFileSync } from 'node:fs';
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
export const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

/**
 * Collect the garbage the previous timed run left, so that it is not charged to the next one
 * (`npm run bench` runs node with `--expose-gc`). Without it, which side of a round pays for the
 * other's garbage varies from round to round: the spool-on ratio's spread was 28% without, 2–7% with.
 */
export function settle(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('bench: run node with --expose-gc (npm run bench does)');
  gc();
}

/** A ratio whose spread (IQR / median of the per-round ratios) is above this is reported as unstable. */
export const UNSTABLE_SPREAD = 0.15;

/** Quantile with linear interpolation between closest ranks (R type 7, numpy's default). */
function interpolated(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

/**
 * A ratio measured once per round (voicelake and its baseline alternating in one process): the
 * median over the rounds is the result, and its spread is the interquartile range of the
 * per-round ratios divided by their median. Above {@link UNSTABLE_SPREAD} it is `stable: false`
 * and is reported as unstable instead of as a result.
 */
export interface RoundedRatio {
  /** Median of the per-round ratios. */
  readonly median: number;
  /** (Q3 − Q1) / median of the per-round ratios, in percent. */
  readonly spreadPct: number;
  readonly min: number;
  readonly max: number;
  readonly stable: boolean;
  /** The ratio of each round, in order. */
  readonly perRound: number[];
}

export function roundedRatio(perRound: readonly number[]): RoundedRatio {
  const sorted = [...perRound].sort((a, b) => a - b);
  const median = interpolated(sorted, 0.5);
  const spread = (interpolated(sorted, 0.75) - interpolated(sorted, 0.25)) / median;
  // The verdict follows the spread as printed: "15%" is stable, whatever digits were rounded off.
  const spreadPct = round(spread * 100, 1);
  return {
    median: round(median, 3),
    spreadPct,
    min: round(sorted[0] ?? Number.NaN, 3),
    max: round(sorted[sorted.length - 1] ?? Number.NaN, 3),
    stable: spreadPct <= UNSTABLE_SPREAD * 100,
    perRound: perRound.map((r) => round(r, 3)),
  };
}

/** Median of values (interpolated between the two middle ones for an even count). */
export const median = (values: readonly number[]) =>
  interpolated(
    [...values].sort((a, b) => a - b),
    0.5,
  );

/** CPU model: os.cpus() first, /proc/cpuinfo when that is empty (some containers). */
function cpuModel(): string {
  const model = cpus()[0]?.model?.trim();
  if (model) return model;
  try {
    return /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function machine() {
  const cpu = cpus();
  return {
    cpu: cpuModel(),
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * JSON as biome formats it (this repository's `npm run lint` checks bench/results*.json):
 * objects expanded one key a line, arrays of numbers and strings on the key's line when they
 * fit in 110 columns, else filled line by line; 2-space indent, final newline.
 */
export function formatJson(value: unknown): string {
  const WIDTH = 110;
  const scalar = (v: unknown) => v === null || typeof v !== 'object';
  const format = (v: unknown, indent: string, column: number, trailing: number): string => {
    if (scalar(v)) return JSON.stringify(v) ?? 'null';
    const inner = `${indent}  `;
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      if (v.every(scalar)) {
        const items = v.map((x) => JSON.stringify(x) ?? 'null');
        const flat = `[${items.join(', ')}]`;
        if (column + flat.length + trailing <= WIDTH) return flat;
        const lines: string[] = [];
        let line = '';
        for (const [i, item] of items.entries()) {
          const piece = i < items.length - 1 ? `${item},` : item;
          if (line && inner.length + line.length + 1 + piece.length > WIDTH) {
            lines.push(line);
            line = piece;
          } else line = line ? `${line} ${piece}` : piece;
        }
        lines.push(line);
        return `[\n${lines.map((l) => inner + l).join('\n')}\n${indent}]`;
      }
      const items = v.map((x, i) => inner + format(x, inner, inner.length, i < v.length - 1 ? 1 : 0));
      return `[\n${items.join(',\n')}\n${indent}]`;
    }
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    if (entries.length === 0) return '{}';
    const lines = entries.map(([k, x], i) => {
      const key = `${inner}${JSON.stringify(k)}: `;
      return key + format(x, inner, key.length, i < entries.length - 1 ? 1 : 0);
    });
    return `{\n${lines.join(',\n')}\n${indent}}`;
  };
  return `${format(value, '', 0, 0)}\n`;
}
