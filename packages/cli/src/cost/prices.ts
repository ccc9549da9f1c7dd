/**
 * The prices the cost model uses, and its units: AWS's billing units (a GB is 2^30 bytes, a
 * TB 2^40, Athena's 10 MB minimum 10 × 2^20; bench/cost.ts divides by 10^9, so its S3 storage
 * figure is 7% higher for the same bytes). Built-in public list prices, or a `--prices` file
 * over them; and how a price and an amount are printed.
 */
import { ConfigError } from 'voicelake';

export const GIB = 2 ** 30;
export const TIB = 2 ** 40;
export const MIB = 2 ** 20;
/** Days in an average month. */
export const DAYS_PER_MONTH = 365 / 12;
/** CloudWatch Logs meters each event as its message plus this many bytes. */
export const CLOUDWATCH_EVENT_OVERHEAD = 26;
/** Glacier Flexible Retrieval keeps 32 KiB of index per object at its own rate and 8 KiB at Standard's. */
export const GLACIER_OVERHEAD = { glacierBytes: 32 * 1024, standardBytes: 8 * 1024 } as const;
/** S3 does not transition objects smaller than this by default (TransitionDefaultMinimumObjectSize). */
export const TRANSITION_MIN_BYTES = 128 * 1024;
/** Largest merged read of a row group's column chunks (Trino's Parquet max buffer size). */
export const PARQUET_MERGED_READ_BYTES = 8 * MIB;
/** The per-event design's estimate (one object per event, the design voicelake replaces): "S3: ~$0.02/month for 1,000 calls" (PUTs and storage). */
export const SEED_S3_PER_1K_CALLS = 0.02;

/** Prices in USD. */
export interface Prices {
  /** The region they are for. */
  readonly region: string;
  /** When they were read off the AWS price pages, `YYYY-MM-DD`. */
  readonly date: string;
  /** Where they come from: `built-in`, or the `--prices` file. */
  readonly source: string;
  /** S3 Standard, per GB-month. */
  readonly s3StandardGbMonth: number;
  /** S3 PUT (and COPY, POST, LIST), per 1,000 requests. */
  readonly s3PutPer1000: number;
  /** S3 GET (and SELECT and all other requests), per 1,000 requests. */
  readonly s3GetPer1000: number;
  /** S3 Glacier Flexible Retrieval, per GB-month. */
  readonly glacierGbMonth: number;
  /** Lifecycle transitions into Glacier Flexible Retrieval, per 1,000 objects. */
  readonly glacierTransitionPer1000: number;
  /** CloudWatch Logs ingestion (Standard log class), per GB. */
  readonly cloudWatchIngestGb: number;
  /** CloudWatch Logs storage (archive, compressed), per GB-month. */
  readonly cloudWatchStorageGbMonth: number;
  /** Athena SQL queries, per TB scanned. */
  readonly athenaPerTb: number;
  /** Athena's minimum bytes billed per query, in MB. */
  readonly athenaMinMbPerQuery: number;
}

/** Public us-east-1 list prices, taken on `date`. */
export const DEFAULT_PRICES: Prices = {
  region: 'us-east-1',
  date: '2026-11-27',
  source: 'built-in',
  s3StandardGbMonth: 0.023,
  s3PutPer1000: 0.005,
  s3GetPer1000: 0.0004,
  glacierGbMonth: 0.0036,
  glacierTransitionPer1000: 0.05,
  cloudWatchIngestGb: 0.5,
  cloudWatchStorageGbMonth: 0.03,
  athenaPerTb: 5,
  athenaMinMbPerQuery: 10,
};

/** The keys of the prices that are numbers (USD, or MB for the Athena minimum). */
export const NUMERIC_PRICES = [
  's3StandardGbMonth',
  's3PutPer1000',
  's3GetPer1000',
  'glacierGbMonth',
  'glacierTransitionPer1000',
  'cloudWatchIngestGb',
  'cloudWatchStorageGbMonth',
  'athenaPerTb',
  'athenaMinMbPerQuery',
] as const;

/** The prices of a `--prices` JSON file: any subset of the keys of `DEFAULT_PRICES`, over `base`. */
export function parsePrices(text: string, where: string, base: Prices = DEFAULT_PRICES): Prices {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`--prices ${where} is not JSON: ${(error as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new ConfigError(`--prices ${where} must be a JSON object of prices`);
  const known = new Set<string>(['region', 'date', ...NUMERIC_PRICES]);
  const out: Record<string, unknown> = { ...base, source: where };
  for (const [k, v] of Object.entries(doc)) {
    if (!known.has(k))
      throw new ConfigError(`--prices ${where}: unknown key "${k}"; known: ${[...known].join(', ')}`);
    if (k === 'region' || k === 'date') {
      if (typeof v !== 'string' || v === '')
        throw new ConfigError(`--prices ${where}: "${k}" must be a string`);
    } else if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new ConfigError(
        `--prices ${where}: "${k}" must be a number >= 0 (USD), got ${JSON.stringify(v)}`,
      );
    out[k] = v;
  }
  return out as unknown as Prices;
}

/** A unit price as the price pages write it: `$0.023`, `$0.50`, `$5`. */
export function price(x: number): string {
  return `$${x.toLocaleString('en-US', { minimumFractionDigits: x < 1 ? 2 : 0, maximumFractionDigits: 6 })}`;
}

/** USD as people read it: cents for a dollar or more, three significant digits below. */
export function usd(x: number | null): string {
  if (x === null) return '';
  if (x === 0) return '$0';
  if (Math.abs(x) >= 1)
    return `$${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  if (Math.abs(x) < 0.000001) return '<$0.000001';
  return `$${Number(x.toPrecision(3)).toString()}`;
}
