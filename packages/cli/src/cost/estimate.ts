/**
 * What the lake costs a month, from what was measured in it: the line items of
 * cost/line-items.ts in the table's order, their totals, and the Athena cost of each named
 * query on gzip and on Parquet. Pure: a measure, assumptions and prices in, rows out.
 */
import { ConfigError } from 'voicelake';
import { PARQUET_ROWS } from '../lake/compacted-layout.js';
import type { CostAssumptions } from './assumptions.js';
import {
  athenaGzipRun,
  athenaOnGzip,
  athenaOnParquet,
  athenaScanUsd,
  type Basis,
  basisOf,
  cloudWatchIngestion,
  cloudWatchStorage,
  type GzipRun,
  glacierNote,
  glacierShare,
  glacierTransitions,
  type LineItem,
  perEventDesign,
  s3Puts,
  s3StorageFirstMonth,
  s3StorageMonth12,
} from './line-items.js';
import type { LakeMeasure, ParquetMeasure } from './measure.js';
import { PARQUET_MERGED_READ_BYTES, type Prices } from './prices.js';

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

/** A line item as a row of the table: USD a month, per 1,000 and per 10,000 calls. */
function rowOf(line: LineItem, calls: number): CostRow {
  const { item, quantity, usd } = line;
  if (usd === null) return { item, quantity, per_month: null, per_1k_calls: null, per_10k_calls: null };
  return {
    item,
    quantity,
    per_month: usd,
    per_1k_calls: (usd / calls) * 1000,
    per_10k_calls: (usd / calls) * 10_000,
  };
}

const total = (item: string, quantity: string, usd: number): LineItem => ({ item, quantity, usd });
const usdOf = (line: LineItem): number => line.usd ?? 0;

/**
 * One run of the query `q` on the compacted Parquet: the column chunks it names over the days it
 * reads, a footer read per file, and per row group one merged read of its chunks when they fit
 * the reader's buffer, else one per column chunk (Trino's Parquet reader merges reads up to 8 MiB).
 */
function athenaParquetRun(
  q: QuerySql,
  b: Basis,
  pq: ParquetMeasure,
  a: CostAssumptions,
  p: Prices,
): Pick<AthenaRow, 'parquet_columns' | 'parquet_scanned_bytes' | 'parquet_usd_per_run'> {
  const totalColumns = Object.values(pq.columnBytes).reduce((s, x) => s + x, 0);
  const cols = columnsOf(q.sql, Object.keys(pq.columnBytes));
  const share = cols.reduce((s, c) => s + (pq.columnBytes[c] ?? 0), 0) / totalColumns;
  const rowsPerDay = b.eventsPerCall * b.callsPerDay;
  const dayBytes = (pq.bytes / pq.rows) * rowsPerDay;
  const scanned = dayBytes * a.queryDays * share;
  const filesPerDay = Math.max(pq.files / pq.days, Math.ceil(rowsPerDay / PARQUET_ROWS.perPart));
  const rowGroupsPerFile = Math.max(
    pq.rowGroups / pq.files,
    Math.ceil(rowsPerDay / filesPerDay / PARQUET_ROWS.perRowGroup),
  );
  const rowGroupBytes = (dayBytes * share) / filesPerDay / rowGroupsPerFile;
  const perRowGroup = rowGroupBytes <= PARQUET_MERGED_READ_BYTES ? 1 : cols.length;
  const gets = filesPerDay * a.queryDays * (1 + rowGroupsPerFile * perRowGroup);
  return {
    parquet_columns: cols.length,
    parquet_scanned_bytes: Math.round(scanned),
    parquet_usd_per_run: athenaScanUsd(scanned, p) + (gets / 1000) * p.s3GetPer1000,
  };
}

/** Each named query's run on gzip and, once days are compacted, on Parquet. */
function athenaRows(
  queries: readonly QuerySql[],
  b: Basis,
  gzip: GzipRun,
  pq: ParquetMeasure | undefined,
  a: CostAssumptions,
  p: Prices,
): AthenaRow[] {
  const measured = pq !== undefined && pq.rows > 0 && Object.values(pq.columnBytes).some((x) => x > 0);
  return queries.map((q) => ({
    query: q.name,
    gzip_scanned_bytes: Math.round(gzip.scannedBytes),
    gzip_usd_per_run: gzip.usd,
    ...(measured
      ? athenaParquetRun(q, b, pq, a, p)
      : { parquet_columns: null, parquet_scanned_bytes: null, parquet_usd_per_run: null }),
  }));
}

/** What the measure says beyond the rows, one line each. */
function notesOf(m: LakeMeasure, a: CostAssumptions, b: Basis, gzip: GzipRun, queries: number): string[] {
  const notes: string[] = [];
  const pq = m.parquet;
  const pqTotal = pq ? Object.values(pq.columnBytes).reduce((s, x) => s + x, 0) : 0;
  if (pq && pqTotal > 0) {
    const dedup = DEDUP_COLUMNS.reduce((sum, c) => sum + (pq.columnBytes[c] ?? 0), 0) / pqTotal;
    if (dedup >= 0.2)
      notes.push(
        `Parquet: ${DEDUP_COLUMNS.join(' and ')} are ${(dedup * 100).toFixed(0)}% of the Parquet bytes, and a query through the events_unique view reads them whatever it asks: a compacted day is already one row per event_id, so a table over the compacted files alone would not need them.`,
      );
  }
  if (a.objectsPerCall === undefined && b.objectsMeasured < 1)
    notes.push(
      `Objects: this lake has ${b.objectsMeasured.toFixed(3)} objects per call: its writers batched many calls per object (the demo, or long-lived processes). LiveKit runs each call in its own process, which writes about 2 × minutes + 1 objects per call (docs/at-scale.md): pass --objects-per-call to see that.`,
    );
  if (gzip.usd * a.queryRunsPerMonth * queries > 0 && gzip.getUsd > gzip.scanUsd)
    notes.push(
      'Athena on gzip pays more for GET requests (one per object) than for the bytes it scans: small objects are what compaction removes.',
    );
  return notes;
}

/** The monthly cost of the lake at `a.callsPerMonth`, row by row. */
export function estimateCost(
  m: LakeMeasure,
  a: CostAssumptions,
  prices: Prices,
  queries: readonly QuerySql[],
): Estimate {
  if (m.calls <= 0 || m.events <= 0) throw new ConfigError('cannot estimate costs from a lake with no calls');
  const b = basisOf(m, a);
  const puts = s3Puts(b, prices);
  const storage1 = s3StorageFirstMonth(b, prices);
  const s3First = usdOf(puts) + usdOf(storage1);
  const glacier = glacierShare(m, a, b);
  const storage12 = s3StorageMonth12(b, glacier, a, prices);
  const transitions = glacierTransitions(b, glacier, prices);
  const cwIngest = cloudWatchIngestion(b, m, prices);
  const cwStorage = cloudWatchStorage(b, a, prices);
  const gzip = athenaGzipRun(b, a, prices);
  const athena = athenaRows(queries, b, gzip, m.parquet, a, prices);
  const onGzip = athenaOnGzip(gzip, queries.length, a);
  const onParquet = athenaOnParquet(
    m.parquet ? athena.reduce((s, r) => s + (r.parquet_usd_per_run ?? 0), 0) : undefined,
    queries.length,
    a,
  );
  const common = usdOf(puts) + usdOf(cwIngest) + usdOf(cwStorage) + usdOf(onGzip);
  const lines = [
    puts,
    storage1,
    total('= S3, first month (PUTs + storage)', '', s3First),
    perEventDesign(b),
    storage12,
    transitions,
    cwIngest,
    cwStorage,
    onGzip,
    onParquet,
    total('= total, first month', 'S3, CloudWatch, Athena on gzip', common + usdOf(storage1)),
    total(
      '= total, month 12',
      'the same with a year of data',
      common + usdOf(storage12) + usdOf(transitions),
    ),
  ];
  return {
    perCall: {
      events: b.eventsPerCall,
      storedBytes: b.storedPerCall,
      rawBytes: b.eventsPerCall * m.rawBytesPerEvent,
      objects: b.objectsPerCall,
      objectsMeasured: b.objectsMeasured,
    },
    rows: lines.map((line) => rowOf(line, a.callsPerMonth)),
    athena,
    s3Per10kCalls: (s3First / a.callsPerMonth) * 10_000,
    notes: [
      ...(m.notes ?? []),
      glacierNote(b, glacier, usdOf(storage12), usdOf(transitions), prices),
      ...notesOf(m, a, b, gzip, queries.length),
    ],
  };
}
