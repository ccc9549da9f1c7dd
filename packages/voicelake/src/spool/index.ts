/**
 * `voicelake/spool`: read-only inspection of spool directories, and where the spool of a
 * configuration lives. Used by `voicelake spool status`; stable for tools.
 */
import type { AnalyticsOptions } from '../config/options.js';
import { resolveConfig } from '../config/resolve.js';
import { silentLogger } from '../logger.js';

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
