/**
 * Logging. Any pino-compatible logger can be injected (`pino()`, a child logger, or
 * anything with the same four methods). The default is pino on stderr.
 */
import { pino } from 'pino';

type LogFn = (objOrMsg: object | string, msg?: string) => void;

/** The subset of pino's API voicelake uses. */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

/** Default logger: pino at `ANALYTICS_LOG_LEVEL` (default `info`), written synchronously to stderr. */
export function defaultLogger(level: string = process.env.ANALYTICS_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: 'voicelake', level }, pino.destination({ fd: 2, sync: true }));
}

/** A logger that drops everything. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
