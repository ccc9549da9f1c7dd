/**
 * A LiveKit host: one process per call, 32 at once, on the default spool settings, with the
 * S3 link down. A quarter are SIGKILLed after their flush; the rest close with events still
 * undelivered. Then the link comes back and one more process starts: it adopts every
 * leftover spool, and every event lands in S3 exactly once.
 */
import { resolve } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { awsEnv, clients, createBucket, uniqueName } from '../helpers/aws.js';
import { readLake } from '../helpers/lake.js';
import { resultOf, startNode } from '../helpers/process.js';
import { startProxy } from '../helpers/proxy.js';
import { tempDir } from '../helpers/tmp.js';

const endpoint = inject('motoEndpoint');
const { s3 } = clients(endpoint);
const call = resolve(import.meta.dirname, '../fixtures/call.mjs');
const PROCESSES = 32;
const EVENTS = 60;

describe(`a host with ${PROCESSES} concurrent call processes`, async () => {
  const proxy = await startProxy(endpoint);
  afterAll(() => proxy.close());

  it('keeps every process durable and delivers every event exactly once after kills and an outage', async () => {
    // Prepare: the link to S3 is down; every process uses the default (per-user) spool.
    const bucket = uniqueName('vl-fleet');
    await createBucket(s3, bucket);
    proxy.mode = 'refuse';
    const env = {
      ...awsEnv(proxy.endpoint),
      ANALYTICS_S3_BUCKET: bucket,
      ANALYTICS_LOG_LEVEL: 'warn',
      XDG_STATE_HOME: tempDir('vl-fleet-state'),
      VL_EVENTS: String(EVENTS),
      VL_CLOSE_TIMEOUT_MS: '1000',
    };
    // Act: 32 calls at once; every fourth process is SIGKILLed once its flush returned.
    const runs = Array.from({ length: PROCESSES }, (_, i) =>
      startNode(call, { ...env, VL_MODE: i % 4 === 0 ? 'kill' : 'close' }),
    );
    const modes = await Promise.all(
      runs.map(async (run, i) => {
        await run.waitFor('FLUSHED ', 120_000);
        const line = run.stdout.split('\n').find((l) => l.startsWith('FLUSHED ')) ?? '';
        const flushed = JSON.parse(line.slice('FLUSHED '.length)) as { spool: { mode: string } };
        if (i % 4 === 0) run.child.kill('SIGKILL');
        await run.exited;
        return flushed.spool.mode;
      }),
    );
    proxy.mode = 'forward';
    const last = startNode(call, { ...env, VL_MODE: 'close', VL_CLOSE_TIMEOUT_MS: '60000' });
    const exit = await last.exited;
    // Assess
    expect(exit.code, last.stderr).toBe(0);
    const result = resultOf<{ stats: { adoption: { adopted: number; completed: number; events: number } } }>(
      last.stdout,
    );
    expect(modes, 'every process kept a spool on disk (none fell back to memory)').toEqual(
      Array(PROCESSES).fill('disk'),
    );
    expect(result.stats.adoption, 'the last process adopted and finished every leftover spool').toMatchObject(
      {
        adopted: PROCESSES,
        completed: PROCESSES,
        events: PROCESSES * EVENTS,
      },
    );
    const lake = await readLake(s3, bucket);
    const ids = new Set(lake.map((l) => l.event.event_id));
    expect(ids.size, 'distinct event_id in S3 = events tracked').toBe((PROCESSES + 1) * EVENTS);
    expect(lake.length, 'no event stored twice').toBe(ids.size);
  }, 300_000);
});
