/** resolveConfig: precedence, defaults, validation. */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../packages/voicelake/src/config/resolve.js';
import { ConfigError } from '../../packages/voicelake/src/errors.js';
import { silentLogger } from '../../packages/voicelake/src/logger.js';

describe('resolveConfig', () => {
  const base = { logger: silentLogger, spool: false as const };

  it('uses the local lake only when no AWS destination is configured', () => {
    expect(resolveConfig({ ...base, env: {} }).local?.dir).toMatch(/voicelake-data$/);
    const aws = resolveConfig({
      ...base,
      env: { ANALYTICS_S3_BUCKET: 'my-bucket', ANALYTICS_LOG_GROUP: '/g' },
    });
    expect(aws.local).toBeUndefined();
    expect(aws.s3?.bucket).toBe('my-bucket');
    expect(aws.cloudWatch?.logGroup).toBe('/g');
    expect(
      resolveConfig({ ...base, env: { ANALYTICS_S3_BUCKET: 'my-bucket', ANALYTICS_LAKE_DIR: '/tmp/x' } })
        .local?.dir,
    ).toBe('/tmp/x');
  });

  it('prefers options over the environment over defaults', () => {
    const c = resolveConfig({
      ...base,
      s3: { bucket: 'from-option', prefix: 'opt' },
      env: {
        ANALYTICS_S3_BUCKET: 'from-env',
        ANALYTICS_S3_PREFIX: 'env',
        ANALYTICS_LOG_STREAM: 's1',
        ANALYTICS_LOG_GROUP: 'g',
      },
    });
    expect(c.s3).toMatchObject({ bucket: 'from-option', prefix: 'opt/', intervalMs: 30_000 });
    expect(c.cloudWatch).toMatchObject({ logStream: 's1', intervalMs: 1000 });
    expect(
      resolveConfig({ ...base, env: { ANALYTICS_S3_BUCKET: 'b-1', ANALYTICS_S3_PREFIX: 'env' } }).s3?.prefix,
    ).toBe('env/');
    expect(resolveConfig({ ...base, s3: false, env: { ANALYTICS_S3_BUCKET: 'b-1' } }).s3).toBeUndefined();
  });

  it('names every invalid field in one ConfigError', () => {
    const attempt = () => resolveConfig({ ...base, s3: { bucket: 'Bad_Bucket', gzipLevel: 12 }, env: {} });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/s3\.bucket.*s3\.gzipLevel|s3\.gzipLevel.*s3\.bucket/);
  });

  it('is frozen, and the default log stream is one per process with no : or *', () => {
    const c = resolveConfig({ ...base, env: { ANALYTICS_LOG_GROUP: 'g' } });
    expect(Object.isFrozen(c)).toBe(true);
    expect(c.cloudWatch?.logStream).toMatch(new RegExp(`-${process.pid}-`));
    expect(c.cloudWatch?.logStream).not.toMatch(/[:*]/);
  });
});

describe('the default logger', () => {
  it('takes its level from the env option, treats an empty ANALYTICS_LOG_LEVEL as unset, and refuses an unknown one', () => {
    // Act
    const silent = resolveConfig({ env: { ANALYTICS_LOG_LEVEL: 'silent' } }).logger as { level?: string };
    const unset = resolveConfig({ env: { ANALYTICS_LOG_LEVEL: '' } }).logger as { level?: string };
    // Assess
    expect(silent.level).toBe('silent');
    expect(unset.level).toBe('info');
    expect(() => resolveConfig({ env: { ANALYTICS_LOG_LEVEL: 'loud' } })).toThrow(ConfigError);
    expect(() => resolveConfig({ env: { ANALYTICS_LOG_LEVEL: 'loud' } })).toThrow(/invalid log level "loud"/);
  });

  it('refuses a log group name CloudWatch would refuse, at start, not at the first send', () => {
    // Act
    const attempt = (logGroup: string) => () => resolveConfig({ env: { ANALYTICS_LOG_GROUP: logGroup } });
    // Assess
    expect(attempt('/voicelake/my app')).toThrow(ConfigError);
    expect(attempt('/voicelake/my app')).toThrow(/cloudWatch\.logGroup.*a-z, A-Z, 0-9 and \. - _ \/ #/);
    expect(attempt('/aws/voicelake/prod_#1.x-y')).not.toThrow();
  });
});
