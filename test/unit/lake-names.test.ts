/**
 * Where a lake is: one bucket rule (S3's rules for general purpose buckets) and one partition
 * rule (no `year=`/`month=`/`day=` segment, in any case, in a prefix or a lake directory),
 * applied by the library's config at start and by every CLI command that names a lake.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../packages/voicelake/src/config/resolve.js';
import { ConfigError } from '../../packages/voicelake/src/errors.js';
import { createAnalytics } from '../../packages/voicelake/src/index.js';
import { bucketProblem, lakeDirProblem, prefixProblem } from '../../packages/voicelake/src/lake/layout.js';
import { silentLogger } from '../../packages/voicelake/src/logger.js';
import { voicelake } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/** Names S3 refuses (CreateBucket: InvalidBucketName), with the reason voicelake gives. */
const REFUSED_BUCKETS: ReadonlyArray<readonly [string, RegExp]> = [
  ['vl..bucket', /two adjacent periods/],
  ['192.168.1.1', /IP address/],
  ['xn--abc', /reserves/],
  ['sthree-lake', /reserves/],
  ['sthree-configurator-lake', /reserves/],
  ['amzn-s3-demo-lake', /reserves/],
  ['lake-s3alias', /reserves/],
  ['lake--ol-s3', /reserves/],
  ['lake.mrap', /reserves/],
  ['lake--x-s3', /reserves/],
  ['lake--table-s3', /reserves/],
  ['Lake', /3-63 characters/],
  ['my_lake', /3-63 characters/],
  ['ab', /3-63 characters/],
  ['a'.repeat(64), /3-63 characters/],
  ['-lake', /3-63 characters/],
  ['lake-', /3-63 characters/],
  ['lake.', /3-63 characters/],
];
const GOOD_BUCKETS = ['abc', 'my-lake', 'my.lake.2026', 'a'.repeat(63), '192.168.1.1a', 'xn-abc', 'lake-s3'];

/** Prefixes whose segment Hive partitioning would read as the event's day. */
const PARTITION_PREFIXES = ['Year=2020/', 'team/MONTH=01/', 'a/b/DaY=1', 'yEaR=2020'];

const base = { logger: silentLogger, spool: false as const };

describe('the bucket rule', () => {
  it.each(REFUSED_BUCKETS)('refuses %j (%s)', (bucket, why) => {
    // Act, Assess
    expect(bucketProblem(bucket)).toMatch(why);
  });

  it.each(GOOD_BUCKETS)('accepts %j', (bucket) => {
    // Act, Assess
    expect(bucketProblem(bucket)).toBeUndefined();
  });

  it.each(REFUSED_BUCKETS)(
    'makes ANALYTICS_S3_BUCKET=%j a ConfigError at start, not a buffer that never drains',
    (bucket, why) => {
      // Act
      const start = () => createAnalytics({ ...base, env: { ANALYTICS_S3_BUCKET: bucket } });
      // Assess
      expect(start).toThrow(ConfigError);
      expect(start).toThrow(why);
    },
  );
});

describe('the partition rule', () => {
  it.each(PARTITION_PREFIXES)('refuses the prefix %j in any case', (prefix) => {
    // Act, Assess
    expect(prefixProblem(prefix)).toMatch(/may not contain a partition segment/);
    expect(() =>
      resolveConfig({ ...base, env: { ANALYTICS_S3_BUCKET: 'my-lake', ANALYTICS_S3_PREFIX: prefix } }),
    ).toThrow(ConfigError);
  });

  it.each(['/data/year=1999/month=01/day=01', '/data/Year=1999/lake', '/srv/DAY=01'])(
    'refuses the lake directory %j (every event in it would read as that day)',
    (dir) => {
      // Act
      const start = () => createAnalytics({ ...base, env: { ANALYTICS_LAKE_DIR: dir } });
      // Assess
      expect(lakeDirProblem(dir)).toMatch(/partition-like segment/);
      expect(start).toThrow(ConfigError);
      expect(start).toThrow(/local\.dir: may not contain a partition-like segment/);
    },
  );

  it('accepts ordinary lake directories and prefixes', () => {
    // Act, Assess
    for (const dir of ['/data/lake', '/data/yearly=1/lake', '/data/my-year=x', '/data/day'])
      expect(lakeDirProblem(dir), dir).toBeUndefined();
    for (const prefix of ['team/', 'years/', 'a/dayz=1/'])
      expect(prefixProblem(prefix), prefix).toBeUndefined();
  });
});

describe('every CLI command that names a lake applies the rules', () => {
  const failure = (args: string[]) =>
    voicelake(args).then(
      () => expect.unreachable(`voicelake ${args.join(' ')} should fail`),
      (e: { code: number; stderr: string }) => e,
    );

  it.each([
    [['ls', '--bucket', 'vl..bucket']],
    [['query', '--bucket', 'vl..bucket', 'calls']],
    [['lifecycle', 'show', '--bucket', 'vl..bucket']],
    [['lifecycle', 'apply', '--bucket', 'vl..bucket', '--dry-run']],
    [['cache', 'clear', '--bucket', 'vl..bucket']],
    [['iam-policy', '--bucket', 'vl..bucket']],
    [['athena', 'ddl', '--bucket', 'vl..bucket']],
    [['trino', 'ddl', '--bucket', 'vl..bucket']],
  ])('voicelake %j refuses the bucket before any request', async (args) => {
    // Act
    const run = await failure(args);
    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('VL_ERR_CONFIG');
    expect(run.stderr).toContain('may not contain two adjacent periods');
  });

  it('refuses a partition-like prefix and a lake directory with a partition-like segment', async () => {
    // Prepare
    const lake = join(tempDir('vl-lake-names'), 'year=1999', 'month=01', 'day=01', 'lake');
    // Act
    const dir = await failure(['ls', '--data-dir', lake]);
    const localPrefix = await failure([
      'ls',
      '--data-dir',
      tempDir('vl-lake-names'),
      '--prefix',
      'Year=2020/',
    ]);
    const s3Prefix = await failure(['ls', '--bucket', 'my-lake', '--prefix', 'Year=2020/']);
    // Assess
    expect(dir.stderr).toContain(`VL_ERR_CONFIG: invalid --data-dir (or ANALYTICS_LAKE_DIR) "${lake}"`);
    expect(dir.stderr).toContain('may not contain a partition-like segment ("year=1999")');
    for (const run of [localPrefix, s3Prefix])
      expect(run.stderr).toContain(
        'VL_ERR_CONFIG: invalid --prefix "Year=2020/": may not contain a partition segment',
      );
  });
});
