/**
 * `voicelake ls`, `cat` and the S3 query cache, as a user runs them: the same demo lake read
 * from its local directory and from a moto bucket (the same keys under a prefix) gives the
 * same objects, sizes, day totals and events; the cache fetches only what is new or changed
 * and forgets what S3 no longer has.
 */
import { execFile } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { QueryError } from 'voicelake';
import { formatBytes } from '../../packages/cli/src/format.js';
import { listPages } from '../../packages/cli/src/lake/s3.js';
import { cacheDir } from '../../packages/cli/src/lake/s3-cache.js';
import { S3Source } from '../../packages/cli/src/lake/s3-source.js';
import { rangeFrom, sourceFrom } from '../../packages/cli/src/lake/source-options.js';
import { KEY_PATTERN } from '../../packages/voicelake/src/lake/layout.js';
import { clients, createBucket, uniqueName } from '../helpers/aws.js';
import { voicelake as voicelakeInProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const _run = promisify(execFile);
const _cli = resolve(import.meta.dirname, '../../packages/cli/bin/voicelake.js');

interface FileInfo {
  key: string;
  day: string;
  size: number;
}

/** Files of the lake layout under `dir`, relative keys, sorted. */
function lakeFiles(dir: string): FileInfo[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => KEY_PATTERN.test(f))
    .sort()
    .map((key) => {
      const [, , y, m, d] = KEY_PATTERN.exec(key) as RegExpExecArray;
      return { key, day: `${y}-${m}-${d}`, size: statSync(join(dir, key)).size };
    });
}

/** Split `ls`'s table output into its objects rows and its totals rows (columns split on 2+ spaces). */
function parseLsTable(stdout: string): { objects: string[][]; totals: string[][]; totalsText: string } {
  const [objectsText, totalsText] = stdout.split('\n\n') as [string, string];
  const rows = (text: string) =>
    text
      .split('\n')
      .slice(2)
      .map((line) => line.split(/ {2,}/));
  return { objects: rows(objectsText), totals: rows(totalsText), totalsText };
}

describe('voicelake ls / cat / cache over the local lake and S3', () => {
  const endpoint = inject('motoEndpoint');
  const root = tempDir('vl-sources');
  const lake = join(root, 'lake');
  const cacheHome = join(root, 'cache-home');
  const bucket = uniqueName('vl-sources');
  const prefix = 'team/eu/';
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ANALYTICS_SPOOL_DIR: join(root, 'spool'),
    ANALYTICS_LOG_LEVEL: 'warn',
    XDG_CACHE_HOME: cacheHome,
  };
  for (const name of ['ANALYTICS_S3_BUCKET', 'ANALYTICS_S3_PREFIX', 'ANALYTICS_LAKE_DIR']) delete env[name];
  const voicelake = (...args: string[]) => voicelakeInProcess(args, env);
  const fails = (...args: string[]) =>
    voicelake(...args).then(
      () => expect.unreachable(`voicelake ${args.join(' ')} should fail`),
      (e: { code: number; stderr: string }) => e,
    );
  let s3: S3Client;
  let files: FileInfo[];
  let days: string[];
  let range: string[];

  beforeAll(async () => {
    await voicelake('demo', '--calls', '30', '--data-dir', lake, '--days', '3');
    files = lakeFiles(lake);
    days = [...new Set(files.map((f) => f.day))].sort();
    range = ['--from', days[0] as string, '--to', days[days.length - 1] as string];
    s3 = clients(endpoint).s3;
    await createBucket(s3, bucket);
    for (const f of files)
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `${prefix}${f.key}`,
          Body: readFileSync(join(lake, f.key)),
        }),
      );
  });

  afterAll(() => s3.destroy());

  it('demo data spans several days', () => {
    // Assess
    expect(days.length).toBeGreaterThanOrEqual(3);
    expect(files.length).toBeGreaterThanOrEqual(days.length);
  });

  it('ls prints the same objects, sizes and day totals for both sources (table)', async () => {
    // Act
    const local = await voicelake('ls', '--data-dir', lake);
    const remote = await voicelake('ls', '--bucket', bucket, '--prefix', 'team/eu', ...range);
    // Assess
    const l = parseLsTable(local.stdout);
    const r = parseLsTable(remote.stdout);
    const expected = files.map((f) => [f.day, f.key, formatBytes(f.size)]);
    expect(l.objects.map(([day, key, size]) => [day, key, size])).toEqual(expected);
    expect(r.objects.map(([day, key, size]) => [day, (key as string).slice(prefix.length), size])).toEqual(
      expected,
    );
    expect(r.objects.every(([, key]) => key?.startsWith(prefix))).toBe(true);
    expect(r.totalsText).toBe(l.totalsText);
    const total = files.reduce((n, f) => n + f.size, 0);
    expect(l.totals.at(-1)).toEqual(['total', String(files.length), formatBytes(total)]);
    for (const day of days) {
      const ofDay = files.filter((f) => f.day === day);
      expect(l.totals).toContainEqual([
        day,
        String(ofDay.length),
        formatBytes(ofDay.reduce((n, f) => n + f.size, 0)),
      ]);
    }
    expect(local.stdout).toContain(
      `${files.length} objects, ${formatBytes(total)} (${total.toLocaleString('en-US')} bytes)`,
    );
    expect(remote.stdout).toContain(`of s3://${bucket}/${prefix} (${days[0]}..${days.at(-1)})`);
  });

  it('ls prints the same objects for both sources (json), and S3 defaults to the last 7 days', async () => {
    // Act
    const local = JSON.parse((await voicelake('ls', '--data-dir', lake, '--format', 'json')).stdout);
    const remote = JSON.parse(
      (await voicelake('ls', '--bucket', bucket, '--prefix', prefix, ...range, '--format', 'json')).stdout,
    );
    const remoteDefault = JSON.parse(
      (await voicelake('ls', '--bucket', bucket, '--prefix', prefix, '--format', 'json')).stdout,
    );
    const localDays = JSON.parse(
      (await voicelake('ls', '--data-dir', lake, '--days', '--format', 'json')).stdout,
    );
    const remoteDays = JSON.parse(
      (await voicelake('ls', '--bucket', bucket, '--prefix', prefix, ...range, '--days', '--format', 'json'))
        .stdout,
    );
    // Assess
    const strip = (rows: { day: string; key: string; size: number }[], p: string) =>
      rows.map((o) => ({ day: o.day, key: o.key.slice(p.length), size: o.size }));
    expect(strip(local, '')).toEqual(files);
    expect(strip(remote, prefix)).toEqual(files);
    expect(remoteDefault).toEqual(remote);
    for (const o of [...local, ...remote]) expect(Number.isNaN(Date.parse(o.last_modified))).toBe(false);
    const totals = days.map((day) => {
      const ofDay = files.filter((f) => f.day === day);
      return { day, objects: ofDay.length, size: ofDay.reduce((n, f) => n + f.size, 0) };
    });
    expect(localDays).toEqual(totals);
    expect(remoteDays).toEqual(totals);
  });

  it('ls with one day lists that day only, on both sources; csv has a header and bytes', async () => {
    // Prepare
    const day = days[1] as string;
    // Act
    const local = await voicelake('ls', '--data-dir', lake, '--from', day, '--to', day, '--format', 'csv');
    const remote = await voicelake(
      'ls',
      '--bucket',
      bucket,
      '--prefix',
      prefix,
      '--from',
      day,
      '--to',
      day,
      '--format',
      'csv',
    );
    // Assess
    const lines = local.stdout.trimEnd().split('\r\n');
    expect(lines[0]).toBe('day,key,size,last_modified');
    const ofDay = files.filter((f) => f.day === day);
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 3))).toEqual(
      ofDay.map((f) => [f.day, f.key, String(f.size)]),
    );
    expect(
      remote.stdout
        .trimEnd()
        .split('\r\n')
        .slice(1)
        .map((l) => l.split(',').slice(0, 3)),
    ).toEqual(ofDay.map((f) => [f.day, `${prefix}${f.key}`, String(f.size)]));
  });

  it('cat prints the same NDJSON for both sources, equal to gunzip of the file', async () => {
    // Prepare
    const f = files[1] as FileInfo;
    const expected = gunzipSync(readFileSync(join(lake, f.key))).toString('utf8');
    // Act
    const local = await voicelake('cat', f.key, '--data-dir', lake);
    const localPath = await voicelake('cat', join(lake, f.key));
    const remote = await voicelake('cat', `${prefix}${f.key}`, '--bucket', bucket, '--prefix', prefix);
    const remoteShort = await voicelake('cat', f.key, '--bucket', bucket, '--prefix', prefix);
    const remoteUrl = await voicelake('cat', `s3://${bucket}/${prefix}${f.key}`);
    const asJson = await voicelake(
      'cat',
      `${prefix}${f.key}`,
      '--bucket',
      bucket,
      '--prefix',
      prefix,
      '--format',
      'json',
    );
    // Assess
    expect(expected.length).toBeGreaterThan(0);
    expect(local.stdout).toBe(expected);
    expect(localPath.stdout).toBe(expected);
    expect(remote.stdout).toBe(expected);
    expect(remoteShort.stdout).toBe(expected);
    expect(remoteUrl.stdout).toBe(expected);
    expect(JSON.parse(asJson.stdout)).toEqual(
      expected
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)),
    );
  });

  it('cat --format table and csv parse the events', async () => {
    // Prepare
    const f = files[0] as FileInfo;
    const events = gunzipSync(readFileSync(join(lake, f.key)))
      .toString('utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { event_id: string });
    // Act
    const table = await voicelake('cat', f.key, '--data-dir', lake, '--format', 'table');
    const csv = await voicelake('cat', f.key, '--data-dir', lake, '--format', 'csv');
    // Assess
    const tableLines = table.stdout.trimEnd().split('\n');
    expect(tableLines).toHaveLength(events.length + 2);
    expect(tableLines[0]).toMatch(/event_id/);
    const csvLines = csv.stdout.trimEnd().split('\r\n');
    expect(csvLines[0]?.split(',')).toContain('event_id');
    for (const e of events) expect(csv.stdout).toContain(e.event_id);
  });

  it('the S3 cache fetches a range once, then only new or changed objects, and forgets deleted ones', async () => {
    // Prepare
    const cacheEnv = { ...process.env, XDG_CACHE_HOME: join(root, 'sync-cache') };
    const calls: { command: string; prefix: string | undefined }[] = [];
    const client = clients(endpoint).s3;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        calls.push({
          command: context.commandName as string,
          prefix: (args.input as { Prefix?: string }).Prefix,
        });
        return next(args);
      },
      { step: 'initialize' },
    );
    const source = new S3Source({ bucket, prefix, env: cacheEnv, client });
    const day = days[1] as string;
    const oneDay = { from: day, to: day };
    const ofDay = files.filter((f) => f.day === day);
    const cacheRoot = join(root, 'sync-cache', 'voicelake', 's3', bucket);
    const lakeDir = join(cacheRoot, prefix);
    const [y, m, d] = day.split('-');
    try {
      // Act: first sync of one day
      const first = await source.sync(oneDay);
      // Assess: one listing (that day's partition), one GET per object of that day, nothing else cached
      expect(first).toEqual({
        dir: join(cacheRoot, 'team', 'eu'),
        fetched: ofDay.length,
        fetchedBytes: ofDay.reduce((n, f) => n + f.size, 0),
        cached: 0,
      });
      // One listing of the compacted days (which days read Parquet), then one of the requested day.
      expect(calls.filter((c) => c.command === 'ListObjectsV2Command')).toEqual([
        { command: 'ListObjectsV2Command', prefix: `${prefix}compacted/` },
        { command: 'ListObjectsV2Command', prefix: `${prefix}year=${y}/month=${m}/day=${d}/` },
      ]);
      expect(calls.filter((c) => c.command === 'GetObjectCommand')).toHaveLength(ofDay.length);
      expect(lakeFiles(lakeDir)).toEqual(ofDay);
      for (const f of ofDay)
        expect(readFileSync(join(lakeDir, f.key))).toEqual(readFileSync(join(lake, f.key)));
      // Private: files 0600, directories 0700, from the cache root down.
      for (const f of ofDay) expect(lstatSync(join(lakeDir, f.key)).mode & 0o777).toBe(0o600);
      for (const dir of [
        join(root, 'sync-cache', 'voicelake'),
        cacheRoot,
        lakeDir,
        join(lakeDir, `year=${y}`),
      ])
        expect(lstatSync(dir).mode & 0o777).toBe(0o700);
      expect(lstatSync(join(cacheRoot, '.manifest.json')).mode & 0o777).toBe(0o600);
      const manifest = JSON.parse(readFileSync(join(cacheRoot, '.manifest.json'), 'utf8'));
      expect(Object.keys(manifest.objects)).toEqual(ofDay.map((f) => `${prefix}${f.key}`));

      // Act: second sync of the same day
      calls.length = 0;
      const second = await source.sync(oneDay);
      // Assess
      expect(second).toMatchObject({ fetched: 0, fetchedBytes: 0, cached: ofDay.length });
      expect(calls.filter((c) => c.command === 'GetObjectCommand')).toHaveLength(0);

      // Act: a new object in that day
      const body = gzipSync(`${JSON.stringify({ event_id: 'new', event_time: `${day}T12:00:00.000Z` })}\n`);
      const newKey = `${prefix}year=${y}/month=${m}/day=${d}/analytics-${y}${m}${d}T120000000Z-0123456789ab.json.gz`;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: newKey, Body: body }));
      const third = await source.sync(oneDay);
      // Assess
      expect(third).toMatchObject({ fetched: 1, fetchedBytes: body.length, cached: ofDay.length });
      expect(readFileSync(join(cacheRoot, newKey))).toEqual(body);

      // Act: an object that changed (new ETag)
      const changed = gzipSync(
        `${JSON.stringify({ event_id: 'changed', event_time: `${day}T12:00:01.000Z` })}\n`,
      );
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: newKey, Body: changed }));
      const fourth = await source.sync(oneDay);
      // Assess
      expect(fourth).toMatchObject({ fetched: 1, cached: ofDay.length });
      expect(readFileSync(join(cacheRoot, newKey))).toEqual(changed);

      // Act: the object is deleted from S3
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: newKey }));
      const fifth = await source.sync(oneDay);
      // Assess
      expect(fifth).toMatchObject({ fetched: 0, cached: ofDay.length });
      expect(existsSync(join(cacheRoot, newKey))).toBe(false);
      expect(
        Object.keys(JSON.parse(readFileSync(join(cacheRoot, '.manifest.json'), 'utf8')).objects),
      ).not.toContain(newKey);

      // Act: the whole range fetches the other days only
      const all = await source.sync({ from: days[0] as string, to: days.at(-1) as string });
      // Assess
      expect(all).toMatchObject({ fetched: files.length - ofDay.length, cached: ofDay.length });
      expect(lakeFiles(lakeDir)).toEqual(files);
    } finally {
      source.close();
      client.destroy();
    }
  });

  it('lists page by page with a continuation token, and sourceFrom picks S3 from the environment', async () => {
    // Prepare
    const paged = new S3Source({ bucket, prefix, pageSize: 1 });
    const fromEnv = sourceFrom(
      {},
      { ...process.env, ANALYTICS_S3_BUCKET: bucket, ANALYTICS_S3_PREFIX: 'team/eu' },
    );
    try {
      // Act
      const pagedList = await paged.list();
      const envList = await fromEnv.list(rangeFrom({}, fromEnv));
      // Assess
      expect(fromEnv.kind).toBe('s3');
      expect(fromEnv.description).toBe(`s3://${bucket}/${prefix}`);
      expect(pagedList.map((o) => o.key)).toEqual(files.map((f) => `${prefix}${f.key}`));
      expect(envList.map((o) => o.key)).toEqual(pagedList.map((o) => o.key));
      expect(sourceFrom({ dataDir: lake }, { ANALYTICS_S3_BUCKET: bucket }).kind).toBe('local');
    } finally {
      paged.close();
      fromEnv.close();
    }
  });

  it('listPages: StartAfter with continuation tokens lists every later key once, and a failure is described', async () => {
    // Act: one key per page, starting after the first file's key
    const keys = files.map((f) => `${prefix}${f.key}`);
    const after = keys[0] as string;
    const listed: string[] = [];
    for await (const page of listPages(
      s3,
      { Bucket: bucket, Prefix: prefix, StartAfter: after },
      { pageSize: 1 },
    ))
      for (const o of page.Contents ?? []) listed.push(o.Key as string);
    const missing = listPages(s3, { Bucket: `${bucket}-missing`, Prefix: 'p/' });
    // Assess
    expect(listed).toEqual(keys.slice(1));
    await expect(missing.next()).rejects.toThrow(
      `cannot list s3://${bucket}-missing/p/: the bucket does not exist`,
    );
  });

  it('cache path and cache clear work on the per-user directory', async () => {
    // Prepare: fill the cache through the CLI env's XDG_CACHE_HOME
    const source = sourceFrom({ bucket, prefix }, env);
    await source.sync({ from: days[0] as string, to: days[0] as string });
    source.close();
    const dir = join(cacheHome, 'voicelake');
    expect(lakeFiles(join(dir, 's3', bucket, prefix)).length).toBeGreaterThan(0);
    // Act
    const path = await voicelake('cache', 'path');
    const clear = await voicelake('cache', 'clear');
    const again = await voicelake('cache', 'clear');
    // Assess
    expect(path.stdout).toBe(`${dir}\n`);
    expect(clear.stdout).toMatch(new RegExp(`^cleared ${dir}: \\d+ files, `));
    expect(existsSync(dir)).toBe(false);
    expect(again.stdout).toBe(`nothing to clear: ${dir} does not exist\n`);
  });

  it('the cache survives a corrupt manifest and stray files, refuses a symlink, and falls back to a private temp dir', async () => {
    // Prepare
    const home = join(root, 'hostile-cache');
    const cacheEnv = { ...process.env, XDG_CACHE_HOME: home };
    const bucketDir = join(home, 'voicelake', 's3', bucket);
    const day = days[0] as string;
    const ofDay = files.filter((f) => f.day === day);
    const source = new S3Source({ bucket, prefix, env: cacheEnv });
    const elsewhere = join(root, 'elsewhere');
    mkdirSync(elsewhere);
    try {
      await source.sync({ from: day, to: day });
      const partition = dirname(join(bucketDir, prefix, ofDay[0]?.key as string));
      writeFileSync(join(bucketDir, '.manifest.json'), '{ not json');
      writeFileSync(join(partition, 'stray.json.gz'), 'x');
      // Act: a corrupt manifest means nothing is known to be cached: everything is fetched again
      const again = await source.sync({ from: day, to: day });
      // Assess
      expect(again).toMatchObject({ fetched: ofDay.length, cached: 0 });
      expect(existsSync(join(partition, 'stray.json.gz'))).toBe(false);
      expect(lakeFiles(join(bucketDir, prefix))).toEqual(ofDay);

      // Act: the bucket directory replaced by a symlink to somewhere else
      rmSync(bucketDir, { recursive: true });
      symlinkSync(elsewhere, bucketDir);
      const refused = await source.sync({ from: day, to: day }).catch((e: unknown) => e);
      // Assess
      expect(refused).toBeInstanceOf(QueryError);
      expect((refused as Error).message).toContain('is a symlink or not a directory');
      expect(readdirSync(elsewhere)).toEqual([]);
    } finally {
      source.close();
    }
    // Without a usable home or XDG_CACHE_HOME: a per-user directory in the temp dir.
    expect(cacheDir({ HOME: '/' })).toBe(join(tmpdir(), `voicelake-${process.getuid?.() ?? 0}`, 'cache'));
    expect(cacheDir({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/voicelake');
  });

  it('refuses a missing lake, a bad day and an inverted range with clear messages', async () => {
    // Act
    const missing = await fails('ls', '--data-dir', join(root, 'nowhere'));
    const badDay = await fails('ls', '--data-dir', lake, '--from', '2026-02-30');
    const inverted = await fails('ls', '--data-dir', lake, '--from', '2026-03-02', '--to', '2026-03-01');
    const both = await fails('ls', '--data-dir', lake, '--bucket', bucket);
    const noObject = await fails('cat', 'year=2020/month=01/day=01/nothing.json.gz', '--data-dir', lake);
    // Assess
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(
      `VL_ERR_QUERY: no lake at ${join(root, 'nowhere')}: the directory does not exist`,
    );
    expect(badDay.stderr).toContain('VL_ERR_CONFIG: --from must be a day as YYYY-MM-DD');
    expect(inverted.stderr).toContain('VL_ERR_CONFIG: --from 2026-03-02 is after --to 2026-03-01');
    expect(both.stderr).toContain('not both');
    expect(noObject.stderr).toContain('no object year=2020/month=01/day=01/nothing.json.gz');
  });
});
