/**
 * The directories above the spool, attacked by another local user, for real (issue 21, item 2):
 * the suite runs as root (CI does) and drives a victim and an attacker with `setpriv`. A spool
 * below a directory the attacker can write (or through the attacker's symlink) is refused; a
 * spool directory renamed away and replaced mid-run is never written again; the default root's
 * base ($XDG_STATE_HOME, $TMPDIR) is judged the same way. Each case fails on the code before.
 */
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { readLocalLake } from '../helpers/lake.js';
import { asAttacker, asUser, attackScene, printed, type Run, runsAsRoot } from '../helpers/users.js';

const swapVictim = resolve(import.meta.dirname, '../fixtures/swap-victim.mjs');
const victimScript = resolve(import.meta.dirname, '../fixtures/victim.mjs');
const EVENTS = 200;
/** Every segment name the victim can create (its sequence numbers run to 2 × EVENTS). */
const SEGMENT_NAMES = `$(seq 0 ${2 * EVENTS})`;

type Stats = { spool: { mode: string; reason?: string } };

/** The victim's secrets (`secret-<n>`) found in `text`. */
const secretsIn = (text: string): Set<string> => new Set(text.match(/secret-\d+/g) ?? []);

describe('the directories above the spool, against another local user', () => {
  if (!runsAsRoot()) return;
  const scene = attackScene('vl-parents');
  const { fresh } = scene;
  /** A fresh directory of the victim's own, 0700, in its home. */
  const victimDir = (what: string): string => {
    const dir = mkdtempSync(join(scene.victim.home, `${what}-`));
    chownSync(dir, scene.victim.uid, scene.victim.gid);
    return dir;
  };

  afterAll(() => {
    for (const e of readdirSync(scene.victim.home))
      if (/^(sig|lake|spool|target)-/.test(e))
        rmSync(join(scene.victim.home, e), { recursive: true, force: true });
  });

  /**
   * Run the two-phase victim; once its first phase is flushed, `between()` acts (the attack),
   * then the victim goes on. Resolves with its run (it may refuse to start: then no attack).
   */
  async function twoPhases(env: Record<string, string>, between: () => void): Promise<Run> {
    const signals = victimDir('sig');
    const run = asUser(scene.victim, [process.execPath, swapVictim], {
      HOME: scene.victim.home,
      TMPDIR: scene.shared,
      ANALYTICS_LOG_LEVEL: 'warn',
      VL_EVENTS: String(EVENTS),
      VL_SIGNALS: signals,
      ...env,
    });
    let exited = false;
    void run.then(() => {
      exited = true;
    });
    await vi.waitFor(
      () => {
        if (!exited && !existsSync(join(signals, 'phase1'))) throw new Error('victim still in phase 1');
      },
      { timeout: 30_000, interval: 20 },
    );
    if (!exited) {
      between();
      writeFileSync(join(signals, 'go'), '');
    }
    return run;
  }

  it('a spool below a directory the attacker owns is refused: the mid-run swap reads no transcript', async () => {
    // Prepare: the attacker owns the spool's parent (0777), in /tmp.
    const atk = fresh('atk');
    asAttacker(scene.attacker, `mkdir -m 0777 ${atk}`);
    // Act: partway through, the attacker renames the spool away and plants a 0777 spool of
    // 0666 segment files, one per name the victim can use, each hard-linked where it keeps them.
    const run = await twoPhases(
      { ANALYTICS_SPOOL_DIR: join(atk, 'spool'), ANALYTICS_LAKE_DIR: join(victimDir('lake'), 'lake') },
      () =>
        asAttacker(
          scene.attacker,
          `mv ${atk}/spool ${atk}/old && mkdir ${atk}/spool ${atk}/keep && for i in ${SEGMENT_NAMES}; do f=$(printf 'seg-%016d.log' $i); : > ${atk}/spool/$f; ln ${atk}/spool/$f ${atk}/keep/$f; done`,
        ),
    );
    // Assess
    const read = asAttacker(
      scene.attacker,
      `cat ${atk}/keep/* ${atk}/spool/* ${atk}/old/* 2>/dev/null; true`,
    );
    expect(secretsIn(read).size, 'transcripts the attacker read').toBe(0);
    expect(run.stdout, run.stderr).toMatch(
      new RegExp(
        `^ERROR VL_ERR_SPOOL .*${atk} is owned by uid ${scene.attacker.uid}; a directory above private state must be owned by root or by this user`,
        'm',
      ),
    );
  });

  it('a spool directory renamed away and replaced mid-run is never written again: memory only, said why, nothing lost', async () => {
    // Prepare: a safe parent of the victim's own (others may only pass through it).
    const parent = fresh('spool');
    mkdirSync(parent);
    chownSync(parent, scene.victim.uid, scene.victim.gid);
    chmodSync(parent, 0o711);
    const spool = join(parent, 'spool');
    const lake = join(victimDir('lake'), 'lake');
    const keep = fresh('keep');
    asAttacker(scene.attacker, `mkdir -m 0777 ${keep}`);
    // Act: someone who can (root here) renames the spool away and puts the attacker's in its place.
    const run = await twoPhases({ ANALYTICS_SPOOL_DIR: spool, ANALYTICS_LAKE_DIR: lake }, () => {
      renameSync(spool, join(parent, 'old'));
      mkdirSync(spool);
      chownSync(spool, scene.attacker.uid, scene.attacker.gid);
      chmodSync(spool, 0o777);
      asAttacker(
        scene.attacker,
        `for i in ${SEGMENT_NAMES}; do f=$(printf 'seg-%016d.log' $i); : > ${spool}/$f; ln ${spool}/$f ${keep}/$f; done`,
      );
    });
    // Assess
    const read = asAttacker(scene.attacker, `cat ${keep}/* 2>/dev/null; true`);
    expect(secretsIn(read).size, 'transcripts written into the planted files').toBe(0);
    const result = printed<Stats>(run.stdout, 'RESULT');
    expect(result?.spool.mode, run.stdout + run.stderr).toBe('memory');
    expect(result?.spool.reason).toMatch(/spool directory was renamed away or replaced/);
    expect(run.stderr, 'logged').toMatch(/renamed away or replaced/);
    expect(readLocalLake(lake), 'every event still delivered').toHaveLength(2 * EVENTS);
  });

  it("a spool reached through the attacker's symlink is refused, naming the link", async () => {
    // Prepare: the attacker's link in /tmp points at a private directory of the victim's (for now).
    const target = victimDir('target');
    const link = fresh('link');
    asAttacker(scene.attacker, `ln -s ${target} ${link}`);
    // Act
    const run = await asUser(scene.victim, [process.execPath, victimScript], {
      HOME: scene.victim.home,
      TMPDIR: scene.shared,
      ANALYTICS_LOG_LEVEL: 'warn',
      ANALYTICS_SPOOL_DIR: join(link, 'spool'),
      ANALYTICS_LAKE_DIR: join(victimDir('lake'), 'lake'),
    });
    // Assess
    expect(run.stdout, run.stderr).toMatch(
      new RegExp(`^ERROR VL_ERR_SPOOL .*${link} is owned by uid ${scene.attacker.uid}`, 'm'),
    );
    expect(readdirSync(target), 'nothing created through the link').toEqual([]);
  });

  it('the default spool below an attacker-owned $XDG_STATE_HOME and $TMPDIR is refused: memory only, with both reasons', async () => {
    // Prepare
    const state = fresh('atk-state');
    const tmp = fresh('atk-tmp');
    asAttacker(scene.attacker, `mkdir -m 0777 ${state} ${tmp}`);
    // Act
    const run = await asUser(scene.victim, [process.execPath, victimScript], {
      HOME: scene.victim.home,
      XDG_STATE_HOME: state,
      TMPDIR: tmp,
      ANALYTICS_LOG_LEVEL: 'warn',
      ANALYTICS_LAKE_DIR: join(victimDir('lake'), 'lake'),
    });
    // Assess
    const flushed = printed<Stats>(run.stdout, 'FLUSHED');
    expect(flushed?.spool.mode, run.stdout + run.stderr).toBe('memory');
    expect(flushed?.spool.reason).toContain(`${state} is owned by uid ${scene.attacker.uid}`);
    expect(flushed?.spool.reason).toContain(`${tmp} is owned by uid ${scene.attacker.uid}`);
    expect([...readdirSync(state), ...readdirSync(tmp)], 'nothing created in them').toEqual([]);
  });
});
