/**
 * Two real local users for the security tests: the suite runs as root (CI does) and drives
 * throwaway users, a victim and an attacker, with `setpriv`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

/** True when the suite runs as root; otherwise registers one failing test saying so. Call inside `describe`. */
export function runsAsRoot(): boolean {
  if (process.getuid?.() === 0) return true;
  it('runs as root to create real users (CI does)', () => {
    expect(process.getuid?.(), 'these tests need root: run npm test as root, as .ci/run does').toBe(0);
  });
  return false;
}

/** What an attack runs in: the two users, and a /tmp-like directory they share. */
export interface Scene {
  readonly victim: User;
  readonly attacker: User;
  /** World-writable and sticky, as every user's TMPDIR is (in a root-owned 0755 directory under /tmp). */
  readonly shared: string;
  /** A fresh name under `shared`. */
  fresh(what: string): string;
}

/** Call inside `describe`: the scene is made before all its tests and removed after. */
export function attackScene(prefix: string): Scene {
  let n = 0;
  let work = '';
  const scene = {
    victim: undefined as unknown as User,
    attacker: undefined as unknown as User,
    shared: '',
    fresh: (what: string): string => join(scene.shared, `${what}-${++n}`),
  };
  beforeAll(() => {
    scene.victim = ensureUser('vl-victim');
    scene.attacker = ensureUser('vl-attacker');
    work = mkdtempSync(`/tmp/${prefix}-`);
    chmodSync(work, 0o755);
    scene.shared = join(work, 'tmp');
    mkdirSync(scene.shared);
    chmodSync(scene.shared, 0o1777);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  return scene;
}

/** The JSON a fixture printed on its line starting `<tag> `, or undefined. */
export function printed<T>(stdout: string, tag: string): T | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith(`${tag} `));
  return line === undefined ? undefined : (JSON.parse(line.slice(tag.length + 1)) as T);
}

export interface User {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

export function ensureUser(name: string): User {
  try {
    execFileSync('id', ['-u', name], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['-m', '-s', '/bin/sh', name]);
  }
  const uid = Number(execFileSync('id', ['-u', name]).toString());
  const gid = Number(execFileSync('id', ['-g', name]).toString());
  return {
    name,
    uid,
    gid,
    home: execFileSync('sh', ['-c', `getent passwd ${name} | cut -d: -f6`])
      .toString()
      .trim(),
  };
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `argv` as `user` with umask 022 (the common default), optionally killing it once it printed `killOn`. */
export function asUser(
  user: User,
  argv: string[],
  env: Record<string, string>,
  killOn?: string,
): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(
      'setpriv',
      [
        '--reuid',
        String(user.uid),
        '--regid',
        String(user.gid),
        '--clear-groups',
        'sh',
        '-c',
        'umask 022; exec "$@"',
        'sh',
        ...argv,
      ],
      { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      // A moment after `killOn`, so the group commit (50 ms) has written the spool.
      if (killOn !== undefined && stdout.includes(killOn)) setTimeout(() => child.kill('SIGKILL'), 300);
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** Run `script` as `user` with umask 000; returns what it printed (throws if it fails). */
export const asAttacker = (user: User, script: string): string =>
  execFileSync('setpriv', [
    '--reuid',
    String(user.uid),
    '--regid',
    String(user.gid),
    '--clear-groups',
    'sh',
    '-c',
    `umask 000; ${script}`,
  ]).toString();

/** Every file and directory under `dir` with its mode, without following symlinks. */
export function modes(dir: string): { path: string; dir: boolean; mode: string }[] {
  const out = [{ path: dir, dir: true, mode: (statSync(dir).mode & 0o777).toString(8) }];
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(e.parentPath, e.name);
    out.push({ path, dir: e.isDirectory(), mode: (statSync(path).mode & 0o777).toString(8) });
  }
  return out;
}

/**
 * The victim and the attacker, when the suite can create real users (it runs as root, as CI
 * does); otherwise undefined, and one failing test says why. Call it inside a `describe`.
 */
export function twoUsers(): (() => { victim: User; attacker: User }) | undefined {
  if (process.getuid?.() !== 0) {
    it('runs as root to create real users (CI does)', () => {
      expect(process.getuid?.(), 'these tests need root: run npm test as root, as .ci/run does').toBe(0);
    });
    return undefined;
  }
  return () => ({ victim: ensureUser('vl-victim'), attacker: ensureUser('vl-attacker') });
}
