/**
 * Attacks by another local user, run for real: the suite runs as root (CI does) and drives
 * two throwaway users, a victim running an agent and an attacker, with `setpriv`. Each case is
 * a defect a review found (issue "Nothing leaks and nothing escapes"), and fails on the code
 * before the fix.
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAttacker, asUser, ensureUser, modes, runsAsRoot, type User } from '../helpers/users.js';

const victimScript = resolve(import.meta.dirname, '../fixtures/victim.mjs');
const cli = resolve(import.meta.dirname, '../../packages/cli/bin/voicelake.js');

const flushedOf = (stdout: string) =>
  JSON.parse(
    stdout
      .split('\n')
      .find((l) => l.startsWith('FLUSHED '))
      ?.slice(8) ?? 'null',
  ) as {
    spool: { mode: string; reason?: string };
  } | null;

describe('another local user', () => {
  if (!runsAsRoot()) return;
  let victim: User;
  let attacker: User;
  let work: string;
  let shared: string;
  const secrets = { bashrc: '# victim bashrc\n', keys: 'ssh-ed25519 AAAA victim@host\n' };

  beforeAll(() => {
    victim = ensureUser('vl-victim');
    attacker = ensureUser('vl-attacker');
    // /tmp-like: world-writable and sticky, as every user's TMPDIR is.
    work = mkdtempSync('/tmp/vl-sec-');
    chmodSync(work, 0o755);
    shared = join(work, 'tmp');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    mkdirSync(join(victim.home, '.ssh'), { recursive: true });
    writeFileSync(join(victim.home, '.bashrc'), secrets.bashrc);
    writeFileSync(join(victim.home, '.ssh/authorized_keys'), secrets.keys);
    for (const p of ['.bashrc', '.ssh', '.ssh/authorized_keys'])
      chownSync(join(victim.home, p), victim.uid, victim.gid);
    rmSync(join(victim.home, '.local'), { recursive: true, force: true });
  });
  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
    rmSync(join(victim.home, '.local'), { recursive: true, force: true });
  });

  const victimEnv = (extra: Record<string, string>) => ({
    HOME: victim.home,
    TMPDIR: shared,
    ANALYTICS_LOG_LEVEL: 'warn',
    ANALYTICS_LAKE_DIR: join(shared, `lake-${Math.random().toString(16).slice(2)}`),
    ...extra,
  });

  it("a planted spool directory with symlinks to the victim's files is refused, and those files are untouched", async () => {
    // Prepare: the attacker pre-creates the directory 0777 with symlinks to the victim's files.
    const planted = join(shared, 'voicelake-spool');
    asAttacker(
      attacker,
      `mkdir -m 0777 ${planted} && ln -s ${victim.home}/.bashrc ${planted}/seg-0000000000000000.log && ln -s ${victim.home}/.ssh/authorized_keys ${planted}/cursors.json.tmp && ln -s ${victim.home}/.ssh/authorized_keys ${planted}/LOCK`,
    );
    // Act
    const run = await asUser(
      victim,
      [process.execPath, victimScript],
      victimEnv({ ANALYTICS_SPOOL_DIR: planted }),
    );
    // Assess
    expect(run.stdout, run.stderr).toMatch(/ERROR VL_ERR_SPOOL .*owned by uid \d+, not by this user/);
    expect(readFileSync(join(victim.home, '.bashrc'), 'utf8'), '.bashrc untouched').toBe(secrets.bashrc);
    expect(readFileSync(join(victim.home, '.ssh/authorized_keys'), 'utf8'), 'authorized_keys untouched').toBe(
      secrets.keys,
    );
  });

  it("a directory of the victim's that others can write is refused too", async () => {
    // Prepare
    const open = join(shared, 'victim-open-spool');
    mkdirSync(open);
    chownSync(open, victim.uid, victim.gid);
    chmodSync(open, 0o777);
    asAttacker(attacker, `ln -s ${victim.home}/.bashrc ${open}/seg-0000000000000000.log`);
    // Act
    const run = await asUser(
      victim,
      [process.execPath, victimScript],
      victimEnv({ ANALYTICS_SPOOL_DIR: open }),
    );
    // Assess
    expect(run.stdout, run.stderr).toMatch(/ERROR VL_ERR_SPOOL .*mode 0777; it must be private/);
    expect(readFileSync(join(victim.home, '.bashrc'), 'utf8')).toBe(secrets.bashrc);
  });

  it('under umask 022 the default spool and the local lake are 0700/0600, and the attacker reads neither', async () => {
    // Prepare
    const lake = join(shared, 'victim-lake');
    // Act: the victim tracks a card number (redaction off: permissions alone must protect it), is killed after its flush.
    const run = await asUser(
      victim,
      [process.execPath, victimScript],
      victimEnv({ ANALYTICS_LAKE_DIR: lake, VL_MODE: 'kill', VL_REDACT: 'off' }),
      'FLUSHED',
    );
    // Assess
    expect(flushedOf(run.stdout)?.spool.mode, run.stderr).toBe('disk');
    const state = join(victim.home, '.local/state/voicelake');
    const all = [...modes(state), ...modes(lake)];
    const wrong = all.filter((f) => f.mode !== (f.dir ? '700' : '600'));
    expect(wrong, 'every directory 0700 and every file 0600').toEqual([]);
    expect(
      all.some((f) => f.path.endsWith('.json.gz')),
      'the lake holds files',
    ).toBe(true);
    expect(
      all.some((f) => /seg-\d{16}\.log$/.test(f.path)),
      'the spool holds segments',
    ).toBe(true);
    const lakeFile = all.find((f) => f.path.endsWith('.json.gz'))?.path as string;
    const segment = all.find((f) => /seg-\d{16}\.log$/.test(f.path))?.path as string;
    expect(() => asAttacker(attacker, `cat ${lakeFile} < /dev/null`), 'attacker reads a lake file').toThrow();
    expect(
      () => asAttacker(attacker, `cat ${segment} < /dev/null`),
      'attacker reads a spool segment',
    ).toThrow();
    expect(() => asAttacker(attacker, `ls ${state}/spool`), 'attacker lists the spool').toThrow();
  });

  it('a planted per-user fallback directory is refused: memory-only mode, reported with the reason', async () => {
    // Prepare: no usable home, so the default falls back to <tmp>/voicelake-<uid>, which the attacker planted.
    const fallback = join(shared, `voicelake-${victim.uid}`);
    asAttacker(
      attacker,
      `mkdir -m 0777 -p ${fallback}/spool && ln -s ${victim.home}/.bashrc ${fallback}/spool/LOCK`,
    );
    // Act
    const run = await asUser(victim, [process.execPath, victimScript], victimEnv({ HOME: '/nonexistent' }));
    // Assess
    expect(run.code, run.stderr).toBe(0);
    const flushed = flushedOf(run.stdout);
    expect(flushed?.spool.mode, 'durability off is visible in stats().spool').toBe('memory');
    expect(flushed?.spool.reason).toMatch(/owned by uid \d+, not by this user/);
    expect(run.stderr, 'and logged').toMatch(/buffered in memory only/);
    const status = await asUser(
      victim,
      [process.execPath, cli, 'spool', 'status'],
      victimEnv({ HOME: '/nonexistent' }),
    );
    expect(status.stdout, 'and shown by voicelake spool status').toMatch(
      /^memory only: .*owned by uid \d+, not by this user/,
    );
    expect(readFileSync(join(victim.home, '.bashrc'), 'utf8')).toBe(secrets.bashrc);
  });
});
