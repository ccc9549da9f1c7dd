/**
 * Every named query gives the same numbers from three readers of the same 300 demo calls:
 * DuckDB over the local lake, DuckDB over the same lake uploaded to S3 (moto) and read through
 * the query cache, and an independent recomputation from the parsed NDJSON, with no SQL.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { NAMED_QUERIES } from '../../packages/cli/src/lake/named-queries.js';
import { awsEnv, clients, createBucket, uniqueName } from '../helpers/aws.js';
import { voicelake as voicelakeInProcess } from '../helpers/cli.js';
import { readLocalLake } from '../helpers/lake.js';
import { expectSameRows, normalizeRows, recompute } from '../helpers/recompute.js';
import { tempDir } from '../helpers/tmp.js';

const _run = promisify(execFile);
const _cli = resolve(import.meta.dirname, '../../packages/cli/bin/voicelake.js');
const endpoint = inject('motoEndpoint');
const { s3 } = clients(endpoint);
const names = Object.keys(NAMED_QUERIES);

describe('named queries on 300 demo calls', () => {
  const lake = tempDir('vl-nq-lake');
  const env = { ...process.env, ANALYTICS_LOG_LEVEL: 'warn', ANALYTICS_SPOOL_DIR: tempDir('vl-nq-spool') };
  const bucket = uniqueName('vl-nq');
  const prefix = 'voice/';
  let expected: Record<string, Record<string, unknown>[]> = {};
  let days: string[] = [];

  beforeAll(async () => {
    // Prepare: the demo's calls in a local lake, and the same files in S3.
    await voicelakeInProcess(['demo', '--calls', '300', '--data-dir', lake, '--days', '3'], env);
    const events = readLocalLake(lake).map((l) => l.event);
    expected = recompute(events, 10);
    days = [...new Set(events.map((e) => String(e.event_time).slice(0, 10)))].sort();
    await createBucket(s3, bucket);
    const files = readdirSync(lake, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.json.gz'));
    for (const f of files) {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `${prefix}${relative(lake, join(lake, f))}`,
          Body: readFileSync(join(lake, f)),
        }),
      );
    }
  }, 180_000);

  it.each(names)('%s: DuckDB over the local lake = the recomputation', async (name) => {
    const { stdout } = await voicelakeInProcess(['query', name, '--data-dir', lake, '--format', 'json'], env);
    expectSameRows(normalizeRows(JSON.parse(stdout)), normalizeRows(expected[name] ?? []), `${name} (local)`);
  });

  it.each(names)('%s: DuckDB over S3 through the cache = the recomputation', async (name) => {
    const s3env = { ...env, ...awsEnv(endpoint), XDG_CACHE_HOME: tempDir('vl-nq-cache') };
    const range = ['--from', days[0] as string, '--to', days[days.length - 1] as string];
    const { stdout } = await voicelakeInProcess(
      ['query', name, '--bucket', bucket, '--prefix', prefix, ...range, '--format', 'json'],
      s3env,
    );
    expectSameRows(normalizeRows(JSON.parse(stdout)), normalizeRows(expected[name] ?? []), `${name} (S3)`);
  });

  it('a second S3 query fetches nothing; a new object in one day fetches only that object', async () => {
    // Prepare
    const s3env = { ...env, ...awsEnv(endpoint), XDG_CACHE_HOME: tempDir('vl-nq-cache2') };
    const args = [
      'query',
      'daily',
      '--bucket',
      bucket,
      '--prefix',
      prefix,
      '--from',
      days[0] as string,
      '--to',
      days[days.length - 1] as string,
    ];
    const first = await voicelakeInProcess(args, s3env);
    // Act
    const second = await voicelakeInProcess(args, s3env);
    const [y, m, d] = (days[0] as string).split('-');
    const key = `${prefix}year=${y}/month=${m}/day=${d}/analytics-20990101T000000000Z-0123456789ab.json.gz`;
    const body = (await import('node:zlib')).gzipSync(
      `${JSON.stringify({ event_id: 'late-1', event_type: 'call_ended', event_time: `${days[0]}T12:00:00.000Z`, call_id: 'late', agent_id: 'x', schema_version: 1, call_duration_ms: 1000 })}\n`,
    );
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    const third = await voicelakeInProcess([...args, '--format', 'json'], s3env);
    // Assess
    expect(first.stderr, 'the first query fetches the range').toMatch(/: [1-9][\d,]* objects fetched/);
    expect(second.stderr, 'the second fetches nothing').toMatch(
      /: 0 objects fetched \(0 B\), [1-9][\d,]* from the cache/,
    );
    expect(third.stderr, 'the new object alone is fetched').toMatch(/: 1 objects fetched/);
    const rows = JSON.parse(third.stdout) as { day: string; calls: string | number }[];
    const before = (expected.daily ?? []).find((r) => r.day === days[0])?.calls as number;
    expect(Number(rows.find((r) => r.day === days[0])?.calls), 'the late call is counted').toBe(before + 1);
  });
});
