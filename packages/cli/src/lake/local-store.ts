/**
 * The local lake's store: files under the lake directory, keys relative to it (prefix
 * included). Every directory it creates or writes into, from the lake root down, is this
 * user's and 0700, checked one level at a time so a planted symlink is refused, never
 * followed; every file is 0600, created exclusively beside its target and renamed into place,
 * fsynced with its directory (lake/private-files.ts).
 */
import { constants } from 'node:fs';
import { copyFile, lstat, mkdir, open, readdir, rm, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { QueryError } from 'voicelake';
import { COMPACTED_DIR, compactedDayPrefix } from './compacted-layout.js';
import { DIR_MODE, moveInto, privateTree, writeAtomic } from './private-files.js';
import { byStoredKey, type LakeStore, STALE_STAGING_MS, type StoredFile } from './store.js';

const { O_RDONLY, O_NOFOLLOW } = constants;
const WHAT = 'lake directory';

export class LocalStore implements LakeStore {
  readonly kind = 'local' as const;
  constructor(
    private readonly dir: string,
    private readonly prefix: string,
  ) {}

  uri(): undefined {
    return undefined;
  }

  /** The path of `key`; refuses a key that would leave the lake. */
  path(key: string): string {
    const parts = key.split('/');
    if (key.startsWith('/') || parts.some((p) => p === '..' || p === '.' || p === ''))
      throw new QueryError(`refusing the key ${JSON.stringify(key)}: not a key of the lake`);
    return join(this.dir, ...parts);
  }

  /** The directory of `key`, made private from the lake root down. */
  private async dirFor(key: string): Promise<string> {
    const path = this.path(key);
    await privateTree(this.dir, dirname(path), WHAT);
    return path;
  }

  async put(key: string, body: Buffer): Promise<void> {
    await writeAtomic(await this.dirFor(key), body, { durable: true });
  }

  async putFile(key: string, from: string): Promise<void> {
    await moveInto(from, await this.dirFor(key));
  }

  async get(key: string): Promise<Buffer | undefined> {
    const path = this.path(key);
    try {
      const handle = await open(path, O_RDONLY | O_NOFOLLOW);
      try {
        return await handle.readFile();
      } finally {
        await handle.close();
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new QueryError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
    }
  }

  async tail(key: string, bytes: number): Promise<Buffer> {
    const handle = await open(this.path(key), O_RDONLY | O_NOFOLLOW);
    try {
      const { size } = await handle.stat();
      const n = Math.min(bytes, size);
      const out = Buffer.alloc(n);
      await handle.read(out, 0, n, size - n);
      return out;
    } finally {
      await handle.close();
    }
  }

  async copy(from: string, to: string): Promise<void> {
    const source = this.path(from);
    if (!(await lstat(source)).isFile()) throw new QueryError(`cannot copy ${source}: not a regular file`);
    const tmp = join(dirname(await this.dirFor(to)), `.copy-${process.pid}-${Date.now()}.tmp`);
    await copyFile(source, tmp, constants.COPYFILE_EXCL);
    await moveInto(tmp, this.path(to));
  }

  async delete(key: string): Promise<void> {
    await unlink(this.path(key)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw new QueryError(`cannot delete ${this.path(key)}: ${error.message}`);
    });
  }

  async list(prefix: string): Promise<StoredFile[]> {
    const out: StoredFile[] = [];
    const walk = async (dir: string, keyPrefix: string): Promise<void> => {
      for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        const st = await lstat(join(dir, e.name)).catch(() => undefined);
        if (st?.isDirectory()) await walk(join(dir, e.name), `${keyPrefix}${e.name}/`);
        else if (st?.isFile()) out.push({ key: `${keyPrefix}${e.name}`, size: st.size });
      }
    };
    const dir = prefix.endsWith('/') ? prefix : prefix.slice(0, prefix.lastIndexOf('/') + 1);
    await walk(dir === '' ? this.dir : this.path(dir.slice(0, -1)), dir);
    return out.filter((f) => f.key.startsWith(prefix)).sort(byStoredKey);
  }

  async listCompacted(day: string): Promise<StoredFile[]> {
    const prefix = compactedDayPrefix(this.prefix, day);
    return (await this.list(prefix)).filter((f) => !f.key.slice(prefix.length).includes('/'));
  }

  /** Inside the lake's `compacted/` directory, so that a part is moved into place by a rename. */
  async staging(run: string): Promise<string> {
    const root = this.path(`${this.prefix}${COMPACTED_DIR}`.slice(0, -1));
    await privateTree(this.dir, root, WHAT);
    // Leftovers of killed runs (never a running one: those are recent).
    for (const e of await readdir(root, { withFileTypes: true })) {
      if (!e.isDirectory() || !e.name.startsWith('.staging-')) continue;
      const st = await lstat(join(root, e.name)).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > STALE_STAGING_MS)
        await rm(join(root, e.name), { recursive: true, force: true });
    }
    const dir = join(root, `.staging-${run}`);
    await mkdir(dir, { mode: DIR_MODE }); // exclusive: fails if anything is there
    return dir;
  }
}
