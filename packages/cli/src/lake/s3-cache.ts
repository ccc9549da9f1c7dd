/**
 * The S3 source's local query cache: where it lives (`cacheDir`), its private directory tree,
 * and its manifest (key → ETag and size of each cached object of a bucket). The cache holds
 * transcripts: directories 0700, files 0600, written via a temporary file and a rename, and no
 * symlink followed (lake/private-files.ts).
 */
import { lstatSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { prefixProblem } from 'voicelake/layout';
import { nonEmpty } from '../env.js';
import { parseKey, readNoFollow } from './partitions.js';
import { DIR_MODE, myUid, privateDir, privateTree, writeAtomic } from './private-files.js';

type Env = Record<string, string | undefined>;

// ---------------------------------------------------------------------------------------------
// The per-user cache directory

/**
 * The per-user cache directory of voicelake: `$XDG_CACHE_HOME/voicelake`, else
 * `~/.cache/voicelake`, else (no usable home) `<tmp>/voicelake-<uid>/cache`.
 */
export function cacheDir(env: Env = process.env): string {
  const xdg = nonEmpty(env.XDG_CACHE_HOME);
  if (xdg && isAbsolute(xdg)) return join(xdg, 'voicelake');
  let home = '';
  try {
    home = env.HOME ?? homedir();
  } catch {
    home = '';
  }
  if (home && isAbsolute(home) && home !== '/') {
    try {
      const st = lstatSync(home);
      const uid = myUid();
      if (st.isDirectory() && (uid === undefined || st.uid === uid)) return join(home, '.cache', 'voicelake');
    } catch {
      // no usable home: fall through
    }
  }
  return join(tmpdir(), `voicelake-${myUid() ?? 0}`, 'cache');
}

/**
 * Create (privately) every directory from the cache root down to `dir`, one level at a time,
 * so that a symlink planted anywhere on the way is refused rather than followed. The root's
 * parents (`$XDG_CACHE_HOME`, `~/.cache`) are created 0700 when missing.
 */
export async function ensureCacheTree(root: string, dir: string): Promise<void> {
  const parent = dirname(root);
  if (root === join(tmpdir(), `voicelake-${myUid() ?? 0}`, 'cache')) {
    // The shared temp directory: its per-user directory must be ours and private too.
    await privateDir(parent, 'cache directory');
  } else {
    await mkdir(parent, { recursive: true, mode: DIR_MODE });
  }
  await privateTree(root, dir, 'cache directory');
}

// ---------------------------------------------------------------------------------------------
// The manifest: key -> ETag and size of each cached object of a bucket

export interface Entry {
  readonly etag: string;
  readonly size: number;
}

const MANIFEST = '.manifest.json';

/** The manifest of a bucket's cache; entries that are not valid are dropped (their objects are fetched again). */
export async function loadManifest(bucketDir: string): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>();
  let raw: Buffer;
  try {
    raw = await readNoFollow(join(bucketDir, MANIFEST));
  } catch {
    return out; // missing, a symlink, unreadable: start over
  }
  let doc: unknown;
  try {
    doc = JSON.parse(raw.toString('utf8'));
  } catch {
    return out;
  }
  const objects = (doc as { version?: unknown; objects?: unknown } | null)?.objects;
  if ((doc as { version?: unknown }).version !== 1 || typeof objects !== 'object' || objects === null)
    return out;
  for (const [key, value] of Object.entries(objects)) {
    const parsed = parseKey(key);
    const e = value as Partial<Entry> | null;
    if (
      parsed === undefined ||
      prefixProblem(parsed.prefix) !== undefined ||
      typeof e?.etag !== 'string' ||
      typeof e.size !== 'number' ||
      !Number.isSafeInteger(e.size) ||
      e.size < 0
    )
      continue;
    out.set(key, { etag: e.etag, size: e.size });
  }
  return out;
}

/** Apply `changes` to the manifest as it is on disk now (another process may have synced meanwhile), atomically. */
export async function saveManifest(
  bucketDir: string,
  changes: ReadonlyMap<string, Entry | null>,
): Promise<void> {
  if (changes.size === 0) return;
  const current = await loadManifest(bucketDir);
  for (const [key, entry] of changes) {
    if (entry === null) current.delete(key);
    else current.set(key, entry);
  }
  const objects: Record<string, Entry> = {};
  for (const key of [...current.keys()].sort()) objects[key] = current.get(key) as Entry;
  await writeAtomic(join(bucketDir, MANIFEST), `${JSON.stringify({ version: 1, objects })}\n`);
}
