/**
 * Hostile or damaged state on disk, hostile input and hostile configuration (issue "Nothing
 * leaks and nothing escapes"): forged replay keys, a spool of other destinations, a corrupt
 * cursors file, a lock raced by two takers, lone surrogates, unsafe prefixes, encryption
 * headers. Each case fails on the code before the fix.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { resolveConfig } from '../../packages/voicelake/src/config/resolve.js';
import { normalizeEvent } from '../../packages/voicelake/src/event.js';
import { ConfigError, createAnalytics } from '../../packages/voicelake/src/index.js';
import { objectKey, partitionPath, writerIdOf } from '../../packages/voicelake/src/lake/layout.js';
import { silentLogger } from '../../packages/voicelake/src/logger.js';
import { identityKey } from '../../packages/voicelake/src/paths.js';
import { Spool } from '../../packages/voicelake/src/spool/spool.js';
import { clients, createBucket, listKeys, uniqueName } from '../helpers/aws.js';
import { readLake, readLocalLake } from '../helpers/lake.js';
import { resultOf, runNode, startNode } from '../helpers/process.js';
import { type InspectingProxy, startProxy } from '../helpers/proxy.js';
import { tempDir } from '../helpers/tmp.js';

const run = promisify(execFile);
const endpoint = inject('motoEndpoint');
const { s3 } = clients(endpoint);
const cli = resolve(import.meta.dirname, '../../packages/cli/bin/voicelake.js');
const racer = resolve(import.meta.dirname, '../fixtures/lock-racer.mjs');
const call = resolve(import.meta.dirname, '../fixtures/call.mjs');
const DAY = Date.UTC(2026, 10, 20, 12);

type Options = Parameters<typeof createAnalytics>[0] & object;

/** Leave `events` undelivered in an explicit spool for `options`, with a forged in-flight plan for `destination`. */
async function spoolWithForgedPlan(
  options: Options,
  destination: string,
  keys: unknown,
  events = 50,
): Promise<void> {
  const config = resolveConfig(options);
  const spool = Spool.open({
    ...(config.spool as NonNullable<typeof config.spool>),
    identity: identityKey(config.identity),
    logger: silentLogger,
  });
  spool.register(destination);
  for (let i = 0; i < events; i++) {
    const n = normalizeEvent({ type: 't', callId: 'c', time: DAY + i, data: { seq: i } }, 1 << 20, DAY);
    if (n.ok) spool.append(n.record);
  }
  await spool.beginBatch(destination, {
    start: 0,
    end: events,
    meta: { keys: { [partitionPath(DAY)]: keys } },
  });
  await spool.close();
}

/** A local lake and an explicit spool under `base`, nothing else. */
const localLake = (base: string): Options => ({
  s3: false,
  cloudWatch: false,
  local: { dir: join(base, 'lake') },
  spool: { dir: join(base, 'spool') },
  logger: silentLogger,
  env: {},
});

describe('replayed plans are validated before their keys are used', () => {
  it('a forged local-lake key is replaced: nothing is written outside the lake', async () => {
    // Prepare
    const base = tempDir('vl-forged');
    const options = localLake(base);
    const outside = join(base, 'x', 'written-outside-lake.json.gz');
    await spoolWithForgedPlan(options, 'local', ['../x/written-outside-lake.json.gz']);
    // Act
    const analytics = createAnalytics(options);
    await analytics.close({ timeoutMs: 10_000 });
    // Assess
    expect(existsSync(outside), 'the forged key was not written').toBe(false);
    expect(readdirSync(base).sort(), 'nothing beside the lake and the spool').toEqual(['lake', 'spool']);
    expect(
      readLocalLake(join(base, 'lake')).map((l) => l.event.custom),
      'every event in the lake, once',
    ).toHaveLength(50);
    expect(analytics.stats().destinations.local?.replayRejected).toBe(1);
  });

  it('a forged S3 key is replaced: nothing lands outside the prefix', async () => {
    // Prepare
    const bucket = uniqueName('vl-forged');
    await createBucket(s3, bucket);
    const options: Options = {
      s3: { bucket, prefix: 'team-a/' },
      cloudWatch: false,
      local: false,
      aws: { endpoint },
      spool: { dir: tempDir('vl-forged-spool') },
      logger: silentLogger,
      env: {},
    };
    await spoolWithForgedPlan(options, 's3', ['other-team/config/app.json']);
    // Act
    const analytics = createAnalytics(options);
    await analytics.close({ timeoutMs: 20_000 });
    // Assess
    const keys = await listKeys(s3, bucket);
    expect(
      keys.filter((k) => !k.startsWith(`team-a/${partitionPath(DAY)}analytics-`)),
      'keys outside the layout',
    ).toEqual([]);
    expect((await readLake(s3, bucket)).length).toBe(50);
    expect(analytics.stats().destinations.s3?.replayRejected).toBe(1);
  });
});

describe("a replayed plan's keys are its own writer's", () => {
  it("a forged in-flight key naming another writer's existing object is refused: that object keeps its events", async () => {
    // Prepare: another process (its own spool) wrote an object into the same lake and prefix.
    const base = tempDir('vl-forged-writer');
    const lake = join(base, 'lake');
    const other = createAnalytics({
      s3: false,
      cloudWatch: false,
      local: { dir: lake },
      spool: { dir: join(base, 'other-spool') },
      logger: silentLogger,
      env: {},
    });
    for (let i = 0; i < 20; i++) other.track({ type: 'other', callId: 'o', time: DAY + i });
    await other.close({ timeoutMs: 10_000 });
    const [victimKey] = readdirSync(join(lake, partitionPath(DAY)));
    expect(victimKey, "the other writer's object").toBeDefined();
    const before = readFileSync(join(lake, partitionPath(DAY), victimKey as string));
    // A spool (same user, same lake) whose in-flight plan names that object.
    const options = localLake(base);
    await spoolWithForgedPlan(options, 'local', [`${partitionPath(DAY)}${victimKey}`]);

    // Act
    const analytics = createAnalytics(options);
    await analytics.close({ timeoutMs: 10_000 });

    // Assess
    expect(
      readFileSync(join(lake, partitionPath(DAY), victimKey as string)),
      'the object is untouched',
    ).toEqual(before);
    const lines = readLocalLake(lake);
    expect(
      lines.filter((l) => l.event.event_type === 'other'),
      "the other writer's events",
    ).toHaveLength(20);
    expect(
      lines.filter((l) => l.event.event_type === 't'),
      'the replayed events, once',
    ).toHaveLength(50);
    expect(analytics.stats().destinations.local?.replayRejected).toBe(1);
  });

  it('a crash replay still reuses its own keys: the same object is rewritten, nothing doubled', async () => {
    // Prepare: a plan with a key this spool's writer made.
    const base = tempDir('vl-own-writer');
    const options = localLake(base);
    mkdirSync(join(base, 'spool'), { recursive: true, mode: 0o700 });
    const st = statSync(join(base, 'spool'));
    const own = objectKey('', partitionPath(DAY), DAY, writerIdOf(st.dev, st.ino));
    await spoolWithForgedPlan(options, 'local', [own]);

    // Act
    const analytics = createAnalytics(options);
    await analytics.close({ timeoutMs: 10_000 });

    // Assess
    expect(readdirSync(join(base, 'lake', partitionPath(DAY)))).toEqual([
      own.slice(partitionPath(DAY).length),
    ]);
    expect(readLocalLake(join(base, 'lake'))).toHaveLength(50);
    expect(analytics.stats().destinations.local?.replayRejected).toBe(0);
  });
});

describe('a spool belongs to its destinations', () => {
  it("app B never delivers app A's backlog; A's next process does", async () => {
    // Prepare: app A is killed with events in its default spool (its lake's year directory is blocked by a file).
    const state = tempDir('vl-apps-state');
    const base = tempDir('vl-apps');
    const lakeA = join(base, 'lake-a');
    mkdirSync(lakeA, { mode: 0o700 });
    const blocked = join(lakeA, partitionPath(Date.now()).split('/')[0] as string);
    writeFileSync(blocked, 'not a directory');
    const env = { XDG_STATE_HOME: state, ANALYTICS_LOG_LEVEL: 'error', VL_EVENTS: '30' };
    const a = startNode(call, { ...env, ANALYTICS_LAKE_DIR: lakeA, VL_MODE: 'kill' });
    // Flushed: its events are fsynced in its spool (the lake refuses them), nothing to wait for.
    await a.waitFor('FLUSHED');
    a.child.kill('SIGKILL');
    await a.exited;
    // Act: app B, other destinations, same user and state directory.
    const b = await runNode(call, { ...env, ANALYTICS_LAKE_DIR: join(base, 'lake-b') });
    const bStats = resultOf<{ stats: { adoption?: { adopted: number } } }>(b.stdout).stats;
    const { rmSync } = await import('node:fs');
    rmSync(blocked);
    const a2 = await runNode(call, { ...env, ANALYTICS_LAKE_DIR: lakeA });
    // Assess
    const pidsB = new Set(
      readLocalLake(join(base, 'lake-b')).map((l) => JSON.parse(l.event.custom as string).pid),
    );
    expect(pidsB, "B's lake holds B's events only").toEqual(
      new Set([b.stdout && pidsB.values().next().value]),
    );
    expect(pidsB.has(a.child.pid), "A's events are not in B's lake").toBe(false);
    expect(bStats.adoption?.adopted ?? 0, 'B adopted nothing').toBe(0);
    const inA = readLocalLake(lakeA);
    expect(
      inA.filter((l) => JSON.parse(l.event.custom as string).pid === a.child.pid),
      "A's first run delivered by A's next process",
    ).toHaveLength(30);
    expect(inA, 'both runs of A, once each').toHaveLength(60);
    expect(a2.code).toBe(0);
  });

  it('an explicit spool directory recorded for other destinations is refused with a SpoolError', async () => {
    const dir = tempDir('vl-ident');
    const a: Options = {
      s3: false,
      cloudWatch: false,
      local: { dir: tempDir('vl-ident-a') },
      spool: { dir },
      logger: silentLogger,
      env: {},
    };
    await createAnalytics(a).close();
    const b = { ...a, local: { dir: tempDir('vl-ident-b') } };
    expect(() => createAnalytics(b)).toThrow(/holds events for other destinations/);
  });
});

describe('the spool lock', () => {
  it('two processes racing to take over a dead owner never both win (30 rounds)', async () => {
    for (let round = 0; round < 30; round++) {
      // Prepare: a dead owner's lock.
      const dir = tempDir('vl-race');
      writeFileSync(
        join(dir, 'LOCK'),
        JSON.stringify({ pid: 999_999, host: 'x', bootId: '', startTime: '', token: 'dead' }).replace(
          '"x"',
          JSON.stringify((await import('node:os')).hostname()),
        ),
      );
      const at = String(Date.now() + 400);
      // Act
      const results = await Promise.all([0, 1, 2].map(() => runNode(racer, { VL_DIR: dir, VL_AT: at })));
      // Assess
      const won = results.filter((r) => r.stdout.includes('WON')).length;
      const busy = results.filter((r) => r.stdout.includes('BUSY')).length;
      expect({ round, won, busy }, results.map((r) => r.stderr).join('\n')).toEqual({
        round,
        won: 1,
        busy: 2,
      });
    }
  }, 180_000);
});

describe('hostile strings', () => {
  it('a lone surrogate is stored well-formed: DuckDB reads the whole lake', async () => {
    // Prepare
    const lake = tempDir('vl-surrogate');
    const analytics = createAnalytics({
      s3: false,
      cloudWatch: false,
      local: { dir: lake },
      spool: false,
      logger: silentLogger,
      env: {},
    });
    // Act
    analytics.track({
      type: 'agent_turn',
      callId: 'c1',
      data: { text: 'Sure! 👍'.slice(0, 7), note: 'x\ud800y', 'k\udfff': 1 },
    });
    analytics.track({ type: 'agent_turn', callId: 'c2', data: { text: 'fine 👍' } });
    await analytics.close();
    const { stdout } = await run(process.execPath, [
      cli,
      'query',
      '--data-dir',
      lake,
      '--json',
      '--sql',
      'SELECT call_id, text, custom FROM events ORDER BY call_id',
    ]);
    // Assess
    const rows = JSON.parse(stdout) as { call_id: string; text: string; custom: string | null }[];
    expect(rows.map((r) => r.text)).toEqual(['Sure! \ufffd', 'fine 👍']);
    expect(JSON.parse(rows[0]?.custom as string)).toEqual({ note: 'x\ufffdy', 'k\ufffd': 1 });
  });

  it.each([
    ['../../escaped', /may not contain a "\.\." segment/],
    ['/abs', /may not start with \//],
    ['year=1999/month=01/day=01', /partition segment/],
    ['a\nb', /control characters/],
  ])('prefix %j is a ConfigError for S3 and the local lake', (prefix, message) => {
    expect(() => resolveConfig({ s3: { bucket: 'b-1', prefix }, logger: silentLogger, env: {} })).toThrow(
      message,
    );
    expect(() => resolveConfig({ local: { prefix }, logger: silentLogger, env: {} })).toThrow(ConfigError);
  });
});

describe('encryption and ownership from the environment', () => {
  let proxy: InspectingProxy;
  beforeAll(async () => {
    proxy = await startProxy(endpoint);
  });
  afterAll(() => proxy.close());

  it('SSE-KMS with its key and ExpectedBucketOwner are on every PutObject moto receives', async () => {
    // Prepare
    const bucket = uniqueName('vl-sse');
    await createBucket(s3, bucket);
    const env = {
      ANALYTICS_S3_BUCKET: bucket,
      ANALYTICS_S3_SSE: 'aws:kms',
      ANALYTICS_S3_KMS_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      ANALYTICS_S3_EXPECTED_OWNER: '123456789012',
      AWS_ENDPOINT_URL: proxy.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    };
    // Act
    const analytics = createAnalytics({ logger: silentLogger, spool: false, env });
    for (let i = 0; i < 10; i++) analytics.track({ type: 't', callId: 'c', data: { seq: i } });
    await analytics.close({ timeoutMs: 20_000 });
    // Assess
    const puts = proxy.requests.filter(
      (r) => r.method === 'PUT' && r.path.includes(bucket) && r.path.includes('analytics-'),
    );
    expect(puts.length, 'PutObject requests').toBeGreaterThan(0);
    for (const p of puts) {
      expect(p.headers['x-amz-server-side-encryption']).toBe('aws:kms');
      expect(p.headers['x-amz-server-side-encryption-aws-kms-key-id']).toBe(env.ANALYTICS_S3_KMS_KEY_ID);
      expect(p.headers['x-amz-expected-bucket-owner']).toBe('123456789012');
    }
  });

  it('a KMS key with AES256 is a ConfigError, not a retry forever', () => {
    expect(() =>
      resolveConfig({
        logger: silentLogger,
        env: { ANALYTICS_S3_BUCKET: 'b-1', ANALYTICS_S3_SSE: 'AES256', ANALYTICS_S3_KMS_KEY_ID: 'k' },
      }),
    ).toThrow(/a KMS key needs serverSideEncryption aws:kms/);
  });

  it('a log group voicelake creates gets its retention and KMS key', () => {
    const c = resolveConfig({
      logger: silentLogger,
      env: {
        ANALYTICS_LOG_GROUP: 'g',
        ANALYTICS_LOG_RETENTION_DAYS: '14',
        ANALYTICS_LOG_KMS_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/k',
      },
    });
    expect(c.cloudWatch).toMatchObject({
      retentionDays: 14,
      kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k',
    });
    expect(
      resolveConfig({ logger: silentLogger, env: { ANALYTICS_LOG_GROUP: 'g' } }).cloudWatch?.retentionDays,
    ).toBe(30);
    expect(() =>
      resolveConfig({
        logger: silentLogger,
        env: { ANALYTICS_LOG_GROUP: 'g', ANALYTICS_LOG_RETENTION_DAYS: '13' },
      }),
    ).toThrow(/retentionDays/);
  });
});
