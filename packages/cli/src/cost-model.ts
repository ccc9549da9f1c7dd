/**
 * What the lake costs a month, from what was measured in it: bytes, events and objects per
 * call, and the Parquet column sizes once days are compacted. Pure: a measure, assumptions and
 * prices in, table rows out. `commands/cost.ts` measures the lake; docs/cost.md explains each
 * row.
 *
 * Units are AWS's billing units: a GB is 2^30 bytes, a TB 2^40, Athena's 10 MB minimum 10 × 2^20.
 * (bench/cost.ts divides by 10^9: its S3 storage figure is 7% higher for the same bytes.)
 */
import { ConfigError } from 'voicelake';
import { formatBytes, formatCount } from './format.js';
import { PARQUET_ROWS } from './lake/compacted-layout.js';

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

/** The Parquet files of the compacted days, from their metadata. */
export interface ParquetMeasure {
  readonly days: number;
  readonly files: number;
  /** Size of the files. */
  readonly bytes: number;
  readonly rows: number;
  readonly rowGroups: number;
  /** Compressed bytes of each column's chunks, summed over every row group of every file. */
  readonly columnBytes: Readonly<Record<string, number>>;
}

/** What was measured in the lake (or the demo's lake). */
export interface LakeMeasure {
  /** `lake`: the lake the options name; `demo`: it was empty, so a simulated demo lake. */
  readonly origin: 'lake' | 'demo';
  /** Days with raw objects. */
  readonly days: number;
  readonly calls: number;
  readonly events: number;
  /** Raw (gzip NDJSON) objects. */
  readonly objects: number;
  /** Their bytes, as stored. */
  readonly storedBytes: number;
  /** NDJSON bytes per event (the line, without its newline), from decompressing a sample. */
  readonly rawBytesPerEvent: number;
  /** Objects decompressed for `rawBytesPerEvent`. */
  readonly sampledObjects: number;
  /** Raw objects large enough for S3 to transition them (at least `TRANSITION_MIN_BYTES`). */
  readonly transitionEligible: { readonly objects: number; readonly bytes: number };
  readonly parquet?: ParquetMeasure | undefined;
  /** What the measurement had to leave out or estimate, one line each. */
  readonly notes?: readonly string[] | undefined;
}

export interface CostAssumptions {
  readonly callsPerMonth: number;
  /** The Glacier transition of `voicelake lifecycle apply`. */
  readonly glacierAfterDays: number;
  /** CloudWatch Logs retention of the log group. */
  readonly logRetentionDays: number;
  /** Days each Athena query reads (the default range of `voicelake query`: 7). */
  readonly queryDays: number;
  /** Times each named query runs a month. */
  readonly queryRunsPerMonth: number;
  /** Objects per call instead of the measured figure (LiveKit's process per call: about 2 × minutes + 1). */
  readonly objectsPerCall?: number | undefined;
}

export const COST_DEFAULTS = {
  callsPerMonth: 10_000,
  glacierAfterDays: 90,
  logRetentionDays: 30,
  queryDays: 7,
  queryRunsPerMonth: 30,
} as const;

/** A named query and its SQL (for Athena): the columns it names are the columns it reads. */
export interface QuerySql {
  readonly name: string;
  readonly sql: string;
}

/** Columns every query reads through `events_unique` (its window partitions by event_id, orders by event_time). */
export const DEDUP_COLUMNS = ['event_id', 'event_time'] as const;

/** The columns of `known` that `sql` names, plus those of the deduplicating view. */
export function columnsOf(sql: string, known: Iterable<string>): string[] {
  const words = new Set(sql.toLowerCase().match(/[a-z_][a-z0-9_]*/g) ?? []);
  for (const c of DEDUP_COLUMNS) words.add(c);
  return [...known].filter((c) => words.has(c.toLowerCase()));
}

export interface CostRow {
  readonly item: string;
  readonly quantity: string;
  /** USD a month at `callsPerMonth`; null when it cannot be known yet (Parquet before compaction). */
  readonly per_month: number | null;
  readonly per_1k_calls: number | null;
  readonly per_10k_calls: number | null;
}

export interface AthenaRow {
  readonly query: string;
  readonly gzip_scanned_bytes: number;
  readonly gzip_usd_per_run: number;
  readonly parquet_columns: number | null;
  readonly parquet_scanned_bytes: number | null;
  readonly parquet_usd_per_run: number | null;
}

export interface Estimate {
  readonly perCall: {
    readonly events: number;
    readonly storedBytes: number;
    readonly rawBytes: number;
    readonly objects: number;
    readonly objectsMeasured: number;
  };
  readonly rows: CostRow[];
  readonly athena: AthenaRow[];
  /** S3 for 10,000 calls: their PUTs and one month of Standard storage of their bytes (bench/cost.ts's figure). */
  readonly s3Per10kCalls: number;
  readonly notes: string[];
}

const per = (usd: number, calls: number) => ({
  per_month: usd,
  per_1k_calls: (usd / calls) * 1000,
  per_10k_calls: (usd / calls) * 10_000,
});

/** USD for `bytes` scanned by one Athena query (rounded up to a whole MB, at least the minimum). */
export function athenaScanUsd(bytes: number, prices: Prices): number {
  const billed = Math.max(Math.ceil(bytes / MIB), prices.athenaMinMbPerQuery) * MIB;
  return (billed / TIB) * prices.athenaPerTb;
}

/** The monthly cost of the lake at `assumptions.callsPerMonth`, row by row. */
export function estimateCost(
  m: LakeMeasure,
  a: CostAssumptions,
  prices: Prices,
  queries: readonly QuerySql[],
): Estimate {
  if (m.calls <= 0 || m.events <= 0) throw new ConfigError('cannot estimate costs from a lake with no calls');
  const n = a.callsPerMonth;
  const eventsPerCall = m.events / m.calls;
  const storedPerCall = m.storedBytes / m.calls;
  const storedPerEvent = m.storedBytes / m.events;
  const objectsMeasured = m.objects / m.calls;
  const objectsPerCall = a.objectsPerCall ?? objectsMeasured;
  const callsPerDay = n / DAYS_PER_MONTH;
  const notes: string[] = [...(m.notes ?? [])];
  const rows: CostRow[] = [];
  const row = (item: string, quantity: string, usd: number | null): number => {
    rows.push(
      usd === null
        ? { item, quantity, per_month: null, per_1k_calls: null, per_10k_calls: null }
        : { item, quantity, ...per(usd, n) },
    );
    return usd ?? 0;
  };

  // S3: PUTs and storage, as bench/cost.ts counts them.
  const puts = objectsPerCall * n;
  const bytesPerMonth = storedPerCall * n;
  const putUsd = row(
    'S3 PUT requests',
    `${formatCount(Math.ceil(puts))} PUTs`,
    (puts / 1000) * prices.s3PutPer1000,
  );
  const storage1Usd = row(
    'S3 storage, first month (Standard)',
    formatBytes(Math.round(bytesPerMonth)),
    (bytesPerMonth / GIB) * prices.s3StandardGbMonth,
  );
  const s3First = putUsd + storage1Usd;
  row('= S3, first month (PUTs + storage)', '', s3First);
  row("  the per-event design's estimate", '$0.02 per 1,000 calls', (SEED_S3_PER_1K_CALLS * n) / 1000);

  // S3 after a year: data older than the Glacier transition is in Glacier, if S3 transitions it.
  // With --objects-per-call, objects are the call's bytes split evenly: all large enough, or none.
  const overridden = a.objectsPerCall !== undefined;
  const evenSize = storedPerCall / objectsPerCall;
  const evenEligible = evenSize >= TRANSITION_MIN_BYTES ? 1 : 0;
  const eligibleBytes = overridden
    ? evenEligible
    : m.storedBytes > 0
      ? m.transitionEligible.bytes / m.storedBytes
      : 0;
  const eligibleObjects = overridden
    ? evenEligible
    : m.objects > 0
      ? m.transitionEligible.objects / m.objects
      : 0;
  const glacierMonths = Math.max(0, 12 - a.glacierAfterDays / DAYS_PER_MONTH);
  const movedBytes = glacierMonths * bytesPerMonth * eligibleBytes;
  const movedObjects = glacierMonths * puts * eligibleObjects;
  const standardBytes = 12 * bytesPerMonth - movedBytes + movedObjects * GLACIER_OVERHEAD.standardBytes;
  const glacierBytes = movedBytes + movedObjects * GLACIER_OVERHEAD.glacierBytes;
  const storage12Usd = row(
    `S3 storage, month 12 (Glacier after ${a.glacierAfterDays} d)`,
    `${formatBytes(Math.round(standardBytes))} Standard + ${formatBytes(Math.round(glacierBytes))} Glacier`,
    (standardBytes / GIB) * prices.s3StandardGbMonth + (glacierBytes / GIB) * prices.glacierGbMonth,
  );
  const transitionsPerMonth = glacierMonths > 0 ? puts * eligibleObjects : 0;
  const transitionUsd = row(
    'S3 Glacier transitions, a month',
    `${formatCount(Math.ceil(transitionsPerMonth))} objects`,
    (transitionsPerMonth / 1000) * prices.glacierTransitionPer1000,
  );
  const noGlacierUsd = ((12 * bytesPerMonth) / GIB) * prices.s3StandardGbMonth;
  const avgEligible = overridden
    ? evenEligible * evenSize
    : m.transitionEligible.objects > 0
      ? m.transitionEligible.bytes / m.transitionEligible.objects
      : 0;
  const savedPerObjectMonth =
    (avgEligible / GIB) * (prices.s3StandardGbMonth - prices.glacierGbMonth) -
    (GLACIER_OVERHEAD.glacierBytes / GIB) * prices.glacierGbMonth -
    (GLACIER_OVERHEAD.standardBytes / GIB) * prices.s3StandardGbMonth;
  const payback =
    avgEligible > 0 && savedPerObjectMonth > 0
      ? prices.glacierTransitionPer1000 / 1000 / savedPerObjectMonth
      : undefined;
  const saved = noGlacierUsd - storage12Usd - transitionUsd;
  notes.push(
    `Glacier: ${(eligibleBytes * 100).toFixed(0)}% of the bytes (${(eligibleObjects * 100).toFixed(0)}% of the objects) are in objects of at least 128 KiB, which S3 transitions by default; by month 12 the transition ${saved >= 0 ? 'saves' : 'costs'} ${usd(Math.abs(saved))} a month against keeping everything in Standard (${usd(noGlacierUsd)}).${payback === undefined ? '' : ` A transitioned object (${formatBytes(Math.round(avgEligible))} on average here) pays its transition back after ${payback.toFixed(0)} months in Glacier.`}`,
  );

  // CloudWatch Logs: every event, metered uncompressed plus 26 bytes; stored compressed for the retention.
  const cwBytes = eventsPerCall * (m.rawBytesPerEvent + CLOUDWATCH_EVENT_OVERHEAD) * n;
  const cwIngestUsd = row(
    'CloudWatch Logs ingestion',
    formatBytes(Math.round(cwBytes)),
    (cwBytes / GIB) * prices.cloudWatchIngestGb,
  );
  const cwStored = storedPerEvent * eventsPerCall * callsPerDay * a.logRetentionDays;
  const cwStorageUsd = row(
    `CloudWatch Logs storage (${a.logRetentionDays} d retention)`,
    `${formatBytes(Math.round(cwStored))} compressed`,
    (cwStored / GIB) * prices.cloudWatchStorageGbMonth,
  );

  // Athena: on gzip, whole objects of the days read; on Parquet, the column chunks a query reads.
  const gzipScan = storedPerCall * callsPerDay * a.queryDays;
  const gzipGets = objectsPerCall * callsPerDay * a.queryDays;
  const gzipRun = athenaScanUsd(gzipScan, prices) + (gzipGets / 1000) * prices.s3GetPer1000;
  const pq = m.parquet;
  const pqTotalColumns = pq ? Object.values(pq.columnBytes).reduce((s, b) => s + b, 0) : 0;
  const athena: AthenaRow[] = queries.map((q) => {
    let parquet: Pick<AthenaRow, 'parquet_columns' | 'parquet_scanned_bytes' | 'parquet_usd_per_run'> = {
      parquet_columns: null,
      parquet_scanned_bytes: null,
      parquet_usd_per_run: null,
    };
    if (pq && pq.rows > 0 && pqTotalColumns > 0) {
      const cols = columnsOf(q.sql, Object.keys(pq.columnBytes));
      const share = cols.reduce((s, c) => s + (pq.columnBytes[c] ?? 0), 0) / pqTotalColumns;
      const dayBytes = (pq.bytes / pq.rows) * eventsPerCall * callsPerDay;
      const scanned = dayBytes * a.queryDays * share;
      const rowsPerDay = eventsPerCall * callsPerDay;
      const filesPerDay = Math.max(pq.files / pq.days, Math.ceil(rowsPerDay / PARQUET_ROWS.perPart));
      const rowGroupsPerFile = Math.max(
        pq.rowGroups / pq.files,
        Math.ceil(rowsPerDay / filesPerDay / PARQUET_ROWS.perRowGroup),
      );
      // A footer read per file, then per row group one merged read of its chunks when they fit the
      // reader's buffer, else one per column chunk (Trino's Parquet reader merges reads up to 8 MiB).
      const rowGroupBytes = (dayBytes * share) / filesPerDay / rowGroupsPerFile;
      const perRowGroup = rowGroupBytes <= PARQUET_MERGED_READ_BYTES ? 1 : cols.length;
      const gets = filesPerDay * a.queryDays * (1 + rowGroupsPerFile * perRowGroup);
      parquet = {
        parquet_columns: cols.length,
        parquet_scanned_bytes: Math.round(scanned),
        parquet_usd_per_run: athenaScanUsd(scanned, prices) + (gets / 1000) * prices.s3GetPer1000,
      };
    }
    return {
      query: q.name,
      gzip_scanned_bytes: Math.round(gzipScan),
      gzip_usd_per_run: gzipRun,
      ...parquet,
    };
  });
  if (pq && pqTotalColumns > 0) {
    const dedup = DEDUP_COLUMNS.reduce((sum, c) => sum + (pq.columnBytes[c] ?? 0), 0) / pqTotalColumns;
    if (dedup >= 0.2)
      notes.push(
        `Parquet: ${DEDUP_COLUMNS.join(' and ')} are ${(dedup * 100).toFixed(0)}% of the Parquet bytes, and a query through the events_unique view reads them whatever it asks: a compacted day is already one row per event_id, so a table over the compacted files alone would not need them.`,
      );
  }
  const runs = a.queryRunsPerMonth * queries.length;
  const athenaWhat = `${queries.length} queries × ${a.queryRunsPerMonth} runs × ${a.queryDays} d`;
  const athenaGzipUsd = row(
    'Athena on gzip (scan + GETs)',
    `${athenaWhat}: ${formatBytes(Math.round(gzipScan))}, ${formatCount(Math.ceil(gzipGets))} GETs a run`,
    gzipRun * runs,
  );
  if (pq)
    row(
      'Athena on Parquet (scan + GETs)',
      `${athenaWhat}: the columns each names`,
      athena.reduce((s, r) => s + (r.parquet_usd_per_run ?? 0), 0) * a.queryRunsPerMonth,
    );
  else row('Athena on Parquet', 'after compaction (`voicelake compact`)', null);

  const common = putUsd + cwIngestUsd + cwStorageUsd + athenaGzipUsd;
  row('= total, first month', 'S3, CloudWatch, Athena on gzip', common + storage1Usd);
  row('= total, month 12', 'the same with a year of data', common + storage12Usd + transitionUsd);

  if (a.objectsPerCall === undefined && objectsMeasured < 1)
    notes.push(
      `Objects: this lake has ${objectsMeasured.toFixed(3)} objects per call: its writers batched many calls per object (the demo, or long-lived processes). LiveKit runs each call in its own process, which writes about 2 × minutes + 1 objects per call (docs/at-scale.md): pass --objects-per-call to see that.`,
    );
  if (gzipRun * runs > 0 && (gzipGets / 1000) * prices.s3GetPer1000 > athenaScanUsd(gzipScan, prices))
    notes.push(
      'Athena on gzip pays more for GET requests (one per object) than for the bytes it scans: small objects are what compaction removes.',
    );
  return {
    perCall: {
      events: eventsPerCall,
      storedBytes: storedPerCall,
      rawBytes: eventsPerCall * m.rawBytesPerEvent,
      objects: objectsPerCall,
      objectsMeasured,
    },
    rows,
    athena,
    s3Per10kCalls: (s3First / n) * 10_000,
    notes,
  };
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
