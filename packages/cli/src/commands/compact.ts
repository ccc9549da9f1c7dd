/**
 * `voicelake compact`: rewrite days of the lake as Parquet (zstd), one row per event, verified
 * before it is published; readers then take those days from Parquet. The protocol is in
 * compact/day.ts and docs/compaction.md.
 */
import { Command, Option } from 'commander';
import { ConfigError } from 'voicelake';
import { compactDay, type DayResult } from '../compact/day.js';
import { storeFor } from '../compact/store.js';
import { formatBytes, formatCount, positiveInt } from '../format.js';
import { daysOf } from '../lake/local-source.js';
import { addSourceOptions, parseDay, type SourceOptions, sourceFrom } from '../lake/sources.js';

type CompactFlags = SourceOptions & {
  day: string;
  to?: string;
  deleteSource?: boolean;
  partRows: number;
};

/** Rows per Parquet part by default: about 130 MB of zstd Parquet for voice events. */
export const DEFAULT_PART_ROWS = 5_000_000;
/** At most this many days per run: a longer range is a typo more often than not. */
const MAX_DAYS = 366;

export function compactCommand(): Command {
  const cmd = new Command('compact')
    .description(
      'Compact days of the lake into Parquet (zstd): one row per event_id, sorted by call_id and event_time, verified before it is published. Queries then read those days from Parquet.',
    )
    .addOption(
      new Option('--day <YYYY-MM-DD>', 'the (first) day to compact, UTC (or today, yesterday)')
        .argParser(parseDay('--day'))
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--to <YYYY-MM-DD>', 'compact every day from --day to this one, inclusive').argParser(
        parseDay('--to'),
      ),
    )
    .option(
      '--delete-source',
      "once a day's Parquet is verified and its manifest written, delete the gzip objects it covers",
    )
    .option(
      '--part-rows <n>',
      'at most this many rows per Parquet part',
      positiveInt('--part-rows'),
      DEFAULT_PART_ROWS,
    );
  addSourceOptions(cmd, { range: false });
  return cmd.action(async (flags: CompactFlags) => {
    const to = flags.to ?? flags.day;
    if (to < flags.day) throw new ConfigError(`--to ${to} is before --day ${flags.day}`);
    const days = daysOf({ from: flags.day, to });
    if (days.length > MAX_DAYS)
      throw new ConfigError(
        `--day ${flags.day} --to ${to} is ${days.length} days; compact at most ${MAX_DAYS} at once`,
      );
    const source = sourceFrom(flags);
    const started = performance.now();
    try {
      const store = storeFor(source);
      const results: DayResult[] = [];
      for (const day of days)
        results.push(
          await compactDay(day, {
            source,
            store,
            deleteSource: flags.deleteSource === true,
            partRows: flags.partRows,
            log: (line) => process.stdout.write(`${line}\n`),
          }),
        );
      const done = results.filter((r) => r.status === 'compacted');
      const sum = (f: (r: DayResult) => number): number => done.reduce((s, r) => s + f(r), 0);
      if (days.length > 1 || done.length === 0)
        process.stdout.write(
          `${source.description}: ${formatCount(done.length)} of ${formatCount(days.length)} days compacted, ${formatCount(sum((r) => r.rows))} rows, ${formatBytes(sum((r) => r.gzipBytes))} of gzip read → ${formatBytes(sum((r) => r.parquetBytes))} of Parquet, in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
        );
    } finally {
      source.close();
    }
  });
}
