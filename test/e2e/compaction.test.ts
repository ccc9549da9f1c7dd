/**
 * `voicelake compact` with the built CLI, over the demo's calls: a replayed batch compacts to
 * one row per event_id (checked by an independent reader, pyarrow); every named query gives
 * the recomputation's answers before and after compaction, locally and through S3 (moto);
 * a compaction killed (SIGKILL) after the Parquet or after the manifest loses and doubles
 * nothing, and a re-run completes; late objects of a compacted day count after the next
 * compaction; `--delete-source` deletes nothing when verification fails.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { ALL_COLUMNS } from 'voicelake/schema';
import { athenaHint, compactCommand } from '../../packages/cli/src/commands/compact.js';
import { compactDay } from '../../packages/cli/src/compact/day.js';
import { AthenaQueryError } from '../../packages/cli/src/lake/athena.js';
import { sqlHelpers } from '../../packages/cli/src/lake/dialect.js';
import { openLake } from '../../packages/cli/src/lake/duckdb.js';
import {
  NAMED_QUERIES,
  type NamedQueryName,
  namedQuerySql,
} from '../../packages/cli/src/lake/named-queries.js';
import { s3Failure } from '../../packages/cli/src/lake/s3.js';
import { S3Source } from '../../packages/cli/src/lake/s3-source.js';
import type { DayRange } from '../../packages/cli/src/lake/source.js';
import { awsEnv, clients, createBucket, listKeys, uniqueName, uploadLake } from '../helpers/aws.js';
import { voicelake as voicelakeInProcess } from '../helpers/cli.js';
import { readLocalLake } from '../helpers/lake.js';
import { inspectParquet } from '../helpers/pyarrow.js';
import { expectAnswers, recompute } from '../helpers/recompute.js';
import { tempDir } from '../helpers/tmp.js';

type Row = Record<string, unknown>;
type Answers = Record<string, Row[]>;

const run = promisify(execFile);
const cli = resolve(import.meta.dirname, '../../packages/cli/bin/voicelake.js');
const endpoint = inject('motoEndpoint');
const { s3 } = clients(endpoint);
const names = Object.keys(NAMED_QUERIES) as NamedQueryName[];
const env = { ...process.env, ANALYTICS_LOG_LEVEL: 'warn', ANALYTICS_SPOOL_DIR: tempDir('vl-compact-spool') };

interface CliResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Run the CLI to its end, whatever the end (an exit code, or a signal). */
async function voicelake(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  try {
    // A crash hook needs a real process to kill; everything else runs in-process (and counts in coverage).
    const { stdout, stderr } =
      extraEnv.VOICELAKE_COMPACT_CRASH_AT === undefined
        ? await voicelakeInProcess(args, { ...env, ...extraEnv })
        : await run(process.execPath, [cli, ...args], {
            env: { ...env, ...extraEnv },
            maxBuffer: 64 * 1024 * 1024,
          });
    return { code: 0, signal: null, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number | string; signal?: string; stdout?: string; stderr?: string };
    return {
      code: typeof e.code === 'number' ? e.code : null,
      signal: e.signal ?? null,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? '',
    };
  }
}

/** Every named query, and the event totals, over a local lake (the CLI's own reader, in process). */
async function answers(dir: string, range?: DayRange): Promise<Answers & { totals: Row[] }> {
  const lake = await openLake(dir, { range });
  try {
    const out: Answers = {};
    for (const name of names) out[name] = await lake.query(namedQuerySql(name, sqlHelpers('duckdb')));
    // events_raw: every stored line, so a copy not yet compacted away shows.
    const totals = await lake.query(
      'SELECT count(*) AS events, count(DISTINCT event_id) AS ids FROM events_raw',
    );
    return { ...out, totals };
  } finally {
    lake.close();
  }
}

/** Every named query over an S3 lake, read through a query cache the way `voicelake query` does (in process). */
async function s3Answers(
  bucket: string,
  prefix: string,
  cache: string,
): Promise<Answers & { totals: Row[] }> {
  const source = new S3Source({ bucket, prefix, client: s3, cacheDir: cache });
  try {
    const range = { from: days[0] as string, to: days[days.length - 1] as string };
    const synced = await source.sync(range);
    return await answers(synced.dir, range);
  } finally {
    source.close();
  }
}

/** Every named query through the built CLI (`voicelake query <name> … --format json`). */
async function cliAnswers(args: string[], extraEnv: Record<string, string> = {}): Promise<Answers> {
  const results = await Promise.all(
    names.map((name) => voicelake(['query', name, ...args, '--format', 'json'], extraEnv)),
  );
  const out: Answers = {};
  results.forEach((r, i) => {
    expect(r.code, `query ${names[i]}: ${r.stderr}`).toBe(0);
    out[names[i] as string] = JSON.parse(r.stdout) as Row[];
  });
  return out;
}

const partition = (day: string): string =>
  `year=${day.slice(0, 4)}/month=${day.slice(5, 7)}/day=${day.slice(8, 10)}`;
const gzipFiles = (lake: string, day: string): string[] =>
  readdirSync(join(lake, partition(day)))
    .filter((f) => f.endsWith('.json.gz'))
    .sort();
const compactedDir = (lake: string, day: string): string => join(lake, 'compacted', partition(day));
const compactedFiles = (lake: string, day: string): string[] =>
  existsSync(compactedDir(lake, day)) ? readdirSync(compactedDir(lake, day)).sort() : [];
const manifestOf = (lake: string, day: string) =>
  JSON.parse(readFileSync(join(compactedDir(lake, day), '_manifest.json'), 'utf8')) as {
    version: number;
    day: string;
    run: string;
    parts: string[];
    sources: { key: string; size: number; etag?: string }[];
    rows: number;
    distinctEventIds: number;
    createdAt: string;
  };
/** A new key of the lake layout for `day`. */
const newKey = (day: string): string =>
  `${partition(day)}/analytics-20991231T000000000Z-${randomBytes(6).toString('hex')}.json.gz`;

let days: string[] = [];

describe('compact --engine athena: what its errors say to do', () => {
  it("hints at the DDL or the IAM policy for Athena's errors only, never for an S3 failure", () => {
    const missing = new AthenaQueryError(
      "TABLE_NOT_FOUND: Table 'voicelake.events' does not exist",
      'q1',
      'FAILED',
      undefined,
    );
    const denied = Object.assign(new Error('User is not authorized to perform: athena:StartQueryExecution'), {
      name: 'AccessDeniedException',
    });
    const bucket = s3Failure('list', 's3://nope/', Object.assign(new Error('x'), { name: 'NoSuchBucket' }));
    // Act, assess
    expect(String(athenaHint(missing, 'voicelake', 'events'))).toContain(
      'run `voicelake athena ddl --check --database voicelake --table events`',
    );
    expect(String(athenaHint(denied, 'voicelake', 'events'))).toContain('voicelake iam-policy --read');
    expect(athenaHint(bucket, 'voicelake', 'events')).toBe(bucket);
    expect(bucket.message).toBe('cannot list s3://nope/: the bucket does not exist');
  });
});

describe('voicelake compact', () => {
  const base = tempDir('vl-compact-base');
  let events: Record<string, unknown>[] = [];
  let expected: Answers = {};
  let day = '';
  const copy = (): string => {
    const dir = join(tempDir('vl-compact'), 'lake');
    cpSync(base, dir, { recursive: true });
    return dir;
  };

  beforeAll(async () => {
    // Prepare: 300 demo calls over 3 days, and the answers recomputed from the NDJSON.
    const r = await voicelake(['demo', '--calls', '300', '--data-dir', base, '--days', '3']);
    expect(r.code, r.stderr).toBe(0);
    events = readLocalLake(base).map((l) => l.event);
    expected = recompute(events, 10);
    days = [...new Set(events.map((e) => String(e.event_time).slice(0, 10)))].sort();
    // The busiest day, for the one-day tests.
    const perDay = days.map(
      (d) => [d, events.filter((e) => String(e.event_time).startsWith(d)).length] as const,
    );
    day = [...perDay].sort((a, b) => b[1] - a[1])[0]?.[0] as string;
  }, 180_000);

  it('a day with a replayed batch compacts to one row per event_id, zstd Parquet (pyarrow agrees)', async () => {
    // Prepare: the same objects again under new keys (a replayed batch: the same event_ids twice).
    const lake = copy();
    const originals = gzipFiles(lake, day);
    for (const f of originals) cpSync(join(lake, partition(day), f), join(lake, newKey(day)));
    const dayEvents = events.filter((e) => String(e.event_time).startsWith(day));
    const before = await answers(lake);
    // Act
    const result = await voicelake(['compact', '--day', day, '--data-dir', lake]);
    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(Number(before.totals[0]?.events), 'the gzip objects hold every event twice').toBe(
      2 * dayEvents.length + events.length - dayEvents.length,
    );
    expect(result.stdout).toContain(`${day}: ${originals.length * 2} gzip objects`);
    expect(result.stdout).toMatch(
      new RegExp(
        `${dayEvents.length.toLocaleString('en-US')} rows, ${dayEvents.length.toLocaleString('en-US')} duplicates removed; verified`,
      ),
    );
    const manifest = manifestOf(lake, day);
    expect(manifest).toMatchObject({
      version: 1,
      day,
      rows: dayEvents.length,
      distinctEventIds: dayEvents.length,
    });
    expect(manifest.sources).toHaveLength(originals.length * 2);
    const parts = manifest.parts.map((k) => join(lake, k));
    const pa = inspectParquet(parts);
    expect(pa.rows, 'pyarrow: rows').toBe(dayEvents.length);
    expect(pa.distinctEventIds, 'pyarrow: distinct event_ids').toBe(dayEvents.length);
    expect(pa.nullEventIds).toBe(0);
    expect(new Set(pa.files.map((f) => JSON.stringify(f.codecs)))).toEqual(new Set(['["ZSTD"]']));
    for (const f of pa.files) {
      expect(f.magic, `${f.path} is Parquet`).toBe(true);
      expect(
        f.columns.map((c) => c.name),
        'the schema columns, no partition columns',
      ).toEqual(ALL_COLUMNS.map((c) => c.name));
    }
    expect(pa.sorted.every(Boolean), 'sorted by call_id, event_time').toBe(true);
    expect(
      new Set(pa.files.flatMap((f) => f.columns.filter((c) => c.name === 'event_id').map((c) => c.type))),
    ).toEqual(new Set(['string']));
    // Readers now see each event once: the recomputation's answers.
    const after = await answers(lake);
    expectAnswers(after, expected, 'after compacting a replayed batch');
    expect(after.totals).toEqual([{ events: events.length, ids: events.length }]);
  });

  it('keeps, of rows with one event_id, the first by event_time, then by object key', async () => {
    // Prepare: `x` twice at different times; `y` twice at the same time, in objects a… and b….
    const lake = join(tempDir('vl-compact-tie'), 'lake');
    const d = '2026-03-10';
    const line = (id: string, time: string, turns: number) =>
      JSON.stringify({
        event_id: id,
        event_type: 'call_ended',
        event_time: `${d}T${time}Z`,
        call_id: 'c1',
        turns,
      });
    const put = (name: string, lines: string[]) => {
      const path = join(lake, partition(d), `analytics-20260310T120000000Z-${name}.json.gz`);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, gzipSync(`${lines.join('\n')}\n`));
    };
    put('aaaaaaaaaaaa', [line('x', '10:00:01.000', 1), line('y', '10:00:00.000', 3)]);
    put('bbbbbbbbbbbb', [line('x', '10:00:00.000', 2), line('y', '10:00:00.000', 4)]);
    // Act
    const result = await voicelake(['compact', '--day', d, '--data-dir', lake]);
    const lakeDb = await openLake(lake);
    const rows = await lakeDb
      .query('SELECT event_id, turns FROM events ORDER BY event_id')
      .finally(() => lakeDb.close());
    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('2 rows, 2 duplicates removed');
    expect(rows).toEqual([
      { event_id: 'x', turns: 2 },
      { event_id: 'y', turns: 3 },
    ]);
  });

  it('refuses --part-rows below the smallest row group it writes, before reading anything', async () => {
    // Act
    const lake = copy();
    const before = readdirSync(lake, { recursive: true });
    const result = await voicelake(['compact', '--day', day, '--part-rows', '100', '--data-dir', lake]);
    // Assess
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('--part-rows 100 is below 2,048');
    expect(readdirSync(lake, { recursive: true }), 'nothing written: no staging, no compacted/').toEqual(
      before,
    );
  });

  it('splits a day into parts of at most --part-rows rows, each sorted', async () => {
    // Prepare
    const lake = copy();
    const dayEvents = events.filter((e) => String(e.event_time).startsWith(day)).length;
    // Act (in process, the command as the CLI runs it)
    await compactCommand().parseAsync(['--day', day, '--part-rows', '2048', '--data-dir', lake], {
      from: 'user',
    });
    // Assess
    const manifest = manifestOf(lake, day);
    expect(manifest.parts.length).toBe(Math.ceil(dayEvents / 2048));
    const pa = inspectParquet(manifest.parts.map((k) => join(lake, k)));
    expect(pa.files.every((f) => f.rows <= 2048)).toBe(true);
    expect(pa.rows).toBe(dayEvents);
    expect(pa.sorted.every(Boolean)).toBe(true);
    expectAnswers(await answers(lake), expected, 'several parts');
  });

  it('every named query answers the same before and after compaction, and after --delete-source (local)', async () => {
    // Prepare
    const lake = copy();
    const range = ['--day', days[0] as string, '--to', days[days.length - 1] as string];
    const before = await answers(lake);
    // Act
    const compacted = await voicelake(['compact', ...range, '--data-dir', lake]);
    const after = await cliAnswers(['--data-dir', lake]);
    const deleted = await voicelake(['compact', ...range, '--delete-source', '--data-dir', lake]);
    const afterDelete = await answers(lake);
    // Assess
    expect(compacted.code, compacted.stderr).toBe(0);
    expect(deleted.code, deleted.stderr).toBe(0);
    expectAnswers(before, expected, 'local, before');
    expectAnswers(after, expected, 'local, after compaction');
    expectAnswers(afterDelete, expected, 'local, after --delete-source');
    for (const d of days) {
      expect(gzipFiles(lake, d), `${d}: sources deleted`).toEqual([]);
      const m = manifestOf(lake, d);
      expect(compactedFiles(lake, d), `${d}: the manifest and its parts only`).toEqual(
        ['_manifest.json', ...m.parts.map((k) => k.slice(k.lastIndexOf('/') + 1))].sort(),
      );
    }
  });

  /** The demo lake in a new bucket, under `prefix`. */
  const upload = async (prefix: string): Promise<string> => {
    const bucket = uniqueName('vl-compact');
    await createBucket(s3, bucket);
    await uploadLake(s3, base, bucket, prefix);
    return bucket;
  };

  it('through S3 (moto): compacts in the bucket, and queries through the cache read Parquet only', async () => {
    // Prepare: the demo lake in a bucket.
    const prefix = 'voice/';
    const bucket = await upload(prefix);
    const s3env = { ...awsEnv(endpoint), XDG_CACHE_HOME: tempDir('vl-compact-cache') };
    const where = ['--bucket', bucket, '--prefix', prefix];
    const range = ['--from', days[0] as string, '--to', days[days.length - 1] as string];
    const before = await s3Answers(bucket, prefix, tempDir('vl-compact-cache-before'));
    // Act
    const compacted = await voicelake(
      ['compact', '--day', days[0] as string, '--to', days[days.length - 1] as string, ...where],
      s3env,
    );
    const freshCache = { ...s3env, XDG_CACHE_HOME: tempDir('vl-compact-cache2') };
    const after = await cliAnswers([...where, ...range], freshCache);
    const fetched = await voicelake(['query', 'daily', ...where, ...range], {
      ...s3env,
      XDG_CACHE_HOME: tempDir('vl-compact-cache3'),
    });
    // (in process: the same protocol through the S3 store)
    const counted = clients(endpoint).s3;
    const rawListings: string[] = [];
    counted.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Prefix?: string };
        if (context.commandName === 'ListObjectsV2Command' && !input.Prefix?.includes('compacted/'))
          rawListings.push(input.Prefix ?? '');
        return next(args);
      },
      { step: 'initialize' },
    );
    const source = new S3Source({
      bucket,
      prefix,
      client: counted,
      cacheDir: join(s3env.XDG_CACHE_HOME, 'voicelake'),
    });
    const lines: string[] = [];
    const deleted = await compactDay(day, {
      source,
      store: source.store(),
      deleteSource: true,
      partRows: 5_000_000,
      log: (line) => lines.push(line),
    }).finally(() => {
      source.close();
      counted.destroy();
    });
    const afterDelete = await s3Answers(bucket, prefix, join(s3env.XDG_CACHE_HOME, 'voicelake'));
    // Assess
    expect(compacted.code, compacted.stderr).toBe(0);
    expect(deleted).toMatchObject({ status: 'compacted', previousParts: 1, objectsRead: 0 });
    expect(deleted.deletedSources).toBeGreaterThan(0);
    expect(rawListings, 'the day is listed once, not once more by the sync').toHaveLength(1);
    expect(lines.join('\n')).toContain(`${day}: deleted ${deleted.deletedSources} source objects`);
    expectAnswers(before, expected, 'S3, before');
    expectAnswers(after, expected, 'S3, after compaction, a new cache');
    expectAnswers(afterDelete, expected, 'S3, after --delete-source of one day');
    const keys = await listKeys(s3, bucket);
    const manifests = keys.filter((k) => k.endsWith('/_manifest.json'));
    expect(manifests.sort()).toEqual(days.map((d) => `${prefix}compacted/${partition(d)}/_manifest.json`));
    // A fresh cache fetches each day's manifest and parts, and none of the gzip objects they cover.
    expect(fetched.stderr).toMatch(new RegExp(`: ${days.length * 2} objects fetched`));
    expect(
      keys.filter((k) => k.startsWith(`${prefix}${partition(day)}/`)),
      'the sources of the day are deleted',
    ).toEqual([]);
    expect(keys.filter((k) => k.endsWith('.json.gz')).length).toBeGreaterThan(0);
    // pyarrow reads the parts as S3 has them.
    const dir = tempDir('vl-compact-parts');
    const partKeys = keys.filter((k) => k.endsWith('.parquet'));
    expect(partKeys).toHaveLength(days.length);
    const paths: string[] = [];
    for (const key of partKeys) {
      const o = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const path = join(dir, key.slice(key.lastIndexOf('/') + 1));
      writeFileSync(
        path,
        Buffer.from(await (o.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()),
      );
      paths.push(path);
    }
    const pa = inspectParquet(paths);
    expect(pa.rows).toBe(events.length);
    expect(pa.distinctEventIds).toBe(events.length);
    expect(pa.files.every((f) => f.magic && f.codecs.join() === 'ZSTD')).toBe(true);
  });

  describe.each([
    ['after-parquet', 'first compaction'],
    ['after-parquet', 're-compaction'],
    ['after-manifest', 'first compaction'],
    ['after-manifest', 're-compaction'],
  ] as const)('killed %s (%s)', (point, when) => {
    it('loses and doubles no event, and a re-run completes', async () => {
      // Prepare
      const lake = copy();
      if (when === 're-compaction') {
        const first = await voicelake(['compact', '--day', day, '--data-dir', lake]);
        expect(first.code, first.stderr).toBe(0);
      }
      const previous = when === 're-compaction' ? manifestOf(lake, day) : undefined;
      const sources = gzipFiles(lake, day);
      // Act
      const killed = await voicelake(['compact', '--day', day, '--delete-source', '--data-dir', lake], {
        VOICELAKE_COMPACT_CRASH_AT: point,
      });
      const afterCrash = await answers(lake);
      const stateAfterCrash = { files: compactedFiles(lake, day), sources: gzipFiles(lake, day) };
      const manifestAfterCrash = existsSync(join(compactedDir(lake, day), '_manifest.json'))
        ? manifestOf(lake, day)
        : undefined;
      const rerun = await voicelake(['compact', '--day', day, '--delete-source', '--data-dir', lake]);
      const afterRerun = await answers(lake);
      // Assess
      expect(killed.signal, `killed by its hook: ${killed.stderr}`).toBe('SIGKILL');
      expect(stateAfterCrash.sources, 'no source deleted by the killed run').toEqual(sources);
      if (point === 'after-parquet') {
        // The old state: the previous manifest (or none); the new parts are there, unlisted.
        expect(manifestAfterCrash?.run).toBe(previous?.run);
        const unlisted = stateAfterCrash.files.filter(
          (f) => f.endsWith('.parquet') && !(previous?.parts ?? []).some((k) => k.endsWith(`/${f}`)),
        );
        expect(unlisted.length, 'the killed run left its parts, which readers ignore').toBeGreaterThan(0);
      } else {
        // The new state: a new manifest; the previous run's parts may still be there.
        expect(manifestAfterCrash).toBeDefined();
        expect(manifestAfterCrash?.run).not.toBe(previous?.run);
      }
      expectAnswers(afterCrash, expected, `killed ${point}`);
      expect(afterCrash.totals).toEqual([{ events: events.length, ids: events.length }]);
      expect(rerun.code, rerun.stderr).toBe(0);
      expectAnswers(afterRerun, expected, `re-run after ${point}`);
      expect(afterRerun.totals).toEqual([{ events: events.length, ids: events.length }]);
      const m = manifestOf(lake, day);
      expect(compactedFiles(lake, day), 'only the manifest and its parts remain').toEqual(
        ['_manifest.json', ...m.parts.map((k) => k.slice(k.lastIndexOf('/') + 1))].sort(),
      );
      expect(gzipFiles(lake, day), 'the re-run deleted the sources').toEqual([]);
    });
  });

  it.each(['after-parquet', 'after-manifest'] as const)(
    'through S3: killed %s, the answers stay the same, and a re-run completes',
    async (point) => {
      // Prepare
      const prefix = 'crash/';
      const bucket = await upload(prefix);
      const where = ['--bucket', bucket, '--prefix', prefix];
      const s3env = { ...awsEnv(endpoint), XDG_CACHE_HOME: tempDir('vl-compact-crash-cache') };
      const dayPrefix = `${prefix}${partition(day)}/`;
      const compactedPrefix = `${prefix}compacted/${partition(day)}/`;
      const sources = (await listKeys(s3, bucket)).filter((k) => k.startsWith(dayPrefix));
      // Act
      const killed = await voicelake(['compact', '--day', day, '--delete-source', ...where], {
        ...s3env,
        VOICELAKE_COMPACT_CRASH_AT: point,
      });
      const keysAfterCrash = await listKeys(s3, bucket);
      const cache = join(s3env.XDG_CACHE_HOME, 'voicelake');
      const afterCrash = await s3Answers(bucket, prefix, cache);
      const rerun = await voicelake(['compact', '--day', day, '--delete-source', ...where], s3env);
      const keysAfterRerun = await listKeys(s3, bucket);
      const afterRerun = await s3Answers(bucket, prefix, cache);
      // Assess
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      expect(
        keysAfterCrash.filter((k) => k.startsWith(dayPrefix)),
        'no source deleted',
      ).toEqual(sources);
      const crashed = keysAfterCrash.filter((k) => k.startsWith(compactedPrefix));
      expect(crashed.some((k) => k.endsWith('.parquet'))).toBe(true);
      expect(crashed.includes(`${compactedPrefix}_manifest.json`)).toBe(point === 'after-manifest');
      expectAnswers(afterCrash, expected, `S3, killed ${point}`);
      expect(afterCrash.totals).toEqual([{ events: events.length, ids: events.length }]);
      expect(rerun.code, rerun.stderr).toBe(0);
      expectAnswers(afterRerun, expected, `S3, re-run after ${point}`);
      expect(afterRerun.totals).toEqual([{ events: events.length, ids: events.length }]);
      expect(
        keysAfterRerun.filter((k) => k.startsWith(dayPrefix)),
        'the re-run deleted the sources',
      ).toEqual([]);
      const left = keysAfterRerun.filter((k) => k.startsWith(compactedPrefix));
      expect(
        left.filter((k) => k.endsWith('.parquet')),
        'one run of parts left',
      ).toHaveLength(1);
      expect(left).toContain(`${compactedPrefix}_manifest.json`);
    },
  );

  it('late objects of a compacted day are read after the next compaction of that day', async () => {
    // Prepare: compact, then one more call arrives in a new object of that day.
    const lake = copy();
    const first = await voicelake(['compact', '--day', day, '--data-dir', lake]);
    expect(first.code, first.stderr).toBe(0);
    const callId = String(events.find((e) => String(e.event_time).startsWith(day))?.call_id);
    const late = events
      .filter((e) => e.call_id === callId)
      .map((e) => ({ ...e, event_id: randomUUID(), call_id: 'late-call-1' }));
    const path = join(lake, newKey(day));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, gzipSync(`${late.map((e) => JSON.stringify(e)).join('\n')}\n`));
    const withLate = recompute([...events, ...late], 10);
    // Act
    const beforeNext = await answers(lake);
    const next = await voicelake(['compact', '--day', day, '--data-dir', lake]);
    const afterNext = await answers(lake);
    // Assess: until then the day is read from its Parquet alone (day granularity), then the late call counts.
    expectAnswers(beforeNext, expected, 'a late object before the next compaction');
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toContain(`${day}: 1 gzip objects`);
    expect(next.stdout).toContain('+ 1 earlier parts');
    expectAnswers(afterNext, withLate, 'a late object after the next compaction');
    expect(afterNext.totals).toEqual([
      { events: events.length + late.length, ids: events.length + late.length },
    ]);
    expect(manifestOf(lake, day).sources.map((s) => s.key)).toContain(path.slice(lake.length + 1));
  });

  it('readers refuse a manifest that is not valid, or whose part is missing, and say which', async () => {
    // Prepare
    const lake = copy();
    await compactCommand().parseAsync(['--day', day, '--data-dir', lake], { from: 'user' });
    const path = join(compactedDir(lake, day), '_manifest.json');
    const good = readFileSync(path, 'utf8');
    const manifest = manifestOf(lake, day);
    const failure = async () => (await openLake(lake).then((l) => l.close())) ?? 'opened';
    // Act
    writeFileSync(path, JSON.stringify({ ...manifest, version: 2 }));
    const badVersion = await failure().catch((e: Error) => e.message);
    writeFileSync(path, JSON.stringify({ ...manifest, parts: ['../../../../etc/passwd'] }));
    const outside = await failure().catch((e: Error) => e.message);
    writeFileSync(path, good);
    rmSync(join(lake, manifest.parts[0] as string));
    const missing = await failure().catch((e: Error) => e.message);
    // Assess
    expect(badVersion).toBe(
      `the compaction manifest ${path} is not valid (version 2, expected 1); re-run \`voicelake compact --day ${day}\` or remove it to read the day's gzip objects`,
    );
    expect(outside).toContain(`part "../../../../etc/passwd" is not a part of ${day}`);
    expect(missing).toMatch(new RegExp(`^day ${day} is compacted but its part .*\\.parquet is missing`));
  });

  it('--delete-source deletes nothing when verification fails: non-zero exit, a clear message', async () => {
    // Prepare
    const lake = copy();
    const sources = gzipFiles(lake, day);
    // Act
    const failed = await voicelake(['compact', '--day', day, '--delete-source', '--data-dir', lake], {
      VOICELAKE_COMPACT_TEST_DROP_ROW: '1',
    });
    // Assess
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      new RegExp(
        `^voicelake: VL_ERR_QUERY: verification failed for ${day}: the sources hold [\\d,]+ distinct event_ids, the Parquet written holds [\\d,]+ rows .*Nothing was published and nothing was deleted\\n$`,
      ),
    );
    expect(failed.stdout).not.toContain('verified');
    expect(gzipFiles(lake, day), 'every source is still there').toEqual(sources);
    expect(compactedFiles(lake, day), 'no manifest, no part').toEqual([]);
    expect(readdirSync(join(lake, 'compacted')), 'no staging left').toEqual([]);
    expectAnswers(await answers(lake), expected, 'after a failed verification');
  });
});
