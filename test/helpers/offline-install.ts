/**
 * Install packed tarballs into an empty directory with no network: the lockfile is built from
 * the workspace's own package-lock.json (the same versions, `resolved` URLs and integrity
 * hashes), so `npm ci --offline` takes every tarball from the npm cache that `npm ci` filled.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  dev?: boolean;
  optional?: boolean;
  [key: string]: unknown;
}

export interface Packed {
  readonly name: string;
  /** The workspace folder in the root lockfile, e.g. `packages/voicelake`. */
  readonly workspace: string;
  readonly tarball: string;
}

/** Where Node would find `name` when required from the package at `from` (a lockfile path). */
function locate(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (base === '') return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut < 0 ? '' : base.slice(0, cut);
  }
}

export async function installOffline(
  dir: string,
  packed: readonly Packed[],
  omitDev: boolean,
): Promise<void> {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const out: Record<string, LockEntry> = {};
  const ours = new Map(packed.map((p) => [p.name, p]));
  const rootDeps = Object.fromEntries(packed.map((p) => [p.name, `file:${p.tarball}`]));
  out[''] = { name: 'app', version: '1.0.0', dependencies: rootDeps };
  const queue: { from: string; at: string; entry: LockEntry; optional: boolean }[] = [];
  for (const p of packed) {
    const ws = lock.packages[p.workspace] as LockEntry;
    const { devDependencies: _devDependencies, ...published } = ws;
    const entry: LockEntry = { ...published, resolved: `file:${p.tarball}` };
    out[`node_modules/${p.name}`] = entry;
    queue.push({ from: p.workspace, at: `node_modules/${p.name}`, entry, optional: false });
  }
  while (queue.length > 0) {
    const { from, entry, optional } = queue.shift() as (typeof queue)[number];
    const deps = [
      ...Object.keys(entry.dependencies ?? {}).map((n) => [n, optional] as const),
      ...Object.keys(entry.optionalDependencies ?? {}).map((n) => [n, true] as const),
    ];
    for (const [name, opt] of deps) {
      if (ours.has(name)) continue;
      const path = locate(lock.packages, from, name);
      if (path === undefined) {
        if (opt) continue;
        throw new Error(`${name} (needed by ${from}) is not in package-lock.json`);
      }
      // A dependency nested under a workspace folder (its own version, as the collector's
      // @bufbuild/protobuf v2) goes under that package's install location.
      const ws = packed.find((q) => path.startsWith(`${q.workspace}/`));
      const target = ws ? `node_modules/${ws.name}${path.slice(ws.workspace.length)}` : path;
      if (out[target]) continue;
      const { dev: _dev, devOptional: _devOptional, ...rest } = lock.packages[path] as LockEntry;
      out[target] = { ...rest, ...(opt || rest.optional ? { optional: true } : {}) };
      queue.push({ from: path, at: target, entry: lock.packages[path] as LockEntry, optional: opt });
    }
  }
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies: rootDeps }),
  );
  writeFileSync(
    join(dir, 'package-lock.json'),
    JSON.stringify(
      { name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages: out },
      null,
      2,
    ),
  );
  await run(
    'npm',
    ['ci', '--offline', '--no-audit', '--no-fund', '--loglevel=error', ...(omitDev ? ['--omit=dev'] : [])],
    {
      cwd: dir,
      maxBuffer: 64 * 1_000_000,
    },
  );
}
