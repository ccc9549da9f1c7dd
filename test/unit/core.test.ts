/**
 * Unit tests of the pure parts: normalization, CloudWatch batching, backoff and
 * classification, the lake layout, the error family and configuration.
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { ConfigError, ERROR_CLASSES, VoicelakeError } from '../../src/errors.js';
import { isoTime, normalizeEvent, REJECT_REASONS } from '../../src/event.js';
import { KEY_PATTERN, normalizePrefix, objectKey, partitionPath } from '../../src/lake/layout.js';
import { silentLogger } from '../../src/logger.js';
import {
  backoffMs,
  CONFIG_BACKOFF,
  classifyError,
  retryAfterMs,
  TRANSIENT_BACKOFF,
} from '../../src/retry.js';
import { batchForCloudWatch, CW_LIMITS, truncateLine } from '../../src/sinks/cloudwatch-batch.js';

const NOW = Date.UTC(2026, 10, 24, 12);
const MB = 1 << 20;

describe('normalizeEvent', () => {
  it('writes the envelope, typed columns and custom fields into one JSON line', () => {
    // Act
    const n = normalizeEvent(
      {
        type: 'llm_metrics',
        callId: 'c1',
        agentId: 'a1',
        time: NOW,
        data: { ttftMs: 240.5, promptTokens: 12.4, isFinal: true, foo: { x: 1 } },
      },
      MB,
      0,
    );
    // Assess
    if (!n.ok) throw new Error(n.message);
    const row = JSON.parse(n.record.line);
    expect(row).toEqual({
      event_id: n.eventId,
      event_type: 'llm_metrics',
      event_time: '2026-11-24T12:00:00.000Z',
      call_id: 'c1',
      agent_id: 'a1',
      schema_version: 1,
      ttft_ms: 240.5,
      prompt_tokens: 12,
      is_final: true,
      custom: '{"foo":{"x":1}}',
    });
    expect(n.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(n.record.bytes).toBe(Buffer.byteLength(n.record.line));
    expect(n.record.timeMs).toBe(NOW);
  });

  it('accepts a Date, epoch ms and an ISO string for the same time', () => {
    const lines = [new Date(NOW), NOW, new Date(NOW).toISOString()].map((time) => {
      const n = normalizeEvent({ type: 't', callId: 'c', time }, MB, 0);
      return n.ok ? JSON.parse(n.record.line).event_time : n.message;
    });
    expect(new Set(lines)).toEqual(new Set(['2026-11-24T12:00:00.000Z']));
  });

  it('escapes user strings so every line parses back to the same values', () => {
    const tricky = 'quote " backslash \\ newline \n tab \t emoji 🎙️ ctrl \u0001 sep \u2028';
    const n = normalizeEvent(
      { type: tricky, callId: tricky, agentId: tricky, data: { transcript: tricky } },
      MB,
      NOW,
    );
    if (!n.ok) throw new Error(n.message);
    const row = JSON.parse(n.record.line);
    expect([row.event_type, row.call_id, row.agent_id, row.transcript]).toEqual([
      tricky,
      tricky,
      tricky,
      tricky,
    ]);
  });

  const big = 'z'.repeat(5 * MB);
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  it.each([
    ['undefined', undefined, REJECT_REASONS.notAnObject],
    ['null', null, REJECT_REASONS.notAnObject],
    ['a string', 'hello', REJECT_REASONS.notAnObject],
    ['an array', [1], REJECT_REASONS.notAnObject],
    ['no type', { callId: 'c' }, REJECT_REASONS.invalidType],
    ['a long type', { type: 'x'.repeat(129), callId: 'c' }, REJECT_REASONS.invalidType],
    ['no callId', { type: 't' }, REJECT_REASONS.invalidCallId],
    ['an empty callId', { type: 't', callId: '' }, REJECT_REASONS.invalidCallId],
    ['a numeric agentId', { type: 't', callId: 'c', agentId: 5 }, REJECT_REASONS.invalidAgentId],
    ['a bad time', { type: 't', callId: 'c', time: 'yesterday' }, REJECT_REASONS.invalidTime],
    ['a time in 1990', { type: 't', callId: 'c', time: Date.UTC(1990, 0, 1) }, REJECT_REASONS.invalidTime],
    ['a time in 2200', { type: 't', callId: 'c', time: Date.UTC(2200, 0, 1) }, REJECT_REASONS.invalidTime],
    ['data as an array', { type: 't', callId: 'c', data: [1] }, REJECT_REASONS.invalidData],
    ['a string metric', { type: 't', callId: 'c', data: { ttftMs: 'fast' } }, REJECT_REASONS.invalidField],
    ['a numeric flag', { type: 't', callId: 'c', data: { isFinal: 1 } }, REJECT_REASONS.invalidField],
    [
      'an infinite metric',
      { type: 't', callId: 'c', data: { ttftMs: Number.POSITIVE_INFINITY } },
      REJECT_REASONS.invalidField,
    ],
    ['a circular object', { type: 't', callId: 'c', data: { circular } }, REJECT_REASONS.unserializable],
    ['a BigInt', { type: 't', callId: 'c', data: { n: 10n } }, REJECT_REASONS.unserializable],
    ['a 5 MB string', { type: 't', callId: 'c', data: { blob: big } }, REJECT_REASONS.tooLarge],
    [
      'a nested 2 MB value',
      { type: 't', callId: 'c', data: { nested: { blob: 'y'.repeat(2 * MB) } } },
      REJECT_REASONS.tooLarge,
    ],
  ])('rejects %s with a typed reason', (_label, input, reason) => {
    const n = normalizeEvent(input, MB, NOW);
    expect(n).toMatchObject({ ok: false, reason });
    expect(n.ok ? '' : n.message).not.toBe('');
  });
});

describe('isoTime', () => {
  it('matches Date#toISOString across day, month, leap-year and century edges', () => {
    const edges = [
      Date.UTC(2000, 0, 1),
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(2024, 2, 1),
      Date.UTC(2025, 11, 31, 23, 59, 59, 999),
      Date.UTC(2099, 11, 31, 12, 0, 0, 7),
    ];
    let seed = 1;
    for (let i = 0; i < 10_000; i++) {
      seed = (seed * 48271) % 2147483647;
      edges.push(Date.UTC(2000, 0, 1) + Math.floor((seed / 2147483647) * 3e12));
    }
    for (const ms of edges) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });
});

describe('batchForCloudWatch', () => {
  const record = (timeMs: number, size: number) => {
    const line = JSON.stringify({ event_id: `id-${timeMs}-${size}`, pad: 'p'.repeat(size) });
    return { line, bytes: Buffer.byteLength(line), timeMs };
  };

  it('splits into requests within every limit, sorted, without losing an event', () => {
    // Prepare: 30,000 events over 3 days, out of order, some large, a few too old or too new.
    let seed = 42;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const records = Array.from({ length: 30_000 }, () =>
      record(
        NOW - Math.floor(random() * 72 * 3_600_000),
        Math.floor(random() * (random() < 0.01 ? 300_000 : 400)),
      ),
    );
    records.push(record(NOW - 20 * 86_400_000, 10), record(NOW + 5 * 3_600_000, 10));
    // Act
    const b = batchForCloudWatch(records, { now: NOW });
    // Assess
    let total = 0;
    for (const batch of b.batches) {
      total += batch.length;
      expect(batch.length).toBeLessThanOrEqual(CW_LIMITS.maxBatchEvents);
      expect(batch.reduce((n, e) => n + e.bytes + 26, 0)).toBeLessThanOrEqual(CW_LIMITS.maxBatchBytes);
      for (let i = 1; i < batch.length; i++) {
        expect((batch[i] as { timestamp: number }).timestamp).toBeGreaterThanOrEqual(
          (batch[i - 1] as { timestamp: number }).timestamp,
        );
      }
      expect((batch.at(-1)?.timestamp ?? 0) - (batch[0]?.timestamp ?? 0)).toBeLessThan(CW_LIMITS.maxSpanMs);
      for (const e of batch) expect(e.bytes + 26).toBeLessThanOrEqual(CW_LIMITS.maxEventBytes);
    }
    expect(b.tooOld).toBe(1);
    expect(b.tooNew).toBe(1);
    expect(total + b.tooOld + b.tooNew).toBe(records.length);
    expect(b.truncated).toBeGreaterThan(0);
  });

  it('truncates an oversized line into a marked envelope that fits, even with multi-byte text', () => {
    const line = JSON.stringify({
      event_id: 'e1',
      event_type: 't',
      call_id: 'c',
      blob: '🎙️語'.repeat(200_000),
    });
    const out = truncateLine(line, Buffer.byteLength(line), 262_118);
    const parsed = JSON.parse(out);
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(262_118);
    expect(parsed).toMatchObject({
      event_id: 'e1',
      event_type: 't',
      truncated: true,
      original_bytes: Buffer.byteLength(line),
    });
  });
});

describe('backoff and classification', () => {
  it('is full jitter under a growing ceiling, capped, with Retry-After as a floor', () => {
    expect(backoffMs(0, TRANSIENT_BACKOFF, () => 1)).toBe(200);
    expect(backoffMs(3, TRANSIENT_BACKOFF, () => 1)).toBe(1600);
    expect(backoffMs(30, TRANSIENT_BACKOFF, () => 1)).toBe(TRANSIENT_BACKOFF.capMs);
    expect(backoffMs(5, TRANSIENT_BACKOFF, () => 0)).toBe(10);
    expect(backoffMs(0, TRANSIENT_BACKOFF, () => 0, 7000)).toBe(7000);
    expect(backoffMs(0, CONFIG_BACKOFF, () => 1)).toBe(CONFIG_BACKOFF.baseMs);
  });

  const aws = (name: string, status?: number) =>
    Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
  it.each([
    [aws('ThrottlingException', 400), 'transient'],
    [aws('SlowDown', 503), 'transient'],
    [aws('InternalError', 500), 'transient'],
    [aws('Whatever', 502), 'transient'],
    [Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }), 'transient'],
    [aws('TimeoutError'), 'transient'],
    [aws('NoSuchBucket', 404), 'config'],
    [aws('AccessDenied', 403), 'config'],
    [aws('Forbidden', 403), 'config'],
    [aws('CredentialsProviderError'), 'config'],
    [new Error('something odd'), 'transient'],
  ])('classifies %s as %s', (error, expected) => {
    expect(classifyError(error)).toBe(expected);
  });

  it('reads Retry-After in seconds', () => {
    expect(retryAfterMs({ $response: { headers: { 'retry-after': '3' } } })).toBe(3000);
    expect(retryAfterMs(new Error('x'))).toBe(0);
  });
});

describe('lake layout', () => {
  it.each([
    ['', ''],
    ['analytics', 'analytics/'],
    ['/analytics/', 'analytics/'],
    ['a/b//', 'a/b/'],
  ])('normalizes prefix %j to %j', (input, expected) => {
    expect(normalizePrefix(input)).toBe(expected);
  });

  it('partitions by UTC event date with zero padding, across a day boundary', () => {
    expect(partitionPath(Date.UTC(2025, 0, 1, 23, 59, 59, 999))).toBe('year=2025/month=01/day=01/');
    expect(partitionPath(Date.UTC(2025, 0, 2))).toBe('year=2025/month=01/day=02/');
    expect(partitionPath(Date.UTC(2025, 9, 29, 20))).toBe('year=2025/month=10/day=29/');
  });

  it('makes unique keys in the documented layout', () => {
    const keys = new Set(
      Array.from({ length: 10_000 }, () => objectKey('p/', 'year=2025/month=10/day=29/', NOW)),
    );
    expect(keys.size).toBe(10_000);
    for (const key of keys) expect(key).toMatch(KEY_PATTERN);
  });
});

describe('errors', () => {
  it.each(ERROR_CLASSES.map((C) => [C.name, C] as const))(
    '%s has a stable code, its name and a cause',
    (_n, C) => {
      const cause = new Error('root');
      const error = new (C as typeof ConfigError)('boom', { cause });
      expect(error).toBeInstanceOf(VoicelakeError);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe(C.name);
      expect(error.code).toMatch(/^VL_ERR/);
      expect(error.cause).toBe(cause);
    },
  );

  it('gives every class a different code', () => {
    const codes = ERROR_CLASSES.map((C) => new (C as typeof ConfigError)('x').code);
    expect(new Set(codes).size).toBe(codes.length);
  });
});

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

describe('docs/errors.md', () => {
  it('lists every error class with its code', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    for (const C of ERROR_CLASSES) {
      const code = new (C as typeof ConfigError)('x').code;
      expect(doc).toContain(`| \`${C.name}\` | \`${code}\` |`);
    }
  });
});
