/** Backoff and error classification (pure functions). */
import { describe, expect, it } from 'vitest';
import {
  backoffMs,
  CONFIG_BACKOFF,
  classifyError,
  FAILURE_CLASSES,
  MAX_RETRY_AFTER_MS,
  retryAfterMs,
  TRANSIENT_BACKOFF,
} from '../../packages/voicelake/src/retry.js';

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
    [aws('InvalidParameterException', 400), FAILURE_CLASSES.invalid],
    [aws('InvalidArgument', 400), FAILURE_CLASSES.invalid],
    [new Error('something odd'), 'transient'],
  ])('classifies %s as %s', (error, expected) => {
    expect(classifyError(error)).toBe(expected);
  });

  it('reads Retry-After in seconds or as a date, and caps it', () => {
    const header = (value: string) => retryAfterMs({ $response: { headers: { 'retry-after': value } } });
    expect(header('3')).toBe(3000);
    expect(retryAfterMs(new Error('x'))).toBe(0);
    expect(header(new Date(Date.now() + 60_000).toUTCString())).toBeGreaterThan(55_000);
    expect(header('-5')).toBe(0);
    expect(header('soon')).toBe(0);
    // A day (or a date years away) would stall the destination, or overflow the timer.
    expect(header('86400')).toBe(MAX_RETRY_AFTER_MS);
    expect(header('Fri, 01 Jan 2100 00:00:00 GMT')).toBe(MAX_RETRY_AFTER_MS);
  });
});
