/**
 * `voicelake lifecycle show | apply` against moto, read back with the real AWS CLI: apply
 * merges voicelake's rules into the bucket's configuration by ID and keeps every other rule
 * (another team's, another lake's) exactly as it was; `--dry-run` prints a unified diff and
 * changes nothing; a second apply is "unchanged"; raw expiry is refused for days that are not
 * compacted. The CLI tests run the built CLI (`npm run build` first).
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { unifiedDiff } from '../../packages/cli/src/lifecycle/diff.js';
import {
  desiredRules,
  type LifecycleRule,
  mergeRules,
  prefixHash,
  ruleId,
} from '../../packages/cli/src/lifecycle/rules.js';
import { awsCli, clients, createBucket, uniqueName } from '../helpers/aws.js';
import { voicelake as voicelakeInProcess } from '../helpers/cli.js';

const _run = promisify(execFile);
const _cli = resolve(import.meta.dirname, '../../packages/cli/bin/voicelake.js');
const endpoint = inject('motoEndpoint');

interface CliRule {
  ID: string;
  Status: string;
  Filter?: { Prefix?: string };
  Expiration?: { Days?: number };
  Transitions?: { Days?: number; StorageClass?: string }[];
  AbortIncompleteMultipartUpload?: { DaysAfterInitiation?: number };
}

const env: NodeJS.ProcessEnv = { ...process.env, NODE_NO_WARNINGS: '1' };
for (const name of ['ANALYTICS_S3_BUCKET', 'ANALYTICS_S3_PREFIX']) delete env[name];

const voicelake = (...args: string[]) => voicelakeInProcess(args, env);
const fails = (...args: string[]) =>
  voicelake(...args).then(
    () => expect.unreachable(`voicelake ${args.join(' ')} should fail`),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

/** The bucket's lifecycle rules as the AWS CLI reads them (none: []). */
async function rulesOf(bucket: string): Promise<CliRule[]> {
  try {
    const out = await awsCli(endpoint, ['s3api', 'get-bucket-lifecycle-configuration', '--bucket', bucket]);
    return (JSON.parse(out) as { Rules: CliRule[] }).Rules;
  } catch (error) {
    if (String((error as { stderr?: string }).stderr).includes('NoSuchLifecycleConfiguration')) return [];
    throw error;
  }
}

async function putRules(bucket: string, rules: CliRule[]): Promise<void> {
  await awsCli(endpoint, [
    's3api',
    'put-bucket-lifecycle-configuration',
    '--bucket',
    bucket,
    '--lifecycle-configuration',
    JSON.stringify({ Rules: rules }),
  ]);
}

const byId = (rules: CliRule[]) => new Map(rules.map((r) => [r.ID, r]));

/** Another team's rule, in the same bucket: apply must never touch it. */
const UNRELATED: CliRule = {
  ID: 'athena-results-cleanup',
  Status: 'Enabled',
  Filter: { Prefix: 'athena-results/' },
  Expiration: { Days: 14 },
};

describe('voicelake lifecycle against moto (read back with the AWS CLI)', () => {
  let s3: S3Client;
  const prefix = 'team/eu/';
  const h = prefixHash(prefix);

  beforeAll(() => {
    s3 = clients(endpoint).s3;
  });
  afterAll(() => s3.destroy());

  it('apply adds its rules by ID, scoped to the lake, and keeps an unrelated rule exactly', async () => {
    // Prepare
    const bucket = uniqueName('vl-lifecycle');
    await createBucket(s3, bucket);
    await putRules(bucket, [UNRELATED]);

    // Act
    const { stdout } = await voicelake(
      'lifecycle',
      'apply',
      '--bucket',
      bucket,
      '--prefix',
      'team/eu',
      '--expire-raw-after-days',
      '30',
      '--expire-after-days',
      '400',
    );

    // Assess
    const rules = await rulesOf(bucket);
    expect(rules.map((r) => r.ID)).toEqual([
      'athena-results-cleanup',
      `voicelake-glacier-compacted-${h}`,
      `voicelake-expire-raw-${h}`,
      `voicelake-expire-compacted-${h}`,
      `voicelake-abort-multipart-${h}`,
    ]);
    const got = byId(rules);
    expect(got.get('athena-results-cleanup')).toEqual(UNRELATED);
    expect(got.get(`voicelake-glacier-compacted-${h}`)).toMatchObject({
      Status: 'Enabled',
      Filter: { Prefix: 'team/eu/compacted/' },
      Transitions: [{ Days: 90, StorageClass: 'GLACIER' }],
    });
    expect(got.get(`voicelake-expire-raw-${h}`)).toMatchObject({
      Filter: { Prefix: 'team/eu/year=' },
      Expiration: { Days: 30 },
    });
    expect(got.get(`voicelake-expire-compacted-${h}`)).toMatchObject({
      Filter: { Prefix: 'team/eu/compacted/' },
      Expiration: { Days: 400 },
    });
    expect(got.get(`voicelake-abort-multipart-${h}`)).toMatchObject({
      Filter: { Prefix: 'team/eu/' },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
    });
    expect(stdout).toContain('applied: 4 added, 0 updated, 0 removed');
    expect(stdout).toContain('1 other rule of the bucket kept as it is');
    // Raw objects expire before the Glacier transition would act: no Glacier rule for them, and it says why.
    expect(got.has(`voicelake-glacier-${h}`)).toBe(false);
    expect(stdout).toContain('raw objects expire after 30 days, before the 90-day Glacier transition');
  });

  it('apply twice: the second run is "unchanged" and writes nothing', async () => {
    // Prepare
    const bucket = uniqueName('vl-lifecycle');
    await createBucket(s3, bucket);
    await putRules(bucket, [UNRELATED]);
    const args = ['lifecycle', 'apply', '--bucket', bucket, '--prefix', prefix];
    await voicelake(...args);
    const first = await rulesOf(bucket);

    // Act
    const { stdout } = await voicelake(...args);

    // Assess
    expect(stdout).toContain('unchanged: the bucket already has these rules');
    expect(stdout).not.toContain('applied:');
    expect(stdout.match(/^ {2}unchanged /gm)).toHaveLength(3);
    expect(await rulesOf(bucket)).toEqual(first);
    expect(first.map((r) => r.ID)).toEqual([
      'athena-results-cleanup',
      `voicelake-glacier-${h}`,
      `voicelake-glacier-compacted-${h}`,
      `voicelake-abort-multipart-${h}`,
    ]);
    expect(byId(first).get(`voicelake-glacier-${h}`)).toMatchObject({
      Filter: { Prefix: `${prefix}year=` },
      Transitions: [{ Days: 90, StorageClass: 'GLACIER' }],
    });
  });

  it('--dry-run prints the change as a unified diff of the JSON and changes nothing', async () => {
    // Prepare
    const bucket = uniqueName('vl-lifecycle');
    await createBucket(s3, bucket);
    await putRules(bucket, [UNRELATED]);
    const before = await rulesOf(bucket);

    // Act
    const { stdout } = await voicelake(
      'lifecycle',
      'apply',
      '--bucket',
      bucket,
      '--prefix',
      prefix,
      '--glacier-after-days',
      '120',
      '--dry-run',
    );

    // Assess
    expect(await rulesOf(bucket)).toEqual(before);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe(`--- s3://${bucket} lifecycle (current)`);
    expect(lines[1]).toBe(`+++ s3://${bucket} lifecycle (after apply)`);
    expect(lines[2]).toMatch(/^@@ -\d+,\d+ \+\d+,\d+ @@$/);
    expect(stdout).toContain(`+      "ID": "voicelake-glacier-${h}",`);
    expect(stdout).toContain(`+        "Prefix": "${prefix}year="`);
    expect(stdout).toContain('+          "Days": 120,');
    // The unrelated rule is context, never removed.
    expect(stdout).toMatch(/^ {9}"Days": 14$/m);
    expect(lines.filter((l) => l.startsWith('-') && !l.startsWith('---'))).toEqual([]);
    expect(stdout).toContain('dry run: apply would write this configuration (3 added, 0 updated, 0 removed)');
  });

  it('--dry-run on a bucket without configuration diffs from nothing; show says there is none', async () => {
    // Prepare
    const bucket = uniqueName('vl-lifecycle');
    await createBucket(s3, bucket);

    // Act
    const shown = await voicelake('lifecycle', 'show', '--bucket', bucket);
    const { stdout } = await voicelake('lifecycle', 'apply', '--bucket', bucket, '--dry-run');

    // Assess
    expect(shown.stdout).toContain(`s3://${bucket} has no lifecycle configuration`);
    expect(stdout).toContain(`--- s3://${bucket} lifecycle (current: none)`);
    expect(stdout).toContain('+  "Rules": [');
    expect(stdout).toContain(`+        "Prefix": "year="`);
    expect(stdout).toContain(`+        "Prefix": "compacted/"`);
    expect(await rulesOf(bucket)).toEqual([]);
  });

  it('apply states the whole policy: a voicelake rule no longer asked for is removed, other lakes are kept', async () => {
    // Prepare: this lake with an expiry, and another lake (another prefix) in the same bucket.
    const bucket = uniqueName('vl-lifecycle');
    await createBucket(s3, bucket);
    await putRules(bucket, [UNRELATED]);
    await voicelake('lifecycle', 'apply', '--bucket', bucket, '--prefix', 'other/');
    const otherLake = (await rulesOf(bucket)).filter((r) => r.ID.startsWith('voicelake-'));
    await voicelake(
      'lifecycle',
      'apply',
      '--bucket',
      bucket,
      '--prefix',
      prefix,
      '--expire-after-days',
      '730',
    );

    // Act
    const { stdout } = await voicelake('lifecycle', 'apply', '--bucket', bucket, '--prefix', prefix);

    // Assess
    expect(stdout).toContain(`removed   voicelake-expire-raw-${h}`);
    expect(stdout).toContain(`removed   voicelake-expire-compacted-${h}`);
    expect(stdout).toContain('applied: 0 added, 0 updated, 2 removed');
    const rules = byId(await rulesOf(bucket));
    expect(rules.has(`voicelake-expire-raw-${h}`)).toBe(false);
    expect(rules.has(`voicelake-glacier-${h}`)).toBe(true);
    expect(rules.get('athena-results-cleanup')).toEqual(UNRELATED);
    for (const r of otherLake) expect(rules.get(r.ID)).toEqual(r);
    const shown = (await voicelake('lifecycle', 'show', '--bucket', bucket, '--prefix', prefix)).stdout;
    expect(shown).toMatch(
      new RegExp(`this lake +voicelake-glacier-${h} +Enabled +prefix ${prefix}year= +GLACIER after 90 d`),
    );
    expect(shown).toMatch(/other lake +voicelake-glacier-[0-9a-f]{8} +Enabled +prefix other\/year=/);
    expect(shown).toMatch(/^ +athena-results-cleanup +Enabled +prefix athena-results\/ +expire after 14 d$/m);
  });

  it('refuses to expire raw days that are not compacted, until they are (or --force)', async () => {
    // Prepare: an old raw day, and a recent one the rule would not reach yet.
    const bucket = uniqueName('vl-lifecycle');
    await createBucket(s3, bucket);
    await putRules(bucket, [UNRELATED]);
    const put = (key: string) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }));
    await put(`${prefix}year=2026/month=01/day=05/analytics-20260105T000000000Z-0123456789ab.json.gz`);
    const today = new Date().toISOString().slice(0, 10).split('-');
    await put(
      `${prefix}year=${today[0]}/month=${today[1]}/day=${today[2]}/analytics-20260105T000000000Z-0123456789ab.json.gz`,
    );
    const args = [
      'lifecycle',
      'apply',
      '--bucket',
      bucket,
      '--prefix',
      prefix,
      '--expire-raw-after-days',
      '30',
    ];

    // Act
    const refused = await fails(...args);
    const dry = await voicelake(...args, '--dry-run');

    // Assess
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'refusing to expire raw objects: 1 raw day older than 30 days is not compacted',
    );
    expect(refused.stderr).toContain('2026-01-05');
    expect(refused.stderr).not.toContain(today.join('-'));
    expect(dry.stdout).toContain('dry run: apply would refuse');
    expect(await rulesOf(bucket)).toEqual([UNRELATED]);

    // Act: the day is compacted now (its manifest is what makes it so).
    await put(`${prefix}compacted/year=2026/month=01/day=05/_manifest.json`);
    const { stdout } = await voicelake(...args);

    // Assess
    expect(stdout).toContain('applied: 3 added');
    expect(byId(await rulesOf(bucket)).get(`voicelake-expire-raw-${h}`)).toMatchObject({
      Expiration: { Days: 30 },
    });

    // Act: an old day arrives uncompacted while the rule is in place (nothing to write, but say it).
    await put(`${prefix}year=2026/month=02/day=07/analytics-20260207T000000000Z-0123456789ab.json.gz`);
    const again = await voicelake(...args);

    // Assess
    expect(again.stdout).toContain('unchanged: the bucket already has these rules');
    expect(again.stdout).toContain(
      'warning: the rule in place will delete data: 1 raw day older than 30 days',
    );
    expect(again.stdout).toContain('2026-02-07');
  });

  it('--force expires uncompacted raw days anyway, and says so', async () => {
    // Prepare
    const bucket = uniqueName('vl-lifecycle');
    await createBucket(s3, bucket);
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'year=2025/month=02/day=03/analytics-20250203T000000000Z-0123456789ab.json.gz',
        Body: 'x',
      }),
    );

    // Act
    const { stdout } = await voicelake(
      'lifecycle',
      'apply',
      '--bucket',
      bucket,
      '--expire-raw-after-days',
      '7',
      '--force',
    );

    // Assess
    expect(stdout).toContain('applied: ');
    expect(stdout).toContain('warning: --force: 1 raw day older than 7 days is not compacted');
    expect(byId(await rulesOf(bucket)).get(ruleId('expire-raw', ''))).toMatchObject({
      Filter: { Prefix: 'year=' },
      Expiration: { Days: 7 },
    });
  });

  it('show --format json marks voicelake rules and keeps each rule whole', async () => {
    // Prepare
    const bucket = uniqueName('vl-lifecycle');
    await createBucket(s3, bucket);
    await putRules(bucket, [UNRELATED]);
    await voicelake('lifecycle', 'apply', '--bucket', bucket, '--prefix', prefix);

    // Act
    const { stdout } = await voicelake(
      'lifecycle',
      'show',
      '--bucket',
      bucket,
      '--prefix',
      prefix,
      '--format',
      'json',
    );

    // Assess
    const doc = JSON.parse(stdout) as {
      rules: { voicelake: string; id: string; rule: CliRule }[];
      transitionDefaultMinimumObjectSize: string;
    };
    expect(doc.rules.map((r) => r.voicelake)).toEqual(['', 'this lake', 'this lake', 'this lake']);
    expect(doc.rules[0]?.rule).toEqual(UNRELATED);
    expect(doc.transitionDefaultMinimumObjectSize).toBe('all_storage_classes_128K');
  });
});

describe('lifecycle rules and diff (pure)', () => {
  it('scopes raw and compacted rules by prefix alone: <prefix>year= never matches <prefix>compacted/', () => {
    // Act
    const rules = desiredRules({ prefix: 'p/', glacierAfterDays: 90, expireRawAfterDays: 200 });

    // Assess
    const raw = rules.find((r) => r.ID === ruleId('expire-raw', 'p/'));
    const rawPrefix = raw?.Filter?.Prefix as string;
    expect(rawPrefix).toBe('p/year=');
    expect('p/year=2026/month=11/day=24/analytics-x.json.gz'.startsWith(rawPrefix)).toBe(true);
    expect('p/compacted/year=2026/month=11/day=24/part-x.parquet'.startsWith(rawPrefix)).toBe(false);
    // A transition after 90 days, an expiry after 200: both act, in one lake.
    expect(rules.map((r) => r.ID)).toEqual([
      ruleId('glacier', 'p/'),
      ruleId('glacier-compacted', 'p/'),
      ruleId('expire-raw', 'p/'),
      ruleId('abort-multipart', 'p/'),
    ]);
  });

  it('merge keeps foreign rules in place and replaces its own where they were', () => {
    // Prepare
    const mine = desiredRules({ prefix: '', glacierAfterDays: 30 });
    const old: LifecycleRule = {
      ...(mine[0] as LifecycleRule),
      Transitions: [{ Days: 90, StorageClass: 'GLACIER' }],
    };
    const foreign = {
      ID: 'x',
      Status: 'Enabled' as const,
      Filter: { Prefix: 'x/' },
      Expiration: { Days: 1 },
    };

    // Act
    const merged = mergeRules([old, foreign], mine, '');

    // Assess
    expect(merged.rules[0]).toEqual(mine[0]);
    expect(merged.rules[1]).toBe(foreign);
    expect(merged.changes.map((c) => c.change)).toEqual(['updated', 'added', 'added']);
    expect(merged.unchanged).toBe(false);
    expect(mergeRules(merged.rules, mine, '').unchanged).toBe(true);
  });

  it('unifiedDiff matches diff -u hunks', () => {
    // Act
    const diff = unifiedDiff('a\nb\nc\nd\ne\nf\ng\nh\n', 'a\nb\nc\nD\ne\nf\ng\nh\n', 'old', 'new', 1);

    // Assess
    expect(diff).toBe('--- old\n+++ new\n@@ -3,3 +3,3 @@\n c\n-d\n+D\n e\n');
    expect(unifiedDiff('same\n', 'same\n', 'a', 'b')).toBe('');
  });
});
