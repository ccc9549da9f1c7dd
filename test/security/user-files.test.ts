/**
 * Files the CLI writes for the user (`voicelake report --out`, by default `report.html` in the
 * working directory), attacked by another local user for real (issue 21, item 8): the attacker
 * plants a symlink at the victim's report path, pointing to a file of the victim's. The report
 * must never be written through it: it goes to an exclusive 0600 temporary file and is renamed
 * over the link, or, where the link cannot be replaced, it is refused with a clear error.
 */
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAttacker, asUser, twoUsers, type User } from '../helpers/users.js';

const cli = resolve(import.meta.dirname, '../../packages/cli/bin/voicelake.js');

describe('a file the CLI writes for the user, against another local user', () => {
  const users = twoUsers();
  if (users === undefined) return;
  let victim: User;
  let attacker: User;
  let work: string;
  let lake: string;
  let secret: string;
  const secretText = '# the victim’s own file\n';

  beforeAll(() => {
    ({ victim, attacker } = users());
    work = mkdtempSync('/tmp/vl-user-files-');
    chmodSync(work, 0o755);
    // The victim's (empty) lake: the report is written all the same, with 0 calls.
    lake = join(work, 'lake');
    mkdirSync(lake, { mode: 0o700 });
    chownSync(lake, victim.uid, victim.gid);
    // A file only the victim may write, in the victim's home.
    secret = join(victim.home, `vl-user-files-${process.pid}.txt`);
    writeFileSync(secret, secretText, { mode: 0o600 });
    chownSync(secret, victim.uid, victim.gid);
  });
  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
    rmSync(secret, { force: true });
  });

  /** A directory the attacker can write: world-writable, sticky (like /tmp) or not (a team share). */
  const sharedDir = (name: string, mode: number): string => {
    const dir = join(work, name);
    mkdirSync(dir);
    chmodSync(dir, mode);
    return dir;
  };
  /** `voicelake report` as the victim, in `cwd`, under umask 022. */
  const report = (cwd: string, ...args: string[]) =>
    asUser(victim, ['env', '-C', cwd, process.execPath, cli, 'report', '--data-dir', lake, ...args], {
      HOME: victim.home,
      TMPDIR: work,
    });

  it('replaces a planted symlink at the default report.html with a 0600 file, never writing through it', async () => {
    // Prepare: a shared directory anyone may write (not sticky); the attacker plants report.html.
    const dir = sharedDir('team-share', 0o777);
    asAttacker(attacker, `ln -s ${secret} ${dir}/report.html`);
    // Act
    const run = await report(dir);
    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(secret, 'utf8'), "the victim's file is untouched").toBe(secretText);
    const st = lstatSync(join(dir, 'report.html'));
    expect(st.isSymbolicLink(), 'the link itself was replaced').toBe(false);
    expect(st.isFile()).toBe(true);
    expect(st.uid, "the report is the victim's").toBe(victim.uid);
    expect((st.mode & 0o777).toString(8), 'the report is 0600 under umask 022').toBe('600');
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('<html');
    expect(readdirSync(dir), 'no temporary file left').toEqual(['report.html']);
    expect(() => asAttacker(attacker, `cat ${dir}/report.html > /dev/null`), 'attacker reads it').toThrow();
  });

  it('refuses a planted symlink it cannot replace (a sticky directory), with a clear error and nothing written', async () => {
    // Prepare: /tmp-like; the attacker's link there cannot be replaced by the victim.
    const dir = sharedDir('tmp', 0o1777);
    asAttacker(attacker, `ln -s ${secret} ${dir}/report.html`);
    // Act
    const run = await report(dir, '--out', 'report.html');
    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`VL_ERR_CONFIG: cannot write ${dir}/report.html: EPERM`);
    expect(readFileSync(secret, 'utf8'), "the victim's file is untouched").toBe(secretText);
    expect(readlinkSync(join(dir, 'report.html')), "the attacker's link is left as it was").toBe(secret);
    expect(readdirSync(dir), 'no temporary file left').toEqual(['report.html']);
  });

  it('writes a new report 0600 in a directory it creates 0700', async () => {
    // Prepare
    const home = sharedDir('victim-home', 0o700);
    chownSync(home, victim.uid, victim.gid);
    // Act
    const run = await report(home, '--out', 'reports/today.html');
    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect((lstatSync(join(home, 'reports')).mode & 0o777).toString(8)).toBe('700');
    expect((lstatSync(join(home, 'reports/today.html')).mode & 0o777).toString(8)).toBe('600');
  });
});
