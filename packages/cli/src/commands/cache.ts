/** `voicelake cache`: where the S3 query cache lives, and clearing it. */
import type { Dirent } from 'node:fs';
import { lstat, readdir, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { QueryError } from 'voicelake';
import { formatBytes, formatCount } from '../format.js';
import { lakeBucket } from '../lake/location.js';
import { cacheDir } from '../lake/s3-cache.js';

const WHERE =
  'The cache is per user: $XDG_CACHE_HOME/voicelake, else ~/.cache/voicelake, else <tmp>/voicelake-<uid>/cache.\n' +
  'It mirrors S3 objects (events, transcripts included) in the lake layout under s3/<bucket>/<prefix>,\n' +
  'private to you (directories 0700, files 0600). Reading commands fetch only new or changed objects into it.';

/** Files and bytes under `dir`, without following symlinks. */
async function usage(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [] as Dirent[]);
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      const sub = await usage(path);
      files += sub.files;
      bytes += sub.bytes;
    } else if (e.isFile()) {
      files++;
      bytes += (await lstat(path).catch(() => undefined))?.size ?? 0;
    }
  }
  return { files, bytes };
}

export function cacheCommand(): Command {
  const cache = new Command('cache')
    .description('The local query cache of S3 objects')
    .addHelpText('after', `\n${WHERE}`);
  cache
    .command('path')
    .description('Print the cache directory')
    .action(() => {
      process.stdout.write(`${cacheDir()}\n`);
    });
  cache
    .command('clear')
    .description(
      "Delete the cached objects (all of them, or one bucket's); the next query fetches them again",
    )
    .option('--bucket <name>', "only this bucket's objects")
    .addHelpText('after', `\n${WHERE}`)
    .action(async (opts: { bucket?: string }) => {
      const root = cacheDir();
      const dir = opts.bucket === undefined ? root : join(root, 's3', lakeBucket(opts.bucket));
      const st = await lstat(dir).catch(() => undefined);
      if (st === undefined) {
        process.stdout.write(`nothing to clear: ${dir} does not exist\n`);
        return;
      }
      if (st.isSymbolicLink()) {
        await unlink(dir); // the link only, never what it points to
        process.stdout.write(`removed the symlink ${dir}\n`);
        return;
      }
      const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
      if (uid !== undefined && st.uid !== uid)
        throw new QueryError(
          `${dir} belongs to uid ${st.uid}, not to this user (uid ${uid}); not removing it`,
        );
      const { files, bytes } = st.isDirectory() ? await usage(dir) : { files: 1, bytes: st.size };
      await rm(dir, { recursive: true, force: true });
      process.stdout.write(
        `cleared ${dir}: ${formatCount(files)} file${files === 1 ? '' : 's'}, ${formatBytes(bytes)}\n`,
      );
    });
  return cache;
}
