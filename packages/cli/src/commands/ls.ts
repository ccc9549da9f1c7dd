/** `voicelake ls`: the lake's objects and their sizes, per day, local or on S3. */
import { Command } from 'commander';
import { formatBytes, formatCount } from '../format.js';
import type { LakeObject } from '../lake/source.js';
import {
  addSourceOptions,
  type RangeOptions,
  rangeFrom,
  rangeLabel,
  type SourceOptions,
  sourceFrom,
} from '../lake/source-options.js';
import { type Format, formatOption, printRows, type Row } from '../output.js';

interface LsOptions extends SourceOptions, RangeOptions {
  format: Format;
  days?: boolean;
}

export interface DayTotal {
  readonly day: string;
  readonly objects: number;
  readonly size: number;
}

/** Objects and bytes per day, in day order. */
export function dayTotals(objects: readonly LakeObject[]): DayTotal[] {
  const totals = new Map<string, { objects: number; size: number }>();
  for (const o of objects) {
    const t = totals.get(o.day) ?? { objects: 0, size: 0 };
    t.objects++;
    t.size += o.size;
    totals.set(o.day, t);
  }
  return [...totals.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([day, t]) => ({ day, ...t }));
}

const time = (d: Date | undefined): string => (d ? `${d.toISOString().slice(0, 19).replace('T', ' ')}Z` : '');

export function lsCommand(): Command {
  return addSourceOptions(
    new Command('ls')
      .description(
        'List the lake: every object with its day, size and time, then totals per day (S3: the last 7 days unless --from/--to)',
      )
      .option('--days', 'only the totals per day (objects and bytes)')
      .addOption(formatOption()),
  )
    .addHelpText(
      'after',
      '\nWith --format json or csv, sizes are bytes: objects are {day, key, size, last_modified}; with --days, {day, objects, size}.\nKeys are what `voicelake cat` takes.',
    )
    .action(async (opts: LsOptions) => {
      const source = sourceFrom(opts);
      try {
        const range = rangeFrom(opts, source);
        const objects = await source.list(range);
        const totals = dayTotals(objects);
        if (opts.format !== 'table') {
          if (opts.days) printRows(totals as unknown as Row[], opts.format, ['day', 'objects', 'size']);
          else
            printRows(
              objects.map((o) => ({
                day: o.day,
                key: o.key,
                size: o.size,
                last_modified: o.lastModified?.toISOString() ?? null,
              })),
              opts.format,
              ['day', 'key', 'size', 'last_modified'],
            );
          return;
        }
        const where = `${source.description} (${rangeLabel(range)})`;
        if (objects.length === 0) {
          process.stdout.write(`no objects in ${where}\n`);
          return;
        }
        if (!opts.days) {
          printRows(
            objects.map((o) => ({
              day: o.day,
              key: o.key,
              size: formatBytes(o.size),
              last_modified: time(o.lastModified),
            })),
            'table',
          );
          process.stdout.write('\n');
        }
        const bytes = objects.reduce((n, o) => n + o.size, 0);
        printRows(
          [
            ...totals.map((t) => ({
              day: t.day,
              objects: formatCount(t.objects),
              size: formatBytes(t.size),
            })),
            { day: 'total', objects: formatCount(objects.length), size: formatBytes(bytes) },
          ],
          'table',
        );
        process.stdout.write(
          `\n${formatCount(objects.length)} object${objects.length === 1 ? '' : 's'}, ${formatBytes(bytes)} (${formatCount(bytes)} bytes) in ${formatCount(totals.length)} day${totals.length === 1 ? '' : 's'} of ${where}\n`,
        );
      } finally {
        source.close();
      }
    });
}
