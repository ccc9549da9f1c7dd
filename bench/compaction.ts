/**
 * Compaction: `voicelake compact` of one day of demo calls (10,000 calls; `--quick`: 300),
 * beside the floor of the same job, a plain DuckDB
 * `COPY (SELECT * FROM read_json(<the day's objects>)) TO 'x.parquet' (FORMAT parquet, COMPRESSION zstd)`
 * with the schema's column types. The plain copy neither deduplicates, sorts, verifies,
 * publishes durably (fsync, manifest) nor cleans up: the ratio is what those cost. Alternating
 * rounds in one process; the day's Parquet is removed before each round, so every round is a
 * first compaction. Also: Parquet size against the gzip objects it replaces.
 *
 * Run alone: `node --import tsx -e "import('./bench/compaction.ts.js').then(async (m) => console.log(await m.compaction({ quick: false })))"`.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { compactDay } from '../packages/cli/src/compact/day.js';
import { LocalSource } from '../packages/cli/src/lake/local-source.js';
import { LocalStore } from '../packages/cli/src/lake/local-store.js';
import { generateCalls } from '../packages/voicelake/src/demo/generator.js';
import type { TrackInput } from '../packages/voicelake/src/event.js';
import { createAnalytics } from '../packages/voicelake/src/index.js';
import { silentLogger } from '../packages/voicelake/src/logger.js';
import { duckdbColumns } from '../packages/voicelake/src/schema.js';
import { median, round } from './common.js';

const DAY = '2026-03-10';

/** `calls` demo calls, all on DAY, into a local lake through the real pipeline. */
async function makeLake(dir: string, calls: number): Promise<number> {
  const analytics = createAnalytics({ s3: false, cloudWatch: false, local: { dir }, logger: silentLogger });
  let events = 0;
  generateCalls(
    {
      track(input: TrackInput) {
        if (analytics.track(input).accepted) events++;
        return undefined;
      },
    },
    // Calls start between 11:00 and 22:00 UTC and last minutes: every event is on DAY.
    { calls, seed: 11, days: 0.5, now: Date.parse(`${DAY}T23:00:00Z`) },
  );
  const closed = await analytics.close({ timeoutMs: 120_000 });
  if (closed.undelivered.local !== 0) throw new Error('bench compaction: the demo lake lost events');
  return events;
}

async function plainCopy(glob: string, out: string): Promise<number> {
  const started = performance.now();
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(
      `COPY (SELECT * FROM read_json('${glob}', format = 'newline_delimited', compression = 'gzip', columns = ${duckdbColumns()})) TO '${out}' (FORMAT parquet, COMPRESSION zstd)`,
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return performance.now() - started;
}

export async function compaction(opts: { quick: boolean }) {
  const calls = opts.quick ? 300 : 10_000;
  const rounds = opts.quick ? 1 : 3;
  const work = mkdtempSync(join(tmpdir(), 'vl-bench-compaction-'));
  try {
    const lake = join(work, 'lake');
    const events = await makeLake(lake, calls);
    const source = new LocalSource({ dir: lake });
    const objects = await source.list({ from: DAY, to: DAY });
    const gzipBytes = objects.reduce((s, o) => s + o.size, 0);
    const glob = join(
      lake,
      `year=${DAY.slice(0, 4)}`,
      `month=${DAY.slice(5, 7)}`,
      `day=${DAY.slice(8)}`,
      '*.json.gz',
    );
    const voicelakeMs: number[] = [];
    const plainMs: number[] = [];
    const ratios: number[] = [];
    let parquetBytes = 0;
    let plainBytes = 0;
    let rows = 0;
    for (let r = 0; r < rounds; r++) {
      rmSync(join(lake, 'compacted'), { recursive: true, force: true });
      const t0 = performance.now();
      const result = await compactDay(DAY, {
        source,
        store: new LocalStore(lake, ''),
        deleteSource: false,
        partRows: 5_000_000,
        log: () => undefined,
      });
      const ours = performance.now() - t0;
      const out = join(work, `plain-${r}.parquet`);
      const plain = await plainCopy(glob, out);
      voicelakeMs.push(ours);
      plainMs.push(plain);
      ratios.push(ours / plain);
      parquetBytes = result.parquetBytes;
      rows = result.rows;
      plainBytes = statSync(out).size;
    }
    if (rows !== events) throw new Error(`bench compaction: ${rows} rows written, ${events} events`);
    return {
      calls,
      events,
      gzipObjects: objects.length,
      gzipBytes,
      rounds,
      voicelakeMs: round(median(voicelakeMs), 0),
      plainCopyMs: round(median(plainMs), 0),
      /** voicelake compact time / plain COPY time, median of the per-round ratios. */
      ratio: round(median(ratios), 2),
      parquetBytes,
      plainParquetBytes: plainBytes,
      /** Parquet bytes / gzip bytes, in percent. */
      parquetOfGzipPct: round((100 * parquetBytes) / gzipBytes, 1),
      plainParquetOfGzipPct: round((100 * plainBytes) / gzipBytes, 1),
      rowsPerSecond: round(events / (median(voicelakeMs) / 1000), 0),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
