/**
 * Two real local users for the security tests: the suite runs as root (CI does) and drives
 * throwaway users, a victim and an attacker, with `setpriv`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

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

export const asAttacker = (user: User, script: string): void => {
  execFileSync('setpriv', [
    '--reuid',
    String(user.uid),
    '--regid',
    String(user.gid),
    '--clear-groups',
    'sh',
    '-c',
    `umask 000; ${script}`,
  ]);
};

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
