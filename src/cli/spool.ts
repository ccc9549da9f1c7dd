/** `voicelake spool status`: what a spool holds for each destination. */
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { spoolStatus } from '../spool/status.js';
import { formatBytes, formatCount } from './format.js';

function formatAge(ms: number | undefined): string {
  if (ms === undefined) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${(ms / 60_000).toFixed(1)} min`;
  if (ms < 172_800_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}

export function spoolCommand(): Command {
  const spool = new Command('spool').description('Inspect the durable spool');
  spool
    .command('status')
    .description('Show pending events, bytes and the oldest age per destination')
    .option(
      '--spool-dir <dir>',
      'spool directory (default: ANALYTICS_SPOOL_DIR, else <tmp>/voicelake-spool)',
      process.env.ANALYTICS_SPOOL_DIR ?? join(tmpdir(), 'voicelake-spool'),
    )
    .option('--json', 'print JSON')
    .action((opts: { spoolDir: string; json?: boolean }) => {
      const status = spoolStatus(resolve(opts.spoolDir));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
        return;
      }
      const lines = [
        `spool ${status.dir}: ${formatCount(status.records)} events in ${status.segments} segment${status.segments === 1 ? '' : 's'}, ${formatBytes(status.diskBytes)} on disk${status.owner ? `, owned by pid ${status.owner}` : ''}`,
        '',
        `${'destination'.padEnd(12)} ${'pending'.padStart(10)} ${'bytes'.padStart(11)} ${'oldest'.padStart(9)}  in flight`,
        ...status.destinations.map(
          (d) =>
            `${d.destination.padEnd(12)} ${formatCount(d.events).padStart(10)} ${formatBytes(d.bytes).padStart(11)} ${formatAge(d.oldestAgeMs).padStart(9)}  ${d.inflightEvents ? formatCount(d.inflightEvents) : '-'}`,
        ),
      ];
      if (status.destinations.length === 0) lines.push('(no destination has used this spool yet)');
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  return spool;
}
