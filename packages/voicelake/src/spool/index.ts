/**
 * `voicelake/spool`: read-only inspection of spool directories, and where the spool of a
 * configuration lives. Used by `voicelake spool status`; stable for tools.
 */

import type { AnalyticsOptions } from '../config/options.js';
import { resolveConfig } from '../config/resolve.js';
import { silentLogger } from '../logger.js';
import { privateTreeProblem } from '../private-fs.js';
import { spoolRoots } from './open.js';

export type { DestinationBacklog, SpoolStatus } from './status.js';
export { spoolStatus, spoolStatuses } from './status.js';

/**
 * The spool directory `createAnalytics(options)` would use: `ANALYTICS_SPOOL_DIR`, or the first
 * usable of the default per-user directory and its per-user temp fallback (each holds one spool
 * per process of the configured destinations). Undefined when the spool is off.
 */
export function spoolDirFor(options: AnalyticsOptions = {}): string | undefined {
  const roots = spoolRoots(resolveConfig({ ...options, logger: silentLogger }));
  if (roots === undefined) return undefined;
  return (roots.find(([root, base]) => privateTreeProblem(base, root) === undefined) ?? roots[0])?.[0];
}

/**
 * Why processes configured with `options` would run without a durable spool (memory only), or
 * undefined when one of their spool directories is usable. Creates nothing.
 */
export function spoolProblem(options: AnalyticsOptions = {}): string | undefined {
  const roots = spoolRoots(resolveConfig({ ...options, logger: silentLogger }));
  if (roots === undefined) return 'the spool is off (ANALYTICS_SPOOL_DIR=off or spool: false)';
  const problems: string[] = [];
  for (const [root, base] of roots) {
    const problem = privateTreeProblem(base, root);
    if (problem === undefined) return undefined;
    problems.push(roots.length > 1 ? `${root}: ${problem}` : problem);
  }
  return problems.join('; ');
}
