/**
 * What compaction writes and deletes, beside what a `LakeSource` reads: a small `LakeStore`
 * over the local lake directory or the S3 bucket. Keys are full keys, the lake prefix
 * included, as `LakeSource.list` returns them.
 *
 * Local writes are atomic and durable (a temporary file in the same directory, fsync, rename,
 * fsync of the directory); an S3 PUT is atomic by itself and is sent with its Content-MD5, so
 * S3 refuses a body damaged on the way.
 *
 * Over 300 lines: the two stores (local directory, S3) behind one interface, side by side so they keep the same exclusive-create and rename semantics.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import {
  copyFile,
  lstat,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  rename,
  rm,
  unlink,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { QueryError } from 'voicelake';
import { COMPACTED_DIR, compactedDayPrefix } from '../lake/compacted-layout.js';
import { LocalSource } from '../lake/local-source.js';
import { listPages, s3Failure } from '../lake/s3.js';
import { S3Source } from '../lake/s3-source.js';
import type { LakeSource } from '../lake/source.js';

/** A file of a day's compacted directory. */
export interface StoredFile {
  readonly key: string;
  readonly size: number;
}

export interface LakeStore {
  readonly kind: 'local' | 's3';
  /** Write `body` under `key`, atomically. */
  put(key: string, body: Buffer): Promise<void>;
  /** Store the local file at `path` under `key`, atomically (locally it is moved into place). */
  putFile(key: string, path: string): Promise<void>;
  /** The bytes under `key`, or undefined when there is no such object. */
  get(key: string): Promise<Buffer | undefined>;
  /** Delete `key` (no error when it is already gone). */
  delete(key: string): Promise<void>;
  /** Every file in `day`'s compacted directory. */
  listCompacted(day: string): Promise<StoredFile[]>;
  /** A new, empty directory to write a run's Parquet into before `putFile`. */
  staging(run: string): Promise<string>;
  /** The `s3://bucket/key` URI of `key`, as Athena names it; undefined for a local lake (no Athena). */
  uri(key: string): string | undefined;
}

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_DIRECTORY } = constants;

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, O_RDONLY | O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, O_RDONLY | O_NOFOLLOW);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A staging directory this old is a leftover of a run that was killed. */
const STALE_STAGING_MS = 6 * 3_600_000;

/** The local lake: files under `dir`, keys relative to it (prefix included). */
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

  async put(key: string, body: Buffer): Promise<void> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
    try {
      try {
        await handle.writeFile(body);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, path);
    } catch (error) {
      await unlink(tmp).catch(() => undefined);
      throw error;
    }
    await fsyncDir(dirname(path));
  }

  async putFile(key: string, from: string): Promise<void> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    await fsyncFile(from);
    try {
      await rename(from, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
      await copyFile(from, tmp);
      await fsyncFile(tmp);
      await rename(tmp, path);
    }
    await fsyncDir(dirname(path));
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

  async delete(key: string): Promise<void> {
    await unlink(this.path(key)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw new QueryError(`cannot delete ${this.path(key)}: ${error.message}`);
    });
  }

  async listCompacted(day: string): Promise<StoredFile[]> {
    const prefix = compactedDayPrefix(this.prefix, day);
    const dir = this.path(prefix.slice(0, -1));
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    const out: StoredFile[] = [];
    for (const e of entries) {
      if (!e.isFile()) continue;
      const st = await lstat(join(dir, e.name)).catch(() => undefined);
      if (st?.isFile()) out.push({ key: `${prefix}${e.name}`, size: st.size });
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  /** Inside the lake's `compacted/` directory, so that a part is moved into place by a rename. */
  async staging(run: string): Promise<string> {
    const root = this.path(`${this.prefix}${COMPACTED_DIR}`.slice(0, -1));
    await mkdir(root, { recursive: true });
    // Leftovers of killed runs (never a running one: those are recent).
    for (const e of await readdir(root, { withFileTypes: true })) {
      if (!e.isDirectory() || !e.name.startsWith('.staging-')) continue;
      const st = await lstat(join(root, e.name)).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > STALE_STAGING_MS)
        await rm(join(root, e.name), { recursive: true, force: true });
    }
    const dir = join(root, `.staging-${run}`);
    await mkdir(dir);
    return dir;
  }
}

const md5 = (body: Buffer): string => createHash('md5').update(body).digest('base64');

/** What compaction needs, said when S3 denies access. */
const COMPACT_ACCESS =
  'compaction needs s3:PutObject and s3:DeleteObject on <prefix>compacted/*, see `voicelake iam-policy --read`; --delete-source also needs s3:DeleteObject on the raw objects';

const s3Error = (action: string, url: string, error: unknown): QueryError =>
  s3Failure(action, url, error, COMPACT_ACCESS);

/** The S3 lake: objects of one bucket, through the source's client. */
export class S3Store implements LakeStore {
  readonly kind = 's3' as const;
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {}

  private url(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }

  uri(key: string): string {
    return this.url(key);
  }

  async put(key: string, body: Buffer): Promise<void> {
    const type = key.endsWith('.json')
      ? 'application/json'
      : key.endsWith('.txt')
        ? 'text/plain; charset=utf-8'
        : 'application/vnd.apache.parquet';
    await this.client
      .send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentMD5: md5(body),
          ContentType: type,
        }),
      )
      .catch((error: unknown) => {
        throw s3Error('write', this.url(key), error);
      });
  }

  async putFile(key: string, path: string): Promise<void> {
    await this.put(key, await readFile(path));
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (res.Body === undefined) return Buffer.alloc(0);
      return Buffer.from(await res.Body.transformToByteArray());
    } catch (error) {
      const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return undefined;
      throw s3Error('read', this.url(key), error);
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })).catch((error) => {
      throw s3Error('delete', this.url(key), error);
    });
  }

  async listCompacted(day: string): Promise<StoredFile[]> {
    const prefix = compactedDayPrefix(this.prefix, day);
    return (await this.list(prefix)).filter((o) => !o.key.slice(prefix.length).includes('/'));
  }

  /** Every object under `prefix` (at any depth), sorted by key. */
  async list(prefix: string): Promise<StoredFile[]> {
    const out: StoredFile[] = [];
    const pages = listPages(
      this.client,
      { Bucket: this.bucket, Prefix: prefix },
      { accessHint: COMPACT_ACCESS },
    );
    for await (const page of pages)
      for (const o of page.Contents ?? [])
        if (o.Key !== undefined) out.push({ key: o.Key, size: o.Size ?? 0 });
    return out.sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  /** Copy `from` to `to` inside the bucket, server-side (one CopyObject: objects up to 5 GB). */
  async copy(from: string, to: string): Promise<void> {
    await this.client
      .send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: to,
          CopySource: `${this.bucket}/${from.split('/').map(encodeURIComponent).join('/')}`,
        }),
      )
      .catch((error: unknown) => {
        throw s3Error('copy', `${this.url(from)} to ${this.url(to)}`, error);
      });
  }

  /** The last `bytes` bytes of `key` (a ranged GetObject). */
  async tail(key: string, bytes: number): Promise<Buffer> {
    try {
      const res = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=-${bytes}` }),
      );
      return Buffer.from((await res.Body?.transformToByteArray()) ?? new Uint8Array());
    } catch (error) {
      throw s3Error('read', this.url(key), error);
    }
  }

  /** In the OS temp directory (the parts are uploaded from there); leftovers of killed runs go. */
  async staging(run: string): Promise<string> {
    for (const e of await readdir(tmpdir(), { withFileTypes: true }).catch(() => [])) {
      if (!e.isDirectory() || !e.name.startsWith('voicelake-compact-')) continue;
      const st = await lstat(join(tmpdir(), e.name)).catch(() => undefined);
      const mine = st !== undefined && (typeof process.getuid !== 'function' || st.uid === process.getuid());
      if (st && mine && Date.now() - st.mtimeMs > STALE_STAGING_MS)
        await rm(join(tmpdir(), e.name), { recursive: true, force: true }).catch(() => undefined);
    }
    return mkdtemp(join(tmpdir(), `voicelake-compact-${run}-`));
  }
}

/** The store of the lake `source` reads. */
export function storeFor(source: LakeSource): LakeStore {
  if (source instanceof LocalSource) return new LocalStore(source.dir, source.prefix);
  if (source instanceof S3Source) return new S3Store(source.client, source.bucket, source.prefix);
  throw new QueryError(`cannot compact ${source.description}: not a local or S3 lake`);
}
