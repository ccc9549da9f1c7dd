/**
 * What Athena sees of a compacted S3 lake: the `events_unique` and `calls` views that
 * `voicelake athena ddl` prints, translated to DuckDB by an independent tool (sqlglot) and run
 * over the objects the bucket (moto) holds at each step: the gzip table as Athena's JSON SerDe
 * reads it, `<table>_compacted_parts` as the symlink manifests read as text, and
 * `<table>_compacted` as SymlinkTextInputFormat reads Parquet: exactly the files a day's
 * symlink manifest lists, with the partition values of the manifest's location.
 *
 * Nothing here runs Athena (there is none offline, and moto's Athena returns canned results):
 * the SQL is the SQL voicelake ships, the objects are the ones compaction wrote, and the two
 * table formats are emulated as their documentation describes them. Through a replayed batch,
 * compactions killed (SIGKILL) after the Parquet and after the symlink manifest, a re-run, late
 * data and `--delete-source`, every named query answers as the NDJSON recomputation does, and
 * a day is read from Parquet or from gzip, never both.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { CopyObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { ALL_COLUMNS, KINDS } from 'voicelake/schema';
import { partitionOf } from '../../packages/cli/src/compact/layout.js';
import { athenaDdl, compactedTables } from '../../packages/cli/src/lake/ddl.js';
import { sqlHelpers, sqlString } from '../../packages/cli/src/lake/dialect.js';
import { lakeSource, openLake } from '../../packages/cli/src/lake/duckdb.js';
import {
  NAMED_QUERIES,
  type NamedQueryName,
  namedQuerySql,
} from '../../packages/cli/src/lake/named-queries.js';
import { awsEnv, clients, createBucket, listKeys, uniqueName, uploadLake } from '../helpers/aws.js';
import { voicelake as voicelakeInProcess } from '../helpers/cli.js';
import { readLocalLake } from '../helpers/lake.js';
import { expectAnswers, recompute } from '../helpers/recompute.js';
import { transpileSql } from '../helpers/sqlglot.js';
import { tempDir } from '../helpers/tmp.js';

type Row = Record<string, unknown>;

const run = promisify(execFile);
const cli = resolve(import.meta.dirname, '../../packages/cli/bin/voicelake.js');
const endpoint = inject('motoEndpoint');
const { s3 } = clients(endpoint);
const names = Object.keys(NAMED_QUERIES) as NamedQueryName[];
const PREFIX = 'voice/';
const DATABASE = 'voicelake';
const TABLE = 'events';
const env = {
  ...process.env,
  ...awsEnv(endpoint),
  ANALYTICS_LOG_LEVEL: 'warn',
  ANALYTICS_SPOOL_DIR: tempDir('vl-athena-spool'),
  XDG_CACHE_HOME: tempDir('vl-athena-cache'),
};

/** `voicelake compact` for one day: in process, or in a real process that a crash hook kills. */
async function compact(bucket: string, day: string, extra: string[] = [], crashAt?: string) {
  const args = ['compact', '--day', day, '--bucket', bucket, '--prefix', PREFIX, ...extra];
  if (crashAt === undefined) return voicelakeInProcess(args, env);
  const killed = await run(process.execPath, [cli, ...args], {
    env: { ...env, VOICELAKE_COMPACT_CRASH_AT: crashAt },
  }).then(
    () => undefined,
    (error: { signal?: string }) => error,
  );
  expect(killed?.signal, `compaction killed ${crashAt}`).toBe('SIGKILL');
  return undefined;
}

/** A copy of the bucket (the lake under PREFIX) in a new local directory, keys as paths. */
async function download(bucket: string): Promise<string> {
  const dir = tempDir('vl-athena-bucket');
  for (const key of await listKeys(s3, bucket)) {
    const o = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const path = join(dir, key);
    mkdirSync(dirname(path), { recursive: true });
    const body = await (o.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
    writeFileSync(path, Buffer.from(body));
  }
  return dir;
}

/** The bucket's symlink manifests: day partition → the `s3://` URIs it lists. */
function symlinks(lake: string): { year: number; month: number; day: number; uris: string[] }[] {
  const root = join(lake, 'compacted', 'athena-symlinks');
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('/symlink.txt'))
    .map((f) => {
      const [year, month, day] = f.split('/').map((s) => Number(s.slice(s.indexOf('=') + 1)));
      const uris = readFileSync(join(root, f), 'utf8').split('\n').filter(Boolean);
      return { year: year as number, month: month as number, day: day as number, uris };
    });
}

/**
 * The three tables of `athena ddl` as DuckDB views over the downloaded bucket, then the two
 * views exactly as printed for Athena, translated by sqlglot.
 */
function athenaCatalog(bucket: string, dir: string): string[] {
  const lake = join(dir, PREFIX);
  const { parquet, parts } = compactedTables(TABLE);
  const columns = ALL_COLUMNS.map((c) => c.name).join(', ');
  const none = `SELECT ${ALL_COLUMNS.map((c) => `CAST(NULL AS ${KINDS[c.kind].duckdb}) AS ${c.name}`).join(', ')}, 0 AS year, 0 AS month, 0 AS day WHERE false`;
  const gzip = readdirSync(lake, { recursive: true }).some((f) => String(f).endsWith('.json.gz'));
  const links = symlinks(lake);
  const local = (uri: string): string => {
    const head = `s3://${bucket}/`;
    expect(uri.startsWith(head), `${uri} is in the bucket`).toBe(true);
    const path = join(dir, uri.slice(head.length));
    // SymlinkTextInputFormat fails a query whose manifest lists a missing file.
    expect(existsSync(path), `${uri} (listed by a symlink manifest) exists`).toBe(true);
    return path;
  };
  const compacted = links.map(
    (l) =>
      `SELECT ${columns}, ${l.year} AS year, ${l.month} AS month, ${l.day} AS day FROM read_parquet([${l.uris.map((u) => sqlString(local(u))).join(', ')}])`,
  );
  const partsRows = links.flatMap((l) =>
    l.uris.map(
      (u) => `SELECT ${sqlString(u)} AS part, ${l.year} AS year, ${l.month} AS month, ${l.day} AS day`,
    ),
  );
  const [uniqueView, callsView] = transpileSql(
    athenaDdl({ bucket, prefix: PREFIX, database: DATABASE, table: TABLE }).slice(3),
    'athena',
    'duckdb',
  );
  return [
    `CREATE SCHEMA ${DATABASE}`,
    `CREATE VIEW ${DATABASE}.${TABLE} AS ${gzip ? `SELECT * FROM ${lakeSource(lake)}` : none}`,
    `CREATE VIEW ${DATABASE}.${parquet} AS ${compacted.length > 0 ? compacted.join(' UNION ALL ') : none}`,
    `CREATE VIEW ${DATABASE}.${parts} AS ${partsRows.length > 0 ? partsRows.join(' UNION ALL ') : 'SELECT NULL AS part, 0 AS year, 0 AS month, 0 AS day WHERE false'}`,
    uniqueView as string,
    callsView as string,
  ];
}

interface AthenaView {
  /** Every named query over `events_unique`. */
  answers: Record<string, Row[]>;
  /** Rows per day, and which table they came from. */
  days: { day: string; rows: number; ids: number; fromParquet: number }[];
  calls: number;
}

/** Every named query and the per-day totals, through the Athena views over the bucket as it is now. */
async function athenaView(bucket: string): Promise<AthenaView> {
  const dir = await download(bucket);
  const lake = await openLake(dir);
  try {
    await lake.query(athenaCatalog(bucket, dir).join(';\n'));
    // The named queries read `events`: here, Athena's view.
    await lake.query(`CREATE OR REPLACE VIEW events AS SELECT * FROM ${DATABASE}.events_unique`);
    const answers: Record<string, Row[]> = {};
    for (const name of names) answers[name] = await lake.query(namedQuerySql(name, sqlHelpers('duckdb')));
    const { parquet } = compactedTables(TABLE);
    const days = (
      await lake.query(
        `SELECT printf('%04d-%02d-%02d', year, month, day) AS day, count(*) AS rows, count(DISTINCT event_id) AS ids,
           count(*) FILTER (WHERE event_id IN (SELECT event_id FROM ${DATABASE}.${parquet})) AS "fromParquet"
         FROM events GROUP BY ALL ORDER BY day`,
      )
    ).map((r) => ({
      day: String(r.day),
      rows: Number(r.rows),
      ids: Number(r.ids),
      fromParquet: Number(r.fromParquet),
    }));
    const [calls] = await lake.query(`SELECT count(*) AS n FROM ${DATABASE}.calls`);
    return { answers, days, calls: Number(calls?.n) };
  } finally {
    lake.close();
  }
}

describe('Athena over a compacted lake (the views of `athena ddl`, run on DuckDB through sqlglot)', () => {
  const base = tempDir('vl-athena-base');
  let events: Record<string, unknown>[] = [];
  let days: string[] = [];
  let perDay = new Map<string, number>();

  beforeAll(async () => {
    await voicelakeInProcess(['demo', '--calls', '150', '--data-dir', base, '--days', '3'], env);
    events = readLocalLake(base).map((l) => l.event);
    days = [...new Set(events.map((e) => String(e.event_time).slice(0, 10)))].sort();
    perDay = new Map(days.map((d) => [d, events.filter((e) => String(e.event_time).startsWith(d)).length]));
  }, 180_000);

  it('reads each event once through a replayed batch, crashes, a re-run, late data and --delete-source', async () => {
    // Prepare: the demo lake in a bucket, and a replayed batch of the busiest day (its objects again under new keys).
    const bucket = uniqueName('vl-athena');
    await createBucket(s3, bucket);
    await uploadLake(s3, base, bucket, PREFIX);
    const day = [...perDay].sort((a, b) => b[1] - a[1])[0]?.[0] as string;
    for (const key of (await listKeys(s3, bucket)).filter((k) => k.includes(partitionOf(day))))
      await s3.send(
        new CopyObjectCommand({
          Bucket: bucket,
          CopySource: `${bucket}/${key}`,
          Key: `${PREFIX}${partitionOf(day)}analytics-20991231T000000000Z-${randomBytes(6).toString('hex')}.json.gz`,
        }),
      );
    const expected = recompute(events, 10);
    const gzipOnly = days.map((d) => ({ day: d, rows: perDay.get(d), ids: perDay.get(d), fromParquet: 0 }));
    const calls = new Set(events.map((e) => e.call_id)).size;

    // Act + Assess, step by step.
    const before = await athenaView(bucket);
    expectAnswers(before.answers, expected, 'before compaction, with a replayed batch');
    expect(before.days).toEqual(gzipOnly);
    expect(before.calls).toBe(calls);

    // Killed after the Parquet: unlisted parts, no symlink manifest. Athena still reads gzip.
    await compact(bucket, day, [], 'after-parquet');
    const keys = await listKeys(s3, bucket);
    expect(keys.some((k) => k.endsWith('.parquet'))).toBe(true);
    expect(keys.some((k) => k.endsWith('symlink.txt'))).toBe(false);
    const afterParquet = await athenaView(bucket);
    expectAnswers(afterParquet.answers, expected, 'killed after the Parquet');
    expect(afterParquet.days).toEqual(gzipOnly);

    // Killed after the symlink manifest, before the CLI's: Athena reads the day from Parquet only.
    await compact(bucket, day, [], 'after-symlink');
    const afterSymlink = await athenaView(bucket);
    expectAnswers(afterSymlink.answers, expected, 'killed after the symlink manifest');
    const parquetDay = gzipOnly.map((d) => (d.day === day ? { ...d, fromParquet: d.rows } : d));
    expect(afterSymlink.days).toEqual(parquetDay);
    expect(afterSymlink.calls).toBe(calls);

    // A re-run completes: one symlink manifest, listing exactly the parts of the CLI's manifest.
    await compact(bucket, day);
    const rerun = await athenaView(bucket);
    expectAnswers(rerun.answers, expected, 'after a re-run');
    expect(rerun.days).toEqual(parquetDay);
    const dir = await download(bucket);
    const manifest = JSON.parse(
      readFileSync(join(dir, PREFIX, 'compacted', partitionOf(day), '_manifest.json'), 'utf8'),
    ) as { parts: string[] };
    const [link] = symlinks(join(dir, PREFIX));
    expect(link?.uris).toEqual(manifest.parts.map((k) => `s3://${bucket}/${k}`));
    expect(
      (await listKeys(s3, bucket)).filter((k) => k.endsWith('.parquet')),
      'the killed runs’ parts are deleted',
    ).toEqual(manifest.parts);

    // Late data: an event for the compacted day counts once the day is compacted again.
    const late = {
      ...(events.find((e) => String(e.event_time).startsWith(day) && e.event_type === 'call_ended') as Row),
      event_id: '019a0000-0000-7000-8000-00000000late',
      event_type: 'custom',
      call_id: 'late-call',
    };
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `${PREFIX}${partitionOf(day)}analytics-20991231T235959000Z-${randomBytes(6).toString('hex')}.json.gz`,
        Body: gzipSync(`${JSON.stringify(late)}\n`),
      }),
    );
    const lateBefore = await athenaView(bucket);
    expect(lateBefore.days, 'a compacted day is read from Parquet alone').toEqual(parquetDay);
    await compact(bucket, day);
    const lateAfter = await athenaView(bucket);
    const withLate = recompute([...events, late], 10);
    expectAnswers(lateAfter.answers, withLate, 'after the late event is compacted');
    const dayCount = (perDay.get(day) as number) + 1;
    expect(lateAfter.days.find((d) => d.day === day)).toEqual({
      day,
      rows: dayCount,
      ids: dayCount,
      fromParquet: dayCount,
    });

    // Every day compacted, sources deleted: the same answers, all from Parquet.
    const result = await compact(bucket, days[0] as string, [
      '--to',
      days[days.length - 1] as string,
      '--delete-source',
    ]);
    expect(result?.stdout).toContain('deleted');
    const final = await athenaView(bucket);
    expectAnswers(final.answers, withLate, 'every day compacted, sources deleted');
    expect(final.days.every((d) => d.fromParquet === d.rows && d.rows === d.ids)).toBe(true);
    expect((await listKeys(s3, bucket)).filter((k) => k.endsWith('.json.gz'))).toEqual([]);
  }, 300_000);
});
