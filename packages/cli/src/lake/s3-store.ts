/**
 * The S3 lake's store: objects of one bucket, through the S3 source's client. A PUT is atomic
 * by itself and is sent with its Content-MD5, so S3 refuses a body damaged on the way.
 */
import { createHash } from 'node:crypto';
import { lstat, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { QueryError } from 'voicelake';
import { compactedDayPrefix } from './compacted-layout.js';
import { myUid } from './private-files.js';
import { listPages, s3Failure } from './s3.js';
import { byStoredKey, type LakeStore, STALE_STAGING_MS, type StoredFile } from './store.js';

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
    return out.sort(byStoredKey);
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

  /** In the OS temp directory (mkdtemp: 0700; the parts are uploaded from there); leftovers of killed runs go. */
  async staging(run: string): Promise<string> {
    for (const e of await readdir(tmpdir(), { withFileTypes: true }).catch(() => [])) {
      if (!e.isDirectory() || !e.name.startsWith('voicelake-compact-')) continue;
      const st = await lstat(join(tmpdir(), e.name)).catch(() => undefined);
      const mine = st !== undefined && (myUid() === undefined || st.uid === myUid());
      if (st && mine && Date.now() - st.mtimeMs > STALE_STAGING_MS)
        await rm(join(tmpdir(), e.name), { recursive: true, force: true }).catch(() => undefined);
    }
    return mkdtemp(join(tmpdir(), `voicelake-compact-${run}-`));
  }
}
