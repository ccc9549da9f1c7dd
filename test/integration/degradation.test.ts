/**
 * Graceful degradation, as the seed describes it, in real processes: S3 missing or broken
 * never costs CloudWatch an event, never hangs shutdown, never crashes the process.
 */
import { resolve } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { awsEnv, clients, readLogGroup, uniqueName } from '../helpers/aws.js';
import { freePort } from '../helpers/net.js';
import { logMessages, resultOf, runNode } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';

const endpoint = inject('motoEndpoint');
const { logs } = clients(endpoint);
const producer = resolve(import.meta.dirname, '../fixtures/producer.mjs');
const WARN = 40;

interface ProducerResult {
  close: { timedOut: boolean; undelivered: Record<string, number> };
  closeMs: number;
  stats: { destinations: Record<string, { delivered: number; lastError?: string; state: string }> };
}

describe('graceful degradation', () => {
  it('ANALYTICS_S3_BUCKET unset: logs "S3 analytics disabled", CloudWatch gets every event', async () => {
    // Prepare
    const logGroup = uniqueName('/voicelake/no-bucket');
    // Act
    const run = await runNode(producer, {
      ANALYTICS_SPOOL_DIR: tempDir('vl-spool'),
      ...awsEnv(endpoint),
      ANALYTICS_LOG_GROUP: logGroup,
      VL_EVENTS: '700',
    });
    // Assess
    expect(run.code).toBe(0);
    const messages = logMessages(run.stderr).map((m) => m.msg);
    expect(messages).toContain('S3 analytics disabled');
    expect(messages).toContain('Analytics written to CloudWatch');
    const result = resultOf<ProducerResult>(run.stdout);
    expect(Object.keys(result.stats.destinations)).toEqual(['cloudwatch']);
    expect(await readLogGroup(logs, logGroup)).toHaveLength(700);
  });

  it('a bucket that does not exist: a clear warning, CloudWatch complete, bounded close, exit 0', async () => {
    // Prepare
    const logGroup = uniqueName('/voicelake/missing-bucket');
    // Act
    const run = await runNode(producer, {
      ANALYTICS_SPOOL_DIR: tempDir('vl-spool'),
      ...awsEnv(endpoint),
      ANALYTICS_S3_BUCKET: uniqueName('vl-does-not-exist'),
      ANALYTICS_LOG_GROUP: logGroup,
      VL_EVENTS: '500',
      VL_CLOSE_TIMEOUT_MS: '3000',
    });
    // Assess
    expect(run.code).toBe(0);
    const warnings = logMessages(run.stderr).filter((m) => m.level >= WARN);
    expect(warnings.some((w) => /s3 .*NoSuchBucket/.test(w.msg))).toBe(true);
    const result = resultOf<ProducerResult>(run.stdout);
    expect(result.closeMs).toBeLessThan(3000 + 1000);
    expect(result.stats.destinations.cloudwatch?.delivered).toBe(500);
    expect(result.stats.destinations.s3?.delivered).toBe(0);
    expect(result.close.undelivered.s3).toBe(500);
    expect(await readLogGroup(logs, logGroup)).toHaveLength(500);
  });

  it('an S3 endpoint that refuses connections: a clear warning, CloudWatch complete, bounded close, exit 0', async () => {
    // Prepare: nothing listens on this port.
    const logGroup = uniqueName('/voicelake/refused');
    const closedPort = await freePort();
    // Act
    const run = await runNode(producer, {
      ANALYTICS_SPOOL_DIR: tempDir('vl-spool'),
      ...awsEnv(endpoint),
      AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${closedPort}`,
      ANALYTICS_S3_BUCKET: 'vl-refused',
      ANALYTICS_LOG_GROUP: logGroup,
      VL_EVENTS: '500',
      VL_CLOSE_TIMEOUT_MS: '2000',
    });
    // Assess
    expect(run.code).toBe(0);
    const warnings = logMessages(run.stderr).filter((m) => m.level >= WARN);
    expect(warnings.some((w) => /s3 delivery failed.*ECONNREFUSED/.test(w.msg))).toBe(true);
    const result = resultOf<ProducerResult>(run.stdout);
    expect(result.closeMs).toBeLessThan(2000 + 1000);
    expect(result.stats.destinations.cloudwatch?.delivered).toBe(500);
    expect(await readLogGroup(logs, logGroup)).toHaveLength(500);
  });
});
