/**
 * The cost model, one small function per line item of `voicelake cost`'s table. Each takes the
 * per-call basis (what was measured, projected to the calls a month) and the prices, and
 * returns its row: what it is, its quantity, and USD a month. Pure; docs/cost.md explains
 * each row.
 */
import { formatBytes, formatCount } from '../format.js';
import type { CostAssumptions } from './assumptions.js';
import type { LakeMeasure } from './measure.js';
import {
  CLOUDWATCH_EVENT_OVERHEAD,
  DAYS_PER_MONTH,
  GIB,
  GLACIER_OVERHEAD,
  MIB,
  type Prices,
  SEED_S3_PER_1K_CALLS,
  TIB,
  TRANSITION_MIN_BYTES,
  usd,
} from './prices.js';

/** A row of the table before it is divided per call: USD a month, or null when it cannot be known yet. */
export interface LineItem {
  readonly item: string;
  readonly quantity: string;
  readonly usd: number | null;
}

/** The measure, per call and projected to `callsPerMonth`. */
export interface Basis {
  readonly callsPerMonth: number;
  readonly callsPerDay: number;
  readonly eventsPerCall: number;
  readonly storedPerCall: number;
  readonly storedPerEvent: number;
  /** Objects per call: `--objects-per-call`, else as measured. */
  readonly objectsPerCall: number;
  readonly objectsMeasured: number;
  /** S3 PUTs a month (one per object). */
  readonly puts: number;
  /** Bytes stored a month. */
  readonly bytesPerMonth: number;
}

export function basisOf(m: LakeMeasure, a: CostAssumptions): Basis {
  const objectsMeasured = m.objects / m.calls;
  const objectsPerCall = a.objectsPerCall ?? objectsMeasured;
  const storedPerCall = m.storedBytes / m.calls;
  return {
    callsPerMonth: a.callsPerMonth,
    callsPerDay: a.callsPerMonth / DAYS_PER_MONTH,
    eventsPerCall: m.events / m.calls,
    storedPerCall,
    storedPerEvent: m.storedBytes / m.events,
    objectsPerCall,
    objectsMeasured,
    puts: objectsPerCall * a.callsPerMonth,
    bytesPerMonth: storedPerCall * a.callsPerMonth,
  };
}

export const s3Puts = (b: Basis, p: Prices): LineItem => ({
  item: 'S3 PUT requests',
  quantity: `${formatCount(Math.ceil(b.puts))} PUTs`,
  usd: (b.puts / 1000) * p.s3PutPer1000,
});

export const s3StorageFirstMonth = (b: Basis, p: Prices): LineItem => ({
  item: 'S3 storage, first month (Standard)',
  quantity: formatBytes(Math.round(b.bytesPerMonth)),
  usd: (b.bytesPerMonth / GIB) * p.s3StandardGbMonth,
});

/** The per-event design's figure, beside ours: "$0.02 per 1,000 calls" (PUTs and storage). */
export const perEventDesign = (b: Basis): LineItem => ({
  item: "  the per-event design's estimate",
  quantity: '$0.02 per 1,000 calls',
  usd: (SEED_S3_PER_1K_CALLS * b.callsPerMonth) / 1000,
});

/** What S3 moves to Glacier: the shares of bytes and objects large enough to transition, and for how many months of a year. */
export interface GlacierShare {
  readonly bytes: number;
  readonly objects: number;
  /** Months of the first year that data spends in Glacier. */
  readonly months: number;
  /** The average size of an object S3 transitions (0: none). */
  readonly avgObjectBytes: number;
}

/**
 * The Glacier share of the lake. With --objects-per-call, objects are the call's bytes split
 * evenly: all large enough to transition, or none; else as measured.
 */
export function glacierShare(m: LakeMeasure, a: CostAssumptions, b: Basis): GlacierShare {
  const months = Math.max(0, 12 - a.glacierAfterDays / DAYS_PER_MONTH);
  if (a.objectsPerCall !== undefined) {
    const evenSize = b.storedPerCall / b.objectsPerCall;
    const all = evenSize >= TRANSITION_MIN_BYTES ? 1 : 0;
    return { bytes: all, objects: all, months, avgObjectBytes: all * evenSize };
  }
  const e = m.transitionEligible;
  return {
    bytes: m.storedBytes > 0 ? e.bytes / m.storedBytes : 0,
    objects: m.objects > 0 ? e.objects / m.objects : 0,
    months,
    avgObjectBytes: e.objects > 0 ? e.bytes / e.objects : 0,
  };
}

/** S3 storage in month 12: what is older than the transition is in Glacier (with its per-object overhead). */
export function s3StorageMonth12(b: Basis, g: GlacierShare, a: CostAssumptions, p: Prices): LineItem {
  const movedBytes = g.months * b.bytesPerMonth * g.bytes;
  const movedObjects = g.months * b.puts * g.objects;
  const standard = 12 * b.bytesPerMonth - movedBytes + movedObjects * GLACIER_OVERHEAD.standardBytes;
  const glacier = movedBytes + movedObjects * GLACIER_OVERHEAD.glacierBytes;
  return {
    item: `S3 storage, month 12 (Glacier after ${a.glacierAfterDays} d)`,
    quantity: `${formatBytes(Math.round(standard))} Standard + ${formatBytes(Math.round(glacier))} Glacier`,
    usd: (standard / GIB) * p.s3StandardGbMonth + (glacier / GIB) * p.glacierGbMonth,
  };
}

export function glacierTransitions(b: Basis, g: GlacierShare, p: Prices): LineItem {
  const perMonth = g.months > 0 ? b.puts * g.objects : 0;
  return {
    item: 'S3 Glacier transitions, a month',
    quantity: `${formatCount(Math.ceil(perMonth))} objects`,
    usd: (perMonth / 1000) * p.glacierTransitionPer1000,
  };
}

/** What the transition saves by month 12 against keeping everything in Standard, and when an object pays it back. */
export function glacierNote(
  b: Basis,
  g: GlacierShare,
  month12Usd: number,
  transitionsUsd: number,
  p: Prices,
): string {
  const noGlacier = ((12 * b.bytesPerMonth) / GIB) * p.s3StandardGbMonth;
  const savedPerObjectMonth =
    (g.avgObjectBytes / GIB) * (p.s3StandardGbMonth - p.glacierGbMonth) -
    (GLACIER_OVERHEAD.glacierBytes / GIB) * p.glacierGbMonth -
    (GLACIER_OVERHEAD.standardBytes / GIB) * p.s3StandardGbMonth;
  const payback =
    g.avgObjectBytes > 0 && savedPerObjectMonth > 0
      ? p.glacierTransitionPer1000 / 1000 / savedPerObjectMonth
      : undefined;
  const saved = noGlacier - month12Usd - transitionsUsd;
  return `Glacier: ${(g.bytes * 100).toFixed(0)}% of the bytes (${(g.objects * 100).toFixed(0)}% of the objects) are in objects of at least 128 KiB, which S3 transitions by default; by month 12 the transition ${saved >= 0 ? 'saves' : 'costs'} ${usd(Math.abs(saved))} a month against keeping everything in Standard (${usd(noGlacier)}).${payback === undefined ? '' : ` A transitioned object (${formatBytes(Math.round(g.avgObjectBytes))} on average here) pays its transition back after ${payback.toFixed(0)} months in Glacier.`}`;
}

/** CloudWatch Logs meters every event uncompressed, plus 26 bytes. */
export function cloudWatchIngestion(b: Basis, m: LakeMeasure, p: Prices): LineItem {
  const bytes = b.eventsPerCall * (m.rawBytesPerEvent + CLOUDWATCH_EVENT_OVERHEAD) * b.callsPerMonth;
  return {
    item: 'CloudWatch Logs ingestion',
    quantity: formatBytes(Math.round(bytes)),
    usd: (bytes / GIB) * p.cloudWatchIngestGb,
  };
}

/** CloudWatch Logs stores events compressed (at the lake's gzip size) for the retention. */
export function cloudWatchStorage(b: Basis, a: CostAssumptions, p: Prices): LineItem {
  const stored = b.storedPerEvent * b.eventsPerCall * b.callsPerDay * a.logRetentionDays;
  return {
    item: `CloudWatch Logs storage (${a.logRetentionDays} d retention)`,
    quantity: `${formatBytes(Math.round(stored))} compressed`,
    usd: (stored / GIB) * p.cloudWatchStorageGbMonth,
  };
}

/** USD for `bytes` scanned by one Athena query (rounded up to a whole MB, at least the minimum). */
export function athenaScanUsd(bytes: number, prices: Prices): number {
  const billed = Math.max(Math.ceil(bytes / MIB), prices.athenaMinMbPerQuery) * MIB;
  return (billed / TIB) * prices.athenaPerTb;
}

/** One Athena query on gzip: it reads whole objects of the days it asks for, one GET each. */
export interface GzipRun {
  readonly scannedBytes: number;
  readonly gets: number;
  readonly scanUsd: number;
  readonly getUsd: number;
  readonly usd: number;
}

export function athenaGzipRun(b: Basis, a: CostAssumptions, p: Prices): GzipRun {
  const scannedBytes = b.storedPerCall * b.callsPerDay * a.queryDays;
  const gets = b.objectsPerCall * b.callsPerDay * a.queryDays;
  const scanUsd = athenaScanUsd(scannedBytes, p);
  const getUsd = (gets / 1000) * p.s3GetPer1000;
  return { scannedBytes, gets, scanUsd, getUsd, usd: scanUsd + getUsd };
}

/** The Athena line on gzip: every named query, run `queryRunsPerMonth` times. */
export function athenaOnGzip(run: GzipRun, queries: number, a: CostAssumptions): LineItem {
  return {
    item: 'Athena on gzip (scan + GETs)',
    quantity: `${queries} queries × ${a.queryRunsPerMonth} runs × ${a.queryDays} d: ${formatBytes(Math.round(run.scannedBytes))}, ${formatCount(Math.ceil(run.gets))} GETs a run`,
    usd: run.usd * queries * a.queryRunsPerMonth,
  };
}

/** The Athena line on Parquet: the sum of each query's run, or unknown before compaction. */
export function athenaOnParquet(
  perRunUsd: number | undefined,
  queries: number,
  a: CostAssumptions,
): LineItem {
  if (perRunUsd === undefined)
    return { item: 'Athena on Parquet', quantity: 'after compaction (`voicelake compact`)', usd: null };
  return {
    item: 'Athena on Parquet (scan + GETs)',
    quantity: `${queries} queries × ${a.queryRunsPerMonth} runs × ${a.queryDays} d: the columns each names`,
    usd: perRunUsd * a.queryRunsPerMonth,
  };
}
