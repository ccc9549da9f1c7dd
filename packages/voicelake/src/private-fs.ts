/**
 * File access for state that holds personal data (the spool, the local lake): directories
 * 0700 and files 0600 whatever the umask, symlinks never followed (`O_NOFOLLOW`), temporary
 * files created exclusively (`O_EXCL`), a directory someone else could write refused, and so
 * is one below a directory someone else could write (safe-path.ts).
 */
import {
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  type Stats,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { type FileHandle, lstat, mkdir, open, unlink } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { ancestorsProblem } from './safe-path.js';

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_APPEND, O_NOFOLLOW, O_DIRECTORY } = constants;

export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

/** Flags: read an existing file, never through a symlink. */
export const READ = O_RDONLY | O_NOFOLLOW;
/** Flags: append to a file that exists, never through a symlink. */
const APPEND = O_WRONLY | O_APPEND | O_NOFOLLOW;
/** Flags: create a new file exclusively (fails if anything, a symlink included, is there). */
export const CREATE_NEW = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;

const myUid = (): number | undefined => (typeof process.getuid === 'function' ? process.getuid() : undefined);

/** Why `st` is not a private directory of this user, or undefined when it is. */
export function privateDirProblem(st: Stats): string | undefined {
  if (!st.isDirectory()) return 'is not a directory';
  const uid = myUid();
  if (uid !== undefined && st.uid !== uid) return `is owned by uid ${st.uid}, not by this user (uid ${uid})`;
  if ((st.mode & 0o077) !== 0) {
    return `has mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}; it must be private (chmod 700)`;
  }
  return undefined;
}

/** Which directory a path named when it was checked: a path that later names another was replaced. */
export interface DirIdentity {
  readonly dev: number;
  readonly ino: number;
}

/**
 * Create `dir` (and missing parents) 0700, then check, without following a symlink, that it
 * is a real directory of this user with no group or other bits, below safe directories only
 * (checked before anything is created, and again after). Throws an Error naming the path and
 * saying why. Returns the directory's identity, for {@link verifyDir}.
 */
export function ensurePrivateDir(dir: string): DirIdentity {
  const unsafe = (): void => {
    const problem = ancestorsProblem(dir);
    if (problem !== undefined) throw new Error(`${dir} is below an unsafe directory: ${problem}`);
  };
  unsafe();
  mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  unsafe();
  let fd: number;
  try {
    fd = openSync(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'ENOTDIR') throw new Error(`${dir} is a symlink or not a directory`);
    throw error;
  }
  try {
    const st = fstatSync(fd);
    const problem = privateDirProblem(st);
    if (problem) throw new Error(`${dir} ${problem}`);
    return { dev: st.dev, ino: st.ino };
  } finally {
    closeSync(fd);
  }
}

/**
 * Throw unless `dir` still names the directory `id` (a real directory, not a symlink): called
 * before every file is created in it, so a directory renamed away and replaced is never written.
 */
export function verifyDir(dir: string, id: DirIdentity): void {
  let st: Stats;
  try {
    st = lstatSync(dir);
  } catch (error) {
    throw new DirReplacedError(`${dir} is gone (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!st.isDirectory() || st.dev !== id.dev || st.ino !== id.ino)
    throw new DirReplacedError(`${dir} was replaced by another ${st.isSymbolicLink() ? 'symlink' : 'entry'}`);
}

/** A private directory's path names another directory (or nothing) than the one checked. */
export class DirReplacedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DirReplacedError';
  }
}

/**
 * `ensurePrivateDir` for `base` and every directory from it down to `dir`: a private directory
 * inside one that another user controls is not private (they can rename it away).
 */
export function ensurePrivateTree(base: string, dir: string): void {
  const rel = relative(base, dir);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new Error(`${dir} is not inside ${base}`);
  let at = base;
  ensurePrivateDir(at);
  for (const part of rel.split(sep).filter(Boolean)) {
    at = join(at, part);
    ensurePrivateDir(at);
  }
}

/**
 * Why `ensurePrivateTree(base, dir)` would refuse, without creating anything: the first
 * existing directory from `base` down to `dir` that is not private. Undefined when it would work.
 */
export function privateTreeProblem(base: string, dir: string): string | undefined {
  const above = ancestorsProblem(base);
  if (above !== undefined) return `${base} is below an unsafe directory: ${above}`;
  const rel = relative(base, dir);
  const paths = [base];
  for (const part of rel.split(sep).filter(Boolean))
    paths.push(join(paths[paths.length - 1] as string, part));
  for (const path of paths) {
    let st: Stats;
    try {
      st = lstatSync(path);
    } catch {
      return undefined; // missing from here down: it would be created private
    }
    if (st.isSymbolicLink()) return `${path} is a symlink`;
    const problem = privateDirProblem(st);
    if (problem) return `${path} ${problem}`;
  }
  return undefined;
}

/**
 * Make `root` and every directory from it down to `root/rel`, each created 0700 (one level at a
 * time) and checked without following a symlink: a real directory of this user with no group or
 * other bits, `root` below safe directories only. Throws an Error naming the path and the reason.
 * Returns the first directory created, if any.
 */
export async function mkdirPrivate(root: string, rel: string): Promise<string | undefined> {
  const above = ancestorsProblem(root);
  if (above !== undefined) throw new Error(`${root} is below an unsafe directory: ${above}`);
  let created = await mkdir(root, { recursive: true, mode: DIR_MODE });
  let at = root;
  for (const part of ['', ...rel.split(sep).filter((p) => p !== '' && p !== '.')]) {
    at = join(at, part);
    if (part !== '') {
      try {
        await mkdir(at, { mode: DIR_MODE });
        created ??= at;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    const st = await lstat(at);
    if (st.isSymbolicLink())
      throw new Error(`${at} is a symlink; nothing in the lake is followed through one`);
    const problem = privateDirProblem(st);
    if (problem) throw new Error(`${at} ${problem}`);
  }
  return created;
}

/** fsync a directory (its entries: a file renamed into it, a directory created in it), never through a symlink. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Read a whole file without following a symlink; undefined when it does not exist. */
export function readPrivate(path: string): Buffer | undefined {
  return readPrivateStat(path)?.data;
}

/**
 * {@link readPrivate}, with the file's `fstat` taken on the same descriptor: the stat describes
 * the very file read, even if the path was replaced meanwhile.
 */
export function readPrivateStat(path: string): { data: Buffer; stat: Stats } | undefined {
  let fd: number;
  try {
    fd = openSync(path, READ);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error(`${path} is not a regular file`);
    const buf = Buffer.allocUnsafe(stat.size);
    let at = 0;
    while (at < buf.length) {
      const n = readSync(fd, buf, at, buf.length - at, at);
      if (n === 0) break;
      at += n;
    }
    return { data: buf.subarray(0, at), stat };
  } finally {
    closeSync(fd);
  }
}

/** Truncate a file to `size` bytes, never through a symlink. */
export function truncatePrivate(path: string, size: number): void {
  const fd = openSync(path, O_RDWR | O_NOFOLLOW);
  try {
    ftruncateSync(fd, size);
  } finally {
    closeSync(fd);
  }
}

/** Write `data` to a new file, exclusively, 0600; a leftover file of the same name is removed first. */
export function writeNewSync(path: string, data: string | Buffer): void {
  let fd: number;
  try {
    fd = openSync(path, CREATE_NEW, FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    unlinkSync(path); // a stale temp file (or a planted symlink: unlink removes the link only)
    fd = openSync(path, CREATE_NEW, FILE_MODE);
  }
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    writeSync(fd, buf);
  } finally {
    closeSync(fd);
  }
}

/** Open a new file exclusively, 0600, for async writing; a leftover of the same name is removed first. */
export async function openNew(path: string): Promise<FileHandle> {
  try {
    return await open(path, CREATE_NEW, FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    await unlink(path);
    return open(path, CREATE_NEW, FILE_MODE);
  }
}

/**
 * Open a file to append to: created exclusively 0600 when `create` (whatever is at the path, a
 * planted file or a symlink, makes it fail), else an existing file that must be a regular file of
 * this user, private, with no other link to it. Never through a symlink. `flags` are added to the
 * open's (e.g. `O_DSYNC`: every write is durable when it returns, with no fdatasync after it).
 */
export async function openAppend(path: string, create: boolean, flags = 0): Promise<FileHandle> {
  if (create) return open(path, APPEND | O_CREAT | O_EXCL | flags, FILE_MODE);
  const handle = await open(path, APPEND | flags);
  const st = await handle.stat();
  const uid = myUid();
  const problem = !st.isFile()
    ? 'is not a regular file'
    : uid !== undefined && st.uid !== uid
      ? `is owned by uid ${st.uid}, not by this user`
      : (st.mode & 0o077) !== 0
        ? `has mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}, not 0600`
        : st.nlink !== 1
          ? `has ${st.nlink} links: another name reads it`
          : undefined;
  if (problem === undefined) return handle;
  await handle.close();
  throw new Error(`${path} ${problem}`);
}
