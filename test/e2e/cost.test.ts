/**
 * `voicelake cost` on demo data, as a user runs it: the table in every format, the figures
 * measured in the lake equal to an independent count of its files, and its S3 figure per
 * 10,000 calls within 10% of the benchmark's cost model (bench/cost.ts) given the same inputs.
 * Then the same lake compacted (Parquet figures from parquet_metadata, also when compaction
 * deleted the gzip objects), read from S3 (moto), and an empty lake (the demo's figures).
 * The CLI tests run the built CLI (`npm run build` first).
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { cost as benchCost } from '../../bench/cost.js';
import { NAMED_QUERIES } from '../../packages/cli/src/lake/named-queries.js';
import { clients, createBucket, uniqueName } from '../helpers/aws.js';
import { voicelake as voicelakeInProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const _run = promisify(execFile);
const _cli = resolve(import.meta.dirname, '../../packages/cli/bin/voicelake.js');

interface CostRow {
  item: string;
  quantity: string;
  per_month: number | null;
  per_1k_calls: number | null;
  per_10k_calls: number | null;
}

interface CostJson {
  source: string;
  origin: 'lake' | 'demo';
  callsPerMonth: number;
  measured: {
    days: number;
    calls: number;
    events: number;
    objects: number;
    storedBytes: number;
    rawBytesPerEvent: number;
    sampledObjects: number;
    parquet: {
      days: number;
      files: number;
      bytes: number;
      rows: number;
      rowGroups: number;
      columnBytes: Record<string, number>;
    } | null;
  };
  prices: Record<string, number | string>;
  s3Per10kCalls: number;
  rows: CostRow[];
  athena: {
    query: string;
    gzip_scanned_bytes: number;
    parquet_scanned_bytes: number | null;
    parquet_columns: number | null;
  }[];
  notes: string[];
}

/** What an independent reader counts in a local lake's gzip objects. */
interface Counted {
  files: string[];
  days: string[];
  calls: number;
  events: number;
  storedBytes: number;
  lineBytes: number;
  eventsByDay: Map<string, number>;
}

function countLake(dir: string): Counted {
  const files = readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => /^year=\d{4}\/month=\d{2}\/day=\d{2}\/[^/]+\.json\.gz$/.test(f))
    .sort();
  const calls = new Set<string>();
  const eventsByDay = new Map<string, number>();
  let events = 0;
  let storedBytes = 0;
  let lineBytes = 0;
  for (const f of files) {
    const body = readFileSync(join(dir, f));
    storedBytes += body.length;
    const lines = gunzipSync(body).toString('utf8').split('\n').filter(Boolean);
    const [, y, m, d] = /^year=(\d{4})\/month=(\d{2})\/day=(\d{2})\//.exec(f) as RegExpExecArray;
    const day = `${y}-${m}-${d}`;
    eventsByDay.set(day, (eventsByDay.get(day) ?? 0) + lines.length);
    for (const line of lines) {
      events++;
      lineBytes += Buffer.byteLength(line);
      calls.add((JSON.parse(line) as { call_id: string }).call_id);
    }
  }
  return {
    files,
    days: [...eventsByDay.keys()].sort(),
    calls: calls.size,
    events,
    storedBytes,
    lineBytes,
    eventsByDay,
  };
}

const rowOf = (doc: CostJson, item: string): CostRow => {
  const row = doc.rows.find((r) => r.item.startsWith(item));
  if (!row) throw new Error(`no row "${item}" in ${doc.rows.map((r) => r.item).join(' | ')}`);
  return row;
};

describe('voicelake cost on demo data', () => {
  const root = tempDir('vl-cost');
  const lake = join(root, 'lake');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ANALYTICS_SPOOL_DIR: join(root, 'spool'),
    ANALYTICS_LOG_LEVEL: 'warn',
    XDG_CACHE_HOME: join(root, 'cache'),
    NODE_NO_WARNINGS: '1',
  };
  for (const name of ['ANALYTICS_S3_BUCKET', 'ANALYTICS_S3_PREFIX', 'ANALYTICS_LAKE_DIR']) delete env[name];
  const voicelake = (...args: string[]) => voicelakeInProcess(args, env);
  const costJson = async (...args: string[]): Promise<CostJson> =>
    JSON.parse((await voicelake('cost', ...args, '--format', 'json')).stdout) as CostJson;
  let counted: Counted;

  beforeAll(async () => {
    await voicelake('demo', '--calls', '200', '--data-dir', lake);
    counted = countLake(lake);
  });

  it('prints the table: measured figures, prices and their date, every row beside the seed, Athena per query', async () => {
    // Act
    const { stdout } = await voicelake('cost', '--data-dir', lake);

    // Assess
    expect(stdout).toContain(`voicelake cost: 10,000 calls a month, measured in ${lake} (all days)`);
    expect(stdout).toContain(
      `measured: 200 calls, ${counted.events.toLocaleString('en-US')} events, ${counted.files.length} objects`,
    );
    expect(stdout).toContain('prices:   us-east-1, built-in public list prices taken 2026-11-27');
    expect(stdout).toContain('S3 Standard $0.023/GB-month, PUT $0.005/1k, GET $0.0004/1k');
    expect(stdout).toContain('Glacier Flexible Retrieval $0.0036/GB-month, transition $0.05/1k objects');
    expect(stdout).toContain('CloudWatch Logs ingestion $0.50/GB, storage $0.03/GB-month');
    expect(stdout).toContain('Athena $5/TB scanned, 10 MB minimum a query');
    expect(stdout).toMatch(/^item +quantity +per_month +per_1k_calls +per_10k_calls$/m);
    for (const item of [
      'S3 PUT requests',
      'S3 storage, first month (Standard)',
      '= S3, first month (PUTs + storage)',
      "the per-event design's estimate",
      'S3 storage, month 12 (Glacier after 90 d)',
      'S3 Glacier transitions, a month',
      'CloudWatch Logs ingestion',
      'CloudWatch Logs storage (30 d retention)',
      'Athena on gzip (scan + GETs)',
      'Athena on Parquet',
      '= total, first month',
      '= total, month 12',
    ])
      expect(stdout).toContain(item);
    expect(stdout).toMatch(
      /the per-event design's estimate +\$0\.02 per 1,000 calls +\$0\.2 +\$0\.02 +\$0\.2$/m,
    );
    expect(stdout).toMatch(/^Athena on Parquet +after compaction/m);
    for (const name of Object.keys(NAMED_QUERIES)) expect(stdout).toMatch(new RegExp(`^${name} +`, 'm'));
    expect(stdout).toContain('pass --objects-per-call');
  });

  it('measures what an independent count of the files finds, and its S3 figure agrees with bench/cost.ts within 10%', async () => {
    // Act
    const doc = await costJson('--data-dir', lake);

    // Assess: the measure
    expect(doc.origin).toBe('lake');
    expect(doc.measured).toMatchObject({
      days: counted.days.length,
      calls: counted.calls,
      events: counted.events,
      objects: counted.files.length,
      storedBytes: counted.storedBytes,
      parquet: null,
    });
    expect(doc.measured.rawBytesPerEvent).toBeCloseTo(counted.lineBytes / counted.events, 6);

    // Assess: the benchmark's model, given the same inputs.
    const bench = benchCost({
      eventsPerCall: counted.events / counted.calls,
      storedBytesPerEvent: counted.storedBytes / counted.events,
      rawBytesPerEvent: counted.lineBytes / counted.events + 1,
      perEventGzipBytesPerEvent: counted.storedBytes / counted.events,
      s3RequestsPer10kCalls: {
        voicelake: Math.ceil((counted.files.length / counted.calls) * 10_000),
        seed: Math.round((counted.events / counted.calls) * 10_000),
      },
    });
    const benchS3 = bench.voicelake.s3Total;
    expect(benchS3).toBeGreaterThan(0);
    expect(Math.abs(doc.s3Per10kCalls - benchS3) / benchS3).toBeLessThan(0.1);
    expect(rowOf(doc, '= S3, first month').per_10k_calls).toBeCloseTo(doc.s3Per10kCalls, 12);
    // Within 10% as the total: the files per call depend on how the demo's calls fall across days.
    const puts = rowOf(doc, 'S3 PUT requests').per_10k_calls as number;
    expect(Math.abs(puts - bench.voicelake.s3Puts) / bench.voicelake.s3Puts).toBeLessThan(0.1);
    // CloudWatch ingestion: the same bytes, in GiB instead of 10^9 bytes.
    const cw = rowOf(doc, 'CloudWatch Logs ingestion').per_10k_calls as number;
    expect(
      Math.abs(cw - bench.voicelake.cloudWatchIngestion) / bench.voicelake.cloudWatchIngestion,
    ).toBeLessThan(0.1);
    // The seed's estimate beside it.
    expect(rowOf(doc, "  the per-event design's estimate").per_10k_calls).toBeCloseTo(
      bench.seedClaimS3Per10kCalls,
      12,
    );
  });

  it('prints CSV (numbers in USD) and scales linearly with --calls-per-month', async () => {
    // Act
    const csv = (await voicelake('cost', '--data-dir', lake, '--format', 'csv')).stdout;
    const base = await costJson('--data-dir', lake);
    const big = await costJson('--data-dir', lake, '--calls-per-month', '100000');

    // Assess
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe('item,quantity,per_month,per_1k_calls,per_10k_calls');
    expect(lines).toHaveLength(base.rows.length + 1);
    const put = lines.find((l) => l.startsWith('S3 PUT requests,')) as string;
    expect(Number(put.split(',')[2])).toBeCloseTo(rowOf(base, 'S3 PUT requests').per_month as number, 12);
    expect(lines.find((l) => l.startsWith('Athena on Parquet,'))).toBe(
      'Athena on Parquet,after compaction (`voicelake compact`),,,',
    );
    expect(big.callsPerMonth).toBe(100_000);
    expect(rowOf(big, 'S3 PUT requests').per_month).toBeCloseTo(
      10 * (rowOf(base, 'S3 PUT requests').per_month as number),
      12,
    );
    expect(big.s3Per10kCalls).toBeCloseTo(base.s3Per10kCalls, 12);
  });

  it('--prices overrides any price, and the table says where they come from', async () => {
    // Prepare
    const file = join(root, 'prices.json');
    writeFileSync(file, JSON.stringify({ region: 'eu-west-1', date: '2026-11-01', s3PutPer1000: 0.01 }));
    const bad = join(root, 'bad-prices.json');
    writeFileSync(bad, JSON.stringify({ s3PutPer1000: -1 }));
    const unknown = join(root, 'unknown-prices.json');
    writeFileSync(unknown, JSON.stringify({ s3PutPerRequest: 1 }));

    // Act
    const base = await costJson('--data-dir', lake);
    const doc = await costJson('--data-dir', lake, '--prices', file);
    const table = (await voicelake('cost', '--data-dir', lake, '--prices', file)).stdout;
    const refused = await voicelake('cost', '--data-dir', lake, '--prices', bad).catch((e) => e);
    const refusedUnknown = await voicelake('cost', '--data-dir', lake, '--prices', unknown).catch((e) => e);

    // Assess
    expect(doc.prices).toMatchObject({
      region: 'eu-west-1',
      date: '2026-11-01',
      s3PutPer1000: 0.01,
      source: file,
    });
    expect(rowOf(doc, 'S3 PUT requests').per_month).toBeCloseTo(
      2 * (rowOf(base, 'S3 PUT requests').per_month as number),
      12,
    );
    expect(rowOf(doc, 'CloudWatch Logs ingestion').per_month).toBeCloseTo(
      rowOf(base, 'CloudWatch Logs ingestion').per_month as number,
      12,
    );
    expect(table).toContain(`prices:   eu-west-1, from ${file} (dated 2026-11-01)`);
    expect(table).toContain('PUT $0.01/1k');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('"s3PutPer1000" must be a number >= 0');
    expect(refusedUnknown.stderr).toContain('unknown key "s3PutPerRequest"');
  });

  it('an empty lake is estimated from a simulated demo lake, and says so', async () => {
    // Act
    const { stdout, stderr } = await voicelake('cost', '--data-dir', join(root, 'no-lake-here'));
    const doc = await costJson('--data-dir', join(root, 'no-lake-here'));

    // Assess
    expect(stderr).toContain('holds no objects: estimating from a simulated 200-call demo lake');
    expect(stdout).toContain('measured in a simulated 200-call demo lake');
    expect(doc.origin).toBe('demo');
    expect(doc.measured.calls).toBe(200);
    expect(doc.measured.events).toBeGreaterThan(200 * 20);
  });

  describe('after compaction', () => {
    const compacted = join(root, 'compacted-lake');
    const deleted = join(root, 'deleted-lake');
    let compactedDays: string[];

    beforeAll(async () => {
      cpSync(lake, compacted, { recursive: true });
      cpSync(lake, deleted, { recursive: true });
      compactedDays = counted.days.slice(1, 3);
      const days = ['--day', compactedDays[0] as string, '--to', compactedDays[1] as string];
      await voicelake('compact', '--data-dir', compacted, ...days);
      await voicelake('compact', '--data-dir', deleted, ...days, '--delete-source');
    });

    it('reads the Parquet column chunks each named query needs from parquet_metadata', async () => {
      // Act
      const doc = await costJson('--data-dir', compacted);
      const table = (await voicelake('cost', '--data-dir', compacted)).stdout;

      // Assess
      const pq = doc.measured.parquet;
      expect(pq).not.toBeNull();
      expect(pq?.days).toBe(2);
      expect(pq?.rows).toBe(compactedDays.reduce((n, d) => n + (counted.eventsByDay.get(d) ?? 0), 0));
      expect(Object.keys(pq?.columnBytes ?? {})).toEqual(
        expect.arrayContaining(['event_id', 'call_id', 'ttft_ms']),
      );
      const files = readdirSync(join(compacted, 'compacted'), { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('.parquet'));
      expect(pq?.files).toBe(files.length);
      expect(pq?.bytes).toBe(files.reduce((n, f) => n + statSync(join(compacted, 'compacted', f)).size, 0));
      // The gzip figures are those of the same lake before compaction.
      expect(doc.measured).toMatchObject({
        calls: counted.calls,
        events: counted.events,
        objects: counted.files.length,
      });
      for (const q of doc.athena) {
        expect(q.parquet_columns).toBeGreaterThanOrEqual(3);
        expect(q.parquet_scanned_bytes).toBeGreaterThan(0);
        expect(q.parquet_scanned_bytes).toBeLessThan(q.gzip_scanned_bytes);
      }
      // A query naming fewer columns reads fewer bytes.
      const scanned = (name: string) =>
        doc.athena.find((q) => q.query === name)?.parquet_scanned_bytes as number;
      expect(scanned('interruptions')).toBeLessThan(scanned('calls'));
      expect(rowOf(doc, 'Athena on Parquet').per_month).toBeGreaterThan(0);
      expect(table).toContain('parquet:  2 compacted parts of 2 days');
      expect(table).not.toContain('Parquet figures after compaction');
    });

    it('counts the gzip objects compaction deleted from their manifests', async () => {
      // Act
      const doc = await costJson('--data-dir', deleted);

      // Assess
      expect(countLake(deleted).files.length).toBe(counted.files.length - 2);
      expect(doc.measured).toMatchObject({
        days: counted.days.length,
        calls: counted.calls,
        events: counted.events,
        objects: counted.files.length,
        storedBytes: counted.storedBytes,
      });
      expect(doc.measured.parquet?.days).toBe(2);
    });

    it('reads the same figures from S3 through the query cache (compacted days from their Parquet)', async () => {
      // Prepare: the compacted lake, key for key, in a bucket.
      const endpoint = inject('motoEndpoint');
      const { s3 } = clients(endpoint);
      const bucket = uniqueName('vl-cost');
      try {
        await createBucket(s3, bucket);
        for (const f of readdirSync(compacted, { recursive: true }).map(String)) {
          const path = join(compacted, f);
          if (!statSync(path).isFile()) continue;
          await s3.send(new PutObjectCommand({ Bucket: bucket, Key: f, Body: readFileSync(path) }));
        }
        const local = await costJson('--data-dir', compacted);

        // Act
        const remote = await costJson(
          '--bucket',
          bucket,
          '--from',
          counted.days[0] as string,
          '--to',
          counted.days[counted.days.length - 1] as string,
        );

        // Assess
        expect(remote.source).toBe(`s3://${bucket}/`);
        // The S3 cache holds the Parquet of compacted days, not their gzip: NDJSON is sampled from the other days.
        const { rawBytesPerEvent, sampledObjects, ...rest } = remote.measured;
        const { rawBytesPerEvent: localRaw, ...localRest } = local.measured;
        expect({ ...rest, sampledObjects: local.measured.sampledObjects }).toEqual(localRest);
        expect(sampledObjects).toBe(counted.files.length - 2);
        expect(Math.abs(rawBytesPerEvent - localRaw) / localRaw).toBeLessThan(0.02);
        expect(remote.s3Per10kCalls).toBeCloseTo(local.s3Per10kCalls, 12);
        expect(remote.athena).toEqual(local.athena);
        expect(existsSync(join(root, 'cache'))).toBe(true);
      } finally {
        s3.destroy();
      }
    });
  });
});
