/**
 * What the CLI writes into a lake, its query cache or a staging directory follows the library's
 * rules: directories 0700 and this user's, files 0600 and created exclusively (a temporary file
 * beside the target, then a rename), no symlink followed at any level. A directory that is a
 * symlink, not a directory, or another user's is refused with a `QueryError` that names it.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, copyFile, mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { QueryError } from 'voicelake';

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;
const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY } = constants;

export const myUid = (): number | undefined =>
  typeof process.getuid === 'function' ? process.getuid() : undefined;

/**
 * Make `dir` a private directory of this user (creating it 0700 when missing): refused when it
 * is a symlink, not a directory, or another user's; group and other bits are removed.
 * `what` names it in errors ("cache directory", "lake directory").
 */
export async function privateDir(dir: string, what: string): Promise<void> {
  await mkdir(dir, { mode: DIR_MODE }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'ENOTDIR')
      throw new QueryError(`${what} ${dir} is a symlink or not a directory; remove it`);
    throw error;
  }
  try {
    const st = await handle.stat();
    const uid = myUid();
    if (uid !== undefined && st.uid !== uid)
      throw new QueryError(`${what} ${dir} belongs to uid ${st.uid}, not to this user (uid ${uid})`);
    if ((st.mode & 0o077) !== 0) await handle.chmod(DIR_MODE);
  } finally {
    await handle.close();
  }
}

/**
 * Make every directory from `root` down to `dir` private, one level at a time, so that a
 * symlink planted anywhere on the way is refused rather than followed.
 */
export async function privateTree(root: string, dir: string, what: string): Promise<void> {
  const rel = relative(root, dir);
  if (rel.startsWith('..') || isAbsolute(rel))
    throw new QueryError(`${dir} is not inside the ${what} ${root}`);
  let at = root;
  await privateDir(at, what);
  for (const part of rel.split(sep).filter(Boolean)) {
    at = join(at, part);
    await privateDir(at, what);
  }
}

const tmpBeside = (path: string): string =>
  join(dirname(path), `.${path.slice(dirname(path).length + 1)}.${randomBytes(6).toString('hex')}.tmp`);

async function syncPath(path: string, flags: number): Promise<void> {
  const handle = await open(path, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsync a directory, so that a rename into it survives a crash. */
export const syncDir = (dir: string): Promise<void> => syncPath(dir, O_RDONLY | O_DIRECTORY);

/**
 * Write `data` to `path` atomically: a new 0600 temporary file beside it (created exclusively,
 * never through a symlink), then a rename, which replaces a file or a planted symlink itself and
 * never writes through one. `durable`: fsync the file before, and the directory after, the rename.
 */
export async function writeAtomic(
  path: string,
  data: Uint8Array | string,
  options: { durable?: boolean } = {},
): Promise<void> {
  const tmp = tmpBeside(path);
  const handle = await open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, FILE_MODE);
  try {
    try {
      await handle.writeFile(data);
      if (options.durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  if (options.durable) await syncDir(dirname(path));
}

/**
 * Move the file `from` (which this process wrote, e.g. DuckDB's Parquet in a private staging
 * directory) to `path`, durably and 0600: made private and fsynced first, then renamed; across
 * file systems, copied to an exclusive temporary file beside `path` and renamed.
 */
export async function moveInto(from: string, path: string): Promise<void> {
  const handle = await open(from, O_RDONLY | O_NOFOLLOW);
  try {
    await handle.chmod(FILE_MODE);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(from, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    const tmp = tmpBeside(path);
    await copyFile(from, tmp, constants.COPYFILE_EXCL);
    await chmod(tmp, FILE_MODE);
    await syncPath(tmp, O_RDONLY | O_NOFOLLOW);
    await rename(tmp, path);
  }
  await syncDir(dirname(path));
}
