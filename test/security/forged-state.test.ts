/**
 * Forged or damaged spool state read back at open (issue 21, items 5-7): a backlog whose
 * cursors.json names no destinations is no one's, and a lock naming no start time is no live
 * process's. Each case fails on the code before.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../packages/voicelake/src/config/resolve.js';
import { normalizeEvent } from '../../packages/voicelake/src/event.js';
import { createAnalytics } from '../../packages/voicelake/src/index.js';
import { silentLogger } from '../../packages/voicelake/src/logger.js';
import { identityKey } from '../../packages/voicelake/src/paths.js';
import { Spool } from '../../packages/voicelake/src/spool/spool.js';
import { spoolStatus } from '../../packages/voicelake/src/spool/status.js';
import { readLocalLake } from '../helpers/lake.js';
import { tempDir } from '../helpers/tmp.js';

type Options = Parameters<typeof createAnalytics>[0] & object;

/** An application writing to its own local lake through the explicit spool `spool`. */
const app = (spool: string, lake = tempDir('vl-forged-lake')): Options => ({
  s3: false,
  cloudWatch: false,
  local: { dir: lake },
  spool: { dir: spool },
  logger: silentLogger,
  env: {},
});

/** Leave `events` undelivered to the local lake in the spool of `options`. */
async function leaveBacklog(options: Options, events: number): Promise<void> {
  const config = resolveConfig(options);
  const spool = Spool.open({
    ...(config.spool as NonNullable<typeof config.spool>),
    identity: identityKey(config.identity),
    logger: silentLogger,
  });
  spool.register('local');
  for (let i = 0; i < events; i++) {
    const n = normalizeEvent({ type: 't', callId: 'c', data: { seq: i } }, 1 << 20, Date.now());
    if (n.ok) spool.append(n.record);
  }
  await spool.close();
}

describe("a backlog whose cursors.json names no destinations is no one's (item 6)", () => {
  const damage = {
    'without an identity': (file: string) => {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { identity?: string };
      delete parsed.identity;
      writeFileSync(file, JSON.stringify(parsed));
    },
    corrupt: (file: string) => writeFileSync(file, '{"version":1,"identity":"'),
    missing: (file: string) => rmSync(file),
  };
  for (const [how, spoil] of Object.entries(damage)) {
    it(`${how}: app B never delivers app A's backlog, and spool status says why`, async () => {
      // Prepare: app A leaves 30 events; its cursors.json is then spoiled.
      const spool = tempDir('vl-no-identity');
      const a = app(spool);
      await leaveBacklog(a, 30);
      spoil(join(spool, 'cursors.json'));
      const b = app(spool);
      // Act
      const open = () => createAnalytics(b);
      // Assess
      expect(open).toThrow(
        expect.objectContaining({
          code: 'VL_ERR_SPOOL',
          message: expect.stringMatching(
            new RegExp(
              `^spool directory ${spool} holds 1 segment file, but its cursors.json is .*none delivers them`,
            ),
          ),
        }),
      );
      expect(readLocalLake((b.local as { dir: string }).dir), "nothing of A's in B's lake").toEqual([]);
      const status = spoolStatus(spool);
      expect(status.undeliverable).toMatch(/no process can tell which destinations they are for/);
      expect(status.records, 'the backlog is kept, for its owner to restore').toBe(30);
    });
  }

  it('a spool without segments and with a corrupt cursors.json starts afresh (nothing to deliver)', async () => {
    // Prepare
    const spool = tempDir('vl-no-identity-empty');
    writeFileSync(join(spool, 'cursors.json'), '{"version":');
    const options = app(spool);
    // Act
    const analytics = createAnalytics(options);
    analytics.track({ type: 't', callId: 'c' });
    await analytics.close({ timeoutMs: 10_000 });
    // Assess
    expect(analytics.stats().spool).toMatchObject({ mode: 'disk', corruptCursors: 1 });
    expect(readLocalLake((options.local as { dir: string }).dir)).toHaveLength(1);
  });
});

describe('a lock naming no start time is no live process (item 7)', () => {
  it('a forged LOCK of pid 1 with startTime "" is stale: the spool is taken over and its backlog delivered', async () => {
    // Prepare: a backlog, and a LOCK naming pid 1 (always running) with no start time.
    const spool = tempDir('vl-forged-lock');
    const options = app(spool);
    await leaveBacklog(options, 25);
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    writeFileSync(
      join(spool, 'LOCK'),
      JSON.stringify({ pid: 1, host: hostname(), bootId, startTime: '', token: 'forged' }),
    );
    // Act
    const status = spoolStatus(spool);
    const analytics = createAnalytics(options);
    await analytics.close({ timeoutMs: 10_000 });
    // Assess
    expect(status.owner, 'spool status does not show it owned by pid 1').toMatchObject({
      pid: 1,
      alive: false,
    });
    expect(readLocalLake((options.local as { dir: string }).dir), 'the backlog delivered').toHaveLength(25);
  });
});
