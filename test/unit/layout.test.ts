/** The lake layout: partitions by UTC event date, keys, prefix validation. */
import { describe, expect, it } from 'vitest';
import {
  isLayoutKey,
  KEY_PATTERN,
  objectKey,
  partitionPath,
  prefixProblem,
  writerIdOf,
} from '../../packages/voicelake/src/lake/layout.js';

const NOW = Date.UTC(2026, 10, 24, 12);

describe('lake layout', () => {
  it.each([
    ['', undefined],
    ['analytics/', undefined],
    ['team-a/voice/', undefined],
    ['../../escaped', 'may not contain a ".." segment'],
    ['a/../b/', 'may not contain a ".." segment'],
    ['/abs/', 'may not start with /'],
    ['a\u0000b/', 'may not contain control characters'],
    ['a//b/', 'may not contain an empty segment (//)'],
    ['year=1999/month=01/day=01', 'may not contain a partition segment ("year=1999")'],
    ['x/day=01/', 'may not contain a partition segment ("day=01")'],
  ])('judges prefix %j: %s', (prefix, problem) => {
    expect(prefixProblem(prefix), `prefix ${JSON.stringify(prefix)}`).toBe(problem);
  });

  it('accepts only layout keys of the records own partition as replayed keys', () => {
    const p = 'year=2025/month=10/day=29/';
    const good = objectKey('team/', p, NOW);
    expect(isLayoutKey(good, 'team/', p)).toBe(true);
    expect(isLayoutKey(good, 'other/', p)).toBe(false);
    expect(isLayoutKey(good, 'team/', 'year=2025/month=10/day=30/')).toBe(false);
    expect(isLayoutKey('../../../../tmp/x/written-outside-lake.json.gz', 'team/', p)).toBe(false);
    expect(isLayoutKey('other-team/config/app.json', '', p)).toBe(false);
    expect(
      isLayoutKey(`team/${p}analytics-20251029T000000000Z-0123456789ab.json.gz/../../x`, 'team/', p),
    ).toBe(false);
    expect(isLayoutKey(42, 'team/', p)).toBe(false);
  });

  it("a writer's keys carry its id, and only its own keys pass as its replayed keys", () => {
    // Prepare
    const p = 'year=2025/month=10/day=29/';
    const writer = writerIdOf(2049, 1234567);
    // Act
    const key = objectKey('team/', p, NOW, writer);
    // Assess
    expect(writer).toMatch(/^[0-9a-f]{6}$/);
    expect(writerIdOf(2049, 1234567), 'the same directory, the same writer').toBe(writer);
    expect(writerIdOf(2049, 1234568)).not.toBe(writer);
    expect(key).toMatch(KEY_PATTERN);
    expect(key.slice(`team/${p}analytics-20251029T000000000Z-`.length, -'.json.gz'.length)).toMatch(
      new RegExp(`^${writer}[0-9a-f]{6}$`),
    );
    expect(isLayoutKey(key, 'team/', p, writer)).toBe(true);
    expect(isLayoutKey(key, 'team/', p, writerIdOf(2049, 1))).toBe(false);
    expect(isLayoutKey(objectKey('team/', p, NOW), 'team/', p, writer), 'another writer').toBe(false);
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
