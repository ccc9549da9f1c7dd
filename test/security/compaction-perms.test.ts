/**
 * What the CLI writes into a lake is as private as what the library writes (issue "Nothing
 * leaks, round two", item 1): compaction under umask 022 used to leave `compacted/**` 0755 and
 * its Parquet parts and manifests 0644, so with `--delete-source` another local user could read
 * every transcript. Run as two real users; the symlink case needs only one.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoDay } from '../../packages/cli/src/lake/source.js';
import { CliFailed, voicelake } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { asUser, ensureUser, modes, runsAsRoot, type User } from '../helpers/users.js';

const cli = resolve(import.meta.dirname, '../../packages/cli/bin/voicelake.js');

describe('compaction output, as another local user sees it', () => {
  if (!runsAsRoot()) return;
  let victim: User;
  let attacker: User;
  let work: string;

  beforeAll(() => {
    victim = ensureUser('vl-victim');
    attacker = ensureUser('vl-attacker');
    work = mkdtempSync('/tmp/vl-compact-sec-');
    chmodSync(work, 0o1777); // like /tmp: both users can create here
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('under umask 022, compact --delete-source leaves only 0700 directories and 0600 files, and the attacker reads none', async () => {
    // Prepare: the victim's demo lake of today, in a shared (sticky, world-writable) directory.
    const lake = join(work, 'lake');
    const env = { HOME: victim.home, ANALYTICS_LOG_LEVEL: 'warn' };
    const demo = await asUser(
      victim,
      [process.execPath, cli, 'demo', '--calls', '20', '--days', '1', '--data-dir', lake],
      env,
    );
    expect(demo.code, demo.stderr).toBe(0);

    // Act
    const compact = await asUser(
      victim,
      [
        process.execPath,
        cli,
        'compact',
        '--day',
        isoDay(Date.now() - 2 * 86_400_000),
        '--to',
        'today',
        '--delete-source',
        '--data-dir',
        lake,
      ],
      env,
    );

    // Assess
    expect(compact.code, compact.stderr).toBe(0);
    expect(compact.stdout).toMatch(/→ .*Parquet/);
    const all = modes(lake);
    const parts = all.filter((m) => m.path.endsWith('.parquet'));
    expect(parts.length, 'the Parquet parts are there').toBeGreaterThan(0);
    expect(all.some((m) => m.path.endsWith('_manifest.json'))).toBe(true);
    expect(
      all.some((m) => m.path.endsWith('.json.gz')),
      '--delete-source removed the gzip',
    ).toBe(false);
    expect(all.filter((m) => m.dir && m.mode !== '700')).toEqual([]);
    expect(all.filter((m) => !m.dir && m.mode !== '600')).toEqual([]);
    expect(
      all.some((m) => m.path.includes('.staging-')),
      'no staging directory left',
    ).toBe(false);
    const read = await asUser(attacker, ['cat', (parts[0] as { path: string }).path], {});
    expect(read.code, 'the attacker cannot read a part').not.toBe(0);
    expect(read.stderr).toMatch(/Permission denied/);
  });
});

describe('compaction never follows a symlink in the lake', () => {
  it('a compacted/ directory that is a symlink out of the lake is refused, and nothing is written through it', async () => {
    // Prepare
    const lake = tempDir('vl-compact-link');
    const outside = tempDir('vl-compact-outside');
    await voicelake(['demo', '--calls', '5', '--days', '1', '--data-dir', lake]);
    mkdirSync(join(outside, 'target'));
    symlinkSync(join(outside, 'target'), join(lake, 'compacted'));

    // The demo's calls follow the clock: just after midnight (UTC) they are all on yesterday.
    const dayDir = (readdirSync(lake, { recursive: true }) as string[])
      .map((p) => /year=(\d{4})\/month=(\d\d)\/day=(\d\d)$/.exec(p))
      .find((m) => m !== null);
    const day = dayDir ? `${dayDir[1]}-${dayDir[2]}-${dayDir[3]}` : isoDay(Date.now());

    // Act
    const run = voicelake(['compact', '--day', day, '--data-dir', lake]);

    // Assess
    const failed = await run.then(
      () => undefined,
      (error: unknown) => error as CliFailed,
    );
    expect(failed, 'compact failed').toBeInstanceOf(CliFailed);
    expect(failed?.stderr).toMatch(/lake directory .*compacted is a symlink or not a directory/);
    expect(modes(join(outside, 'target'))).toEqual([
      { path: join(outside, 'target'), dir: true, mode: '755' },
    ]);
  });
});
