/**
 * `voicelake/spool`: read-only inspection of spool directories, and where the spool of a
 * configuration lives. Used by `voicelake spool status`; stable for tools.
 */

import { dirname } from 'node:path';
import type { AnalyticsOptions } from '../config/options.js';
import { resolveConfig } from '../config/resolve.js';
import { silentLogger } from '../logger.js';
import { privateTreeProblem } from '../private-fs.js';

export type { DestinationBacklog, SpoolStatus } from './status.js';
export { spoolStatus, spoolStatuses } from './status.js';

/**
 * The spool directory `createAnalytics(options)` would use: `ANALYTICS_SPOOL_DIR`, or the
 * default per-user directory of the configured destinations (which holds one spool per
 * process). Undefined when the spool is off.
 */
export function spoolDirFor(options: AnalyticsOptions = {}): string | undefined {
  return resolveConfig({ ...options, logger: silentLogger }).spool?.dir;
}

/**
 * Why processes configured with `options` would run without a durable spool (memory only), or
 * undefined when their default spool directory is usable. Creates nothing.
 */
export function spoolProblem(options: AnalyticsOptions = {}): string | undefined {
  const config = resolveConfig({ ...options, logger: silentLogger });
  if (config.spool === undefined) return 'the spool is off (ANALYTICS_SPOOL_DIR=off or spool: false)';
  const base = config.spool.defaultDir ? dirname(dirname(config.spool.dir)) : config.spool.dir;
  return privateTreeProblem(base, config.spool.dir);
}
