/**
 * Logging. Any pino-compatible logger can be injected (`pino()`, a child logger, or
 * anything with the same four methods). The default is pino on stderr.
 */
import { pino } from 'pino';
import { DEFAULTS } from './config/defaults.js';
import { ConfigError } from './errors.js';

type LogFn = (objOrMsg: object | string, msg?: string) => void;

/** The subset of pino's API voicelake uses. */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

/**
 * Default logger: pino at `level` (default `info`), written synchronously to stderr. It reads no
 * environment itself: `createAnalytics` passes `ANALYTICS_LOG_LEVEL` from its `env` option.
 */
export function defaultLogger(level: string = DEFAULTS.logLevel): Logger {
  if (level !== 'silent' && !Object.hasOwn(pino.levels.values, level))
    throw new ConfigError(
      `invalid log level ${JSON.stringify(level)} (ANALYTICS_LOG_LEVEL): use one of ${[...Object.keys(pino.levels.values), 'silent'].join(', ')}`,
    );
  return pino({ name: 'voicelake', level }, pino.destination({ fd: 2, sync: true }));
}

/** A logger that drops everything. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
