/**
 * The local lake directory, attacked by another local user, for real (issue 21, item 3): the
 * suite runs as root (CI does) and drives a victim and an attacker with `setpriv`. A lake
 * directory another user owns, one open to others, one below a directory another user can
 * write, and a symlinked partition directory inside the lake are each refused with an error
 * naming the path and the reason; nothing is written where the attacker can reach it. Each case
 * fails on the code before.
 */
import { chmodSync, chownSync, lchownSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { partitionPath } from '../../packages/voicelake/src/lake/layout.js';
import { asAttacker, asUser, attackScene, printed, runsAsRoot } from '../helpers/users.js';

const victimScript = resolve(import.meta.dirname, '../fixtures/victim.mjs');

interface Result {
  destinations: { local: { lastError?: string; delivered: number } };
}

describe('the local lake directory, against another local user', () => {
  if (!runsAsRoot()) return;
  const scene = attackScene('vl-lake-dir');
  const { fresh } = scene;

  /** The victim's agent with `lake` as ANALYTICS_LAKE_DIR (no spool: these tests are about the lake). */
  const runVictim = (lake: string) =>
    asUser(scene.victim, [process.execPath, victimScript], {
      HOME: scene.victim.home,
      TMPDIR: scene.shared,
      ANALYTICS_LOG_LEVEL: 'warn',
      ANALYTICS_SPOOL_DIR: 'off',
      ANALYTICS_LAKE_DIR: lake,
    });

  /** What the attacker finds under `dir`: every entry, recursively. */
  const attackerSees = (dir: string): string[] =>
    asAttacker(scene.attacker, `find ${dir} -mindepth 1`).split('\n').filter(Boolean);

  it('an attacker-owned 0777 lake directory is refused with a ConfigError naming it and why', async () => {
    // Prepare
    const lake = fresh('atk-lake');
    asAttacker(scene.attacker, `mkdir -m 0777 ${lake}`);
    // Act
    const run = await runVictim(lake);
    // Assess
    expect(run.stdout, run.stderr).toMatch(
      new RegExp(
        `^ERROR VL_ERR_CONFIG unusable local lake directory ${lake}: ${lake} is owned by uid ${scene.attacker.uid}, not by this user`,
        'm',
      ),
    );
    expect(attackerSees(lake), 'nothing written into it').toEqual([]);
  });

  it("the victim's own lake directory open to others (0777) is refused", async () => {
    // Prepare
    const lake = fresh('open-lake');
    mkdirSync(lake);
    chownSync(lake, scene.victim.uid, scene.victim.gid);
    chmodSync(lake, 0o777);
    // Act
    const run = await runVictim(lake);
    // Assess
    expect(run.stdout, run.stderr).toMatch(
      /^ERROR VL_ERR_CONFIG unusable local lake directory .*has mode 0777; it must be private/m,
    );
    expect(attackerSees(lake), 'nothing written into it').toEqual([]);
  });

  it('a lake below a directory the attacker owns is refused, naming that directory', async () => {
    // Prepare
    const atk = fresh('atk');
    asAttacker(scene.attacker, `mkdir -m 0777 ${atk}`);
    // Act
    const run = await runVictim(join(atk, 'lake'));
    // Assess
    expect(run.stdout, run.stderr).toMatch(
      new RegExp(
        `^ERROR VL_ERR_CONFIG unusable local lake directory .*${atk} is owned by uid ${scene.attacker.uid}`,
        'm',
      ),
    );
    expect(attackerSees(atk), 'nothing created in it').toEqual([]);
  });

  it('a symlinked day directory inside the lake is never followed: the destination fails, naming it', async () => {
    // Prepare: the victim's private lake, whose day directory of today is a link to the attacker's.
    const lake = mkdtempSync(join(scene.shared, 'lake-'));
    const elsewhere = fresh('elsewhere');
    asAttacker(scene.attacker, `mkdir -m 0777 ${elsewhere}`);
    const days = new Set([partitionPath(Date.now()), partitionPath(Date.now() + 60_000)]);
    for (const day of days) {
      const parent = join(lake, day, '..');
      mkdirSync(parent, { recursive: true, mode: 0o700 });
      symlinkSync(elsewhere, join(lake, day.replace(/\/$/, '')));
    }
    for (const e of readdirSync(lake, { recursive: true }).map(String))
      lchownSync(join(lake, e), scene.victim.uid, scene.victim.gid);
    chownSync(lake, scene.victim.uid, scene.victim.gid);
    // Act
    const run = await runVictim(lake);
    // Assess
    expect(attackerSees(elsewhere), 'nothing written through the link').toEqual([]);
    const local = printed<Result>(run.stdout, 'RESULT')?.destinations.local;
    expect(local?.delivered, run.stdout + run.stderr).toBe(0);
    expect(local?.lastError).toMatch(
      /ConfigError VL_ERR_CONFIG: unusable local lake directory: .*day=\d\d is a symlink/,
    );
  });
});
