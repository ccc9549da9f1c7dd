/**
 * The Trino engine's configuration and transport errors, without a server: what a user sees
 * when the server is missing, malformed or unreachable (the real server is tested in
 * test/e2e/trino.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, QueryError } from 'voicelake';
import { TrinoEngine, trinoValue } from '../../packages/cli/src/lake/trino.js';
import { freePort } from '../helpers/net.js';

describe('TrinoEngine', () => {
  it('refuses a missing server, a URL that is not http(s), and a catalog or schema that is not an identifier', () => {
    const saved = process.env.ANALYTICS_TRINO_SERVER;
    delete process.env.ANALYTICS_TRINO_SERVER;
    try {
      expect(() => new TrinoEngine()).toThrow(ConfigError);
      expect(() => new TrinoEngine()).toThrow(/no Trino server: pass --server/);
    } finally {
      if (saved !== undefined) process.env.ANALYTICS_TRINO_SERVER = saved;
    }
    expect(() => new TrinoEngine({ server: 'ftp://x' })).toThrow(/must be an http:\/\/ or https:\/\/ URL/);
    expect(() => new TrinoEngine({ server: 'not a url' })).toThrow(ConfigError);
    expect(() => new TrinoEngine({ server: 'http://h:8080', catalog: 'a;b' })).toThrow(/invalid --catalog/);
    expect(() => new TrinoEngine({ server: 'http://h:8080', schema: 'x y' })).toThrow(/invalid --schema/);
  });

  it('says which server it could not reach, as a QueryError', async () => {
    // Prepare: a loopback port nothing listens on
    const port = await freePort();
    const engine = new TrinoEngine({ server: `http://127.0.0.1:${port}`, user: 'test' });
    // Act
    const failure = await engine.query('SELECT 1').catch((e: unknown) => e);
    // Assess
    expect(failure).toBeInstanceOf(QueryError);
    expect((failure as Error).message).toMatch(
      new RegExp(`^cannot run the query on Trino at http://127\\.0\\.0\\.1:${port}: ECONNREFUSED`),
    );
  });

  it('types decimals as numbers, keeps other values as Trino encodes them', () => {
    expect(trinoValue('12.50', 'decimal(10,2)')).toBe(12.5);
    expect(trinoValue('NaN', 'double')).toBeNaN();
    expect(trinoValue('2026-12-07', 'varchar')).toBe('2026-12-07');
    expect(trinoValue(55, 'bigint')).toBe(55);
    expect(trinoValue(null, 'bigint')).toBeNull();
  });
});
