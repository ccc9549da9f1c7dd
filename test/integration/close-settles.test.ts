/**
 * `close()` always settles (issue 22): a process that adopts a leftover spool whose S3 bucket
 * does not exist (CloudWatch working) still returns from `close()` within its bound, exits 0,
 * prints its stats, and reports what it leaves undelivered, the adopted spool's events too.
 */
import { resolve } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { awsEnv, uniqueName } from '../helpers/aws.js';
import { resultOf, runNode } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';

const endpoint = inject('motoEndpoint');
const producer = resolve(import.meta.dirname, '../fixtures/producer.mjs');

interface ProducerResult {
  close: { timedOut: boolean; undelivered: Record<string, number>; adopted?: Record<string, number> };
  closeMs: number;
  stats: { adoption?: { adopted: number; completed: number; events: number } };
}

describe('close() after an adoption', () => {
  it('settles within timeoutMs + 1 s when the adopted spool cannot reach its bucket, twice in a row', async () => {
    // Prepare: a default (per-user) spool; the bucket does not exist, CloudWatch works.
    const env = {
      ...awsEnv(endpoint),
      XDG_STATE_HOME: tempDir('vl-close-state'),
      ANALYTICS_S3_BUCKET: uniqueName('vl-does-not-exist'),
      ANALYTICS_LOG_GROUP: uniqueName('/voicelake/close-settles'),
      ANALYTICS_LOG_LEVEL: 'warn',
      VL_EVENTS: '200',
      VL_CLOSE_TIMEOUT_MS: '2000',
    };
    const first = await runNode(producer, env);
    expect(first.code, first.stderr).toBe(0);
    // Act: the next runs adopt what the previous ones left.
    const second = await runNode(producer, env);
    const third = await runNode(producer, env);
    // Assess
    for (const run of [second, third]) {
      expect(run.code, run.stderr).toBe(0);
      const result = resultOf<ProducerResult>(run.stdout);
      expect(result.closeMs).toBeLessThan(2000 + 1000);
      expect(result.stats.adoption?.adopted).toBeGreaterThanOrEqual(1);
      expect(result.close.undelivered.s3).toBe(200);
    }
    // What the adopted spools still hold is reported too: 200 left by the first run, 400 by two.
    expect(resultOf<ProducerResult>(second.stdout).close.adopted?.s3).toBe(200);
    expect(resultOf<ProducerResult>(third.stdout).close.adopted?.s3).toBe(400);
  });
});
