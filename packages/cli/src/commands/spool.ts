/** `voicelake spool status`: what each spool holds for each destination. */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { type SpoolStatus, spoolDirFor, spoolProblem, spoolStatuses } from 'voicelake/spool';
import { envValue } from '../env.js';
import { formatAge, formatBytes, formatCount } from '../format.js';

function describe(status: SpoolStatus, now: number): string[] {
  const o = status.owner;
  // Another host (container) sharing the directory: its heartbeat is all there is to go by.
  const where =
    o === undefined || o.host === hostname()
      ? ''
      : ` on ${o.host} (lock refreshed ${formatAge(now - o.refreshedMs)} ago${o.heartbeatMs === undefined ? ', no heartbeat: never adopted' : ''})`;
  const owner = o
    ? `, ${o.alive ? 'owned by' : 'left by'} pid ${o.pid}${where}${o.alive ? '' : ' (no longer running: the next process adopts it)'}`
    : status.lockError
      ? `, owner unknown (${status.lockError})`
      : '';
  const lines = [
    `spool ${status.dir}: ${formatCount(status.records)} events in ${status.segments} segment${status.segments === 1 ? '' : 's'}, ${formatBytes(status.diskBytes)} on disk${owner}`,
  ];
  if (status.undeliverable) lines.push(`  not delivered: ${status.undeliverable}`);
  else if (status.corruptCursors)
    lines.push(`  cursors.json is unreadable (${status.corruptCursors}): the next process starts it afresh`);
  lines.push(
    `  ${'destination'.padEnd(12)} ${'pending'.padStart(10)} ${'bytes'.padStart(11)} ${'oldest'.padStart(9)}  in flight`,
    ...status.destinations.map(
      (d) =>
        `  ${d.destination.padEnd(12)} ${formatCount(d.events).padStart(10)} ${formatBytes(d.bytes).padStart(11)} ${formatAge(d.oldestAgeMs).padStart(9)}  ${d.inflightEvents ? formatCount(d.inflightEvents) : '-'}`,
    ),
  );
  if (status.destinations.length === 0) lines.push('  (no destination has used this spool yet)');
  return lines;
}

export function spoolCommand(): Command {
  const spool = new Command('spool').description('Inspect the durable spool');
  spool
    .command('status')
    .description('Show pending events, bytes and the oldest age per destination, for each spool')
    .option(
      '--spool-dir <dir>',
      'a spool, or a spool root holding one spool per process (default: ANALYTICS_SPOOL_DIR, else the default root of the destinations in the environment)',
    )
    .option('--json', 'print JSON')
    .action((opts: { spoolDir?: string; json?: boolean }) => {
      const dir = opts.spoolDir ?? spoolDirFor();
      const problem = opts.spoolDir === undefined ? spoolProblem() : undefined;
      // (`off` leaves no `dir`: that case is the memory-only message below.)
      if (dir !== undefined && problem !== undefined && envValue('ANALYTICS_SPOOL_DIR') !== undefined) {
        // An explicit directory has no fallback: processes refuse to start, they do not go to memory.
        process.stdout.write(
          `unusable spool directory ${dir}: ${problem}. Processes with these settings fail at createAnalytics() with a SpoolError (an explicit ANALYTICS_SPOOL_DIR has no fallback).\n`,
        );
        process.exitCode = 1;
        return;
      }
      if (dir === undefined || problem !== undefined) {
        process.stdout.write(
          `memory only: ${problem ?? 'the spool is off'}. Processes with these settings buffer events in memory and lose them on a crash.\n`,
        );
        return;
      }
      if (opts.spoolDir === undefined && !existsSync(dir)) {
        process.stdout.write(`no spool yet at ${dir}: nothing is pending for these destinations\n`);
        return;
      }
      const now = Date.now();
      const statuses = spoolStatuses(resolve(dir), now);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(statuses.length === 1 ? statuses[0] : statuses, null, 2)}\n`);
        return;
      }
      process.stdout.write(`${statuses.flatMap((st) => describe(st, now)).join('\n')}\n`);
    });
  return spool;
}
