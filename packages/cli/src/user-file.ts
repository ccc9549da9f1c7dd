/**
 * A file the CLI writes for the user (`report --out`, the demo's report): written to a new
 * temporary file beside the target, created exclusively (`O_CREAT|O_EXCL|O_NOFOLLOW`, 0600),
 * fsynced, then renamed over the target. A symlink at the target is replaced, never written
 * through; an existing file is replaced whole, never truncated in place (its other hard links
 * keep their content); a failed write leaves the target as it was and no temporary file.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError } from 'voicelake';

/** Mode of a user file: it holds what the lake holds (transcripts, ids), so only its owner reads it. */
const FILE_MODE = 0o600;
/** Mode of a directory created for it. */
const DIR_MODE = 0o700;
const CREATE_EXCLUSIVE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Write `data` to `path` (made absolute, which is returned) through an exclusive temporary file and a rename. */
export async function writeUserFile(path: string, data: string | Uint8Array): Promise<string> {
  const target = resolve(path);
  const dir = dirname(target);
  await mkdir(dir, { recursive: true, mode: DIR_MODE });
  const tmp = join(dir, `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, CREATE_EXCLUSIVE, FILE_MODE).catch((error: NodeJS.ErrnoException) => {
    throw cannotWrite(target, error);
  });
  try {
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    // rename(2) replaces the name at `target`: a planted symlink itself, never what it points to.
    await rename(tmp, target);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw cannotWrite(target, error as NodeJS.ErrnoException);
  }
  return target;
}

/** A `ConfigError` that says why `target` could not be written, so the user can choose another path. */
function cannotWrite(target: string, error: NodeJS.ErrnoException): ConfigError {
  const why =
    error.code === 'EPERM' || error.code === 'EACCES'
      ? `${error.code}: its directory is not writable, or is sticky (like /tmp) and ${basename(target)} there belongs to another user`
      : error.code === 'EISDIR'
        ? 'it is a directory'
        : (error.code ?? error.message);
  return new ConfigError(`cannot write ${target}: ${why}; nothing was written there`, { cause: error });
}
