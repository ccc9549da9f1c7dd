/**
 * Which lake a reading command reads, from its options and the environment: S3 when a bucket
 * is given (`--bucket` or `ANALYTICS_S3_BUCKET`), else the local lake directory. Also the
 * shared `--from`/`--to` day range.
 */
import { type Command, Option } from 'commander';
import { ConfigError, DEFAULTS } from 'voicelake';
import { nonEmpty } from '../env.js';
import { formatBytes, formatCount } from '../format.js';
import { dayMs } from './days.js';
import { LocalSource } from './local-source.js';
import { S3Source } from './s3-source.js';
import { type DayRange, isoDay, type LakeSource, lastDays, type SyncResult } from './source.js';

type Env = Record<string, string | undefined>;

export interface SourceOptions {
  dataDir?: string | undefined;
  bucket?: string | undefined;
  prefix?: string | undefined;
}

export interface RangeOptions {
  from?: string | undefined;
  to?: string | undefined;
}

/** Days an S3 command reads when neither `--from` nor `--to` is given. */
export const S3_DEFAULT_DAYS = 7;

/**
 * The source the options name: S3 with `--bucket` (else `ANALYTICS_S3_BUCKET`, unless
 * `--data-dir` is given), else the local lake (`--data-dir`, else `ANALYTICS_LAKE_DIR`, else
 * `./voicelake-data`).
 */
export function sourceFrom(opts: SourceOptions, env: Env = process.env): LakeSource {
  const dataDir = nonEmpty(opts.dataDir);
  const bucketOption = nonEmpty(opts.bucket);
  if (dataDir !== undefined && bucketOption !== undefined)
    throw new ConfigError('give either --data-dir (a local lake) or --bucket (an S3 lake), not both');
  const bucket = bucketOption ?? (dataDir === undefined ? nonEmpty(env.ANALYTICS_S3_BUCKET) : undefined);
  if (bucket !== undefined)
    return new S3Source({
      bucket,
      prefix: opts.prefix ?? nonEmpty(env.ANALYTICS_S3_PREFIX) ?? DEFAULTS.s3.prefix,
      env,
    });
  return new LocalSource({
    dir: dataDir ?? nonEmpty(env.ANALYTICS_LAKE_DIR) ?? DEFAULTS.local.dir,
    prefix: opts.prefix ?? DEFAULTS.local.prefix,
  });
}

/** Parse a `--from`/`--to` day: `YYYY-MM-DD` (UTC), `today` or `yesterday`. */
export function parseDay(name: string, now: () => number = Date.now): (value: string) => string {
  return (value: string) => {
    const v = value.trim().toLowerCase();
    if (v === 'today') return isoDay(now());
    if (v === 'yesterday') return isoDay(now() - 86_400_000);
    if (dayMs(v) === undefined)
      throw new ConfigError(`${name} must be a day as YYYY-MM-DD (or today, yesterday), got "${value}"`);
    return v;
  };
}

/**
 * Add `--data-dir`, `--bucket`, `--prefix`, `--from` and `--to` to a reading command
 * (`{ range: false }`: without `--from`/`--to`, for a command that reads one object).
 */
export function addSourceOptions(cmd: Command, options: { range?: boolean } = {}): Command {
  cmd
    .addOption(
      new Option(
        '--data-dir <dir>',
        `local lake directory (default: ANALYTICS_LAKE_DIR, else ./${DEFAULTS.local.dir})`,
      ),
    )
    .addOption(
      new Option(
        '--bucket <name>',
        'read the S3 lake in this bucket, through a local query cache (default: ANALYTICS_S3_BUCKET)',
      ),
    )
    .addOption(
      new Option(
        '--prefix <prefix>',
        'key prefix before year= (default: ANALYTICS_S3_PREFIX for S3, none locally)',
      ),
    );
  if (options.range === false) return cmd;
  return cmd
    .addOption(
      new Option(
        '--from <YYYY-MM-DD>',
        `first day, UTC, inclusive (default for S3: ${S3_DEFAULT_DAYS} days up to --to; locally: the first day of the lake)`,
      ).argParser(parseDay('--from')),
    )
    .addOption(
      new Option(
        '--to <YYYY-MM-DD>',
        'last day, UTC, inclusive (default for S3: today; locally: the last day of the lake)',
      ).argParser(parseDay('--to')),
    );
}

/** The earliest and latest days a local range without a bound stands for. */
const FIRST_DAY = '1970-01-01';
const LAST_DAY = '9999-12-31';

/**
 * The day range of `--from`/`--to` for `source`. Without either: for S3 the last
 * `S3_DEFAULT_DAYS` days (reading a whole bucket by accident is slow and costs money),
 * locally every day (undefined). A missing bound is today (S3) or open (local) for `--to`,
 * and `S3_DEFAULT_DAYS` days before `--to` (S3) or open (local) for `--from`.
 */
export function rangeFrom(
  opts: RangeOptions,
  source: LakeSource,
  now: number = Date.now(),
): DayRange | undefined {
  const check = (name: string, v: string | undefined): string | undefined =>
    v === undefined ? undefined : parseDay(name, () => now)(v);
  const from = check('--from', opts.from);
  const to = check('--to', opts.to);
  const s3 = source.kind === 's3';
  if (from === undefined && to === undefined) return s3 ? lastDays(S3_DEFAULT_DAYS, now) : undefined;
  const range: DayRange = {
    from:
      from ?? (s3 ? isoDay((dayMs(to as string) as number) - (S3_DEFAULT_DAYS - 1) * 86_400_000) : FIRST_DAY),
    to: to ?? (s3 ? isoDay(now) : LAST_DAY),
  };
  if (range.from > range.to) {
    const toLabel = to === undefined ? `today (${range.to})` : `--to ${range.to}`;
    throw new ConfigError(`--from ${range.from} is after ${toLabel}`);
  }
  return range;
}

/** A range for messages: `2026-11-20..2026-11-24`, or `all days`. */
export function rangeLabel(range: DayRange | undefined): string {
  if (range === undefined) return 'all days';
  const from = range.from === FIRST_DAY ? 'the first day' : range.from;
  const to = range.to === LAST_DAY ? 'the last day' : range.to;
  return range.from === range.to ? range.from : `${from}..${to}`;
}

/**
 * `source.sync(range)`, saying on stderr what an S3 sync fetched and what came from the cache
 * (every reading command reports it the same way; a local lake has nothing to say).
 */
export async function syncAndReport(source: LakeSource, range: DayRange | undefined): Promise<SyncResult> {
  const synced = await source.sync(range);
  if (source.kind === 's3') {
    process.stderr.write(
      `${source.description} ${rangeLabel(range)}: ${formatCount(synced.fetched)} objects fetched (${formatBytes(synced.fetchedBytes)}), ${formatCount(synced.cached)} from the cache\n`,
    );
  }
  return synced;
}
