/**
 * Opt-in signal handling: on SIGTERM or SIGINT, close the pipeline within a bound, then
 * let the process exit. What is not delivered by then stays in the spool for the next start.
 */
import { constants } from 'node:os';
import type { Analytics } from './analytics.js';
import { DEFAULTS } from './config/defaults.js';

export interface ShutdownOptions {
  /** Longest the final flush may take, ms. Default `DEFAULTS.closeTimeoutMs`. */
  timeoutMs?: number;
  /** Signals to handle. Default SIGTERM and SIGINT. */
  signals?: readonly NodeJS.Signals[];
  /** Exit after closing, with 128 + the signal number. Default true. */
  exit?: boolean;
}

/** Install the handlers; returns a function that removes them. */
export function installShutdownHandlers(analytics: Analytics, options: ShutdownOptions = {}): () => void {
  const { timeoutMs = DEFAULTS.closeTimeoutMs, signals = ['SIGTERM', 'SIGINT'], exit = true } = options;
  const handler = (signal: NodeJS.Signals): void => {
    void analytics.close({ timeoutMs }).finally(() => {
      if (exit) process.exit(128 + (constants.signals[signal] ?? 15));
    });
  };
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}
