/**
 * A LiveKit host: one process per call, 32 at once, on the default spool settings, with the
 * S3 link down. A quarter are SIGKILLed after their flush; the rest close with events still
 * undelivered. Then the link comes back and one more process starts: it adopts every
 * leftover spool, and every event lands in S3 exactly once.
 */
import { readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { LOCK_STALE_MS } from '../../packages/voicelake/src/spool/lock.js';
import { awsEnv, clients, createBucket, uniqueName } from '../helpers/aws.js';
import { voicelake } from '../helpers/cli.js';
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

  it('adopts the spool of a container gone from a shared volume once its heartbeat is stale, and only then', async () => {
    // Prepare: two containers (other hostnames) shared this state volume and were killed with
    // their events in the spool; one's lock was refreshed a minute ago, the other's long ago.
    const bucket = uniqueName('vl-hosts');
    await createBucket(s3, bucket);
    proxy.mode = 'refuse';
    const state = tempDir('vl-hosts-state');
    const env = {
      ...awsEnv(proxy.endpoint),
      ANALYTICS_S3_BUCKET: bucket,
      ANALYTICS_LOG_LEVEL: 'warn',
      XDG_STATE_HOME: state,
      VL_EVENTS: String(EVENTS),
    };
    const locks: string[] = [];
    const pids: number[] = [];
    const ages = [60_000, LOCK_STALE_MS + 60_000];
    for (let i = 0; i < 2; i++) {
      const run = startNode(call, { ...env, VL_MODE: 'kill' });
      await run.waitFor('FLUSHED ', 120_000);
      run.child.kill('SIGKILL');
      await run.exited;
      // Its lock, as a process in another container (pid 1 there) leaves it.
      const path = (readdirSync(state, { recursive: true }) as string[])
        .filter((f) => f.endsWith('/LOCK'))
        .map((f) => join(state, f))
        .find((f) => !locks.includes(f)) as string;
      const owner = JSON.parse(readFileSync(path, 'utf8'));
      locks.push(path);
      pids.push(owner.pid);
      writeFileSync(path, JSON.stringify({ ...owner, host: `container-${i}`, pid: 1 }));
      // Until its age is set below, the lock is another host's and fresh: the next producer leaves it.
    }
    locks.forEach((path, i) => {
      const at = new Date(Date.now() - (ages[i] as number));
      utimesSync(path, at, at);
    });
    // What `voicelake spool status` says of the two.
    const status = await voicelake(['spool', 'status'], { ...process.env, ...env });
    expect(status.stdout).toMatch(
      /owned by pid 1 on container-0 \(lock refreshed (6\d\.\d s|1\.\d min) ago\)/,
    );
    expect(status.stdout).toMatch(
      /left by pid 1 on container-1 \(lock refreshed 1[67]\.\d min ago\) \(no longer running: the next process adopts it\)/,
    );
    // Act: the link is back and a process starts in a new container.
    proxy.mode = 'forward';
    const last = startNode(call, { ...env, VL_MODE: 'close', VL_CLOSE_TIMEOUT_MS: '60000' });
    const exit = await last.exited;
    // Assess: the stale one is adopted and delivered; the fresh one is left to its owner.
    expect(exit.code, last.stderr).toBe(0);
    const result = resultOf<{ stats: { adoption: { adopted: number; completed: number } } }>(last.stdout);
    expect(result.stats.adoption).toMatchObject({ adopted: 1, completed: 1 });
    const lake = await readLake(s3, bucket);
    const perPid = new Map<number, number>();
    for (const l of lake) {
      const pid = JSON.parse(l.event.custom as string).pid as number;
      perPid.set(pid, (perPid.get(pid) ?? 0) + 1);
    }
    expect(perPid.get(pids[1] as number), 'the stale container: every event, once').toBe(EVENTS);
    expect(perPid.has(pids[0] as number), 'the live container: untouched').toBe(false);
    expect(lake.length).toBe(2 * EVENTS);
    expect(JSON.parse(readFileSync(locks[0] as string, 'utf8')).host).toBe('container-0');
  }, 300_000);
});
