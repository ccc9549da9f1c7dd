/**
 * The local lake as a `LakeSource`: a directory in the lake layout
 * (`<dir>/<prefix>year=YYYY/month=MM/day=DD/analytics-….json.gz`), as the local destination
 * and `voicelake demo` write it. Also the key and day helpers the S3 source shares.
 */

import { lstat, readFile } from 'node:fs/promises';
import { isAbsolute, join, sep } from 'node:path';
import { QueryError } from 'voicelake';
import { compactedDays } from './compacted.js';
import { LocalStore } from './local-store.js';
import { type LakeLocation, lakeDir, lakePrefix } from './location.js';
import { byKey, parseKey, readNoFollow, walkPartitions } from './partitions.js';
import type { DayRange, LakeObject, LakeSource, SyncResult } from './source.js';
import type { LakeStore } from './store.js';

export interface LocalSourceOptions {
  /** The lake directory. */
  readonly dir: string;
  /** Prefix inside the directory (the local destination's `local.prefix`), default none. */
  readonly prefix?: string;
}

export class LocalSource implements LakeSource {
  readonly kind = 'local' as const;
  readonly description: string;
  readonly prefix: string;
  /** The lake directory, absolute. */
  readonly dir: string;
  readonly location: LakeLocation;

  constructor(options: LocalSourceOptions) {
    this.dir = lakeDir(options.dir);
    this.prefix = lakePrefix(options.prefix ?? '');
    this.description = this.prefix ? join(options.dir, this.prefix) : options.dir;
    this.location = { kind: 'local', dir: this.dir, prefix: this.prefix };
  }

  store(): LakeStore {
    return new LocalStore(this.dir, this.prefix);
  }

  async compactedDays(range: DayRange): Promise<ReadonlySet<string>> {
    const root = join(this.dir, ...this.prefix.split('/').filter(Boolean));
    return new Set((await compactedDays(root, range)).map((c) => c.day));
  }

  private async requireDir(): Promise<void> {
    const st = await lstat(this.dir).catch(() => undefined);
    if (st === undefined)
      throw new QueryError(
        `no lake at ${this.dir}: the directory does not exist (set --data-dir or ANALYTICS_LAKE_DIR, or --bucket for S3; \`voicelake demo\` makes one)`,
      );
    if (!st.isDirectory()) throw new QueryError(`no lake at ${this.dir}: it is not a directory`);
  }

  async list(range?: DayRange): Promise<LakeObject[]> {
    await this.requireDir();
    const root = join(this.dir, ...this.prefix.split('/').filter(Boolean));
    const objects: LakeObject[] = [];
    for (const rel of await walkPartitions(root, range, (name) => name.endsWith('.json.gz'))) {
      const key = `${this.prefix}${rel}`;
      const parsed = parseKey(key);
      if (parsed === undefined || parsed.prefix !== this.prefix) continue;
      const st = await lstat(join(root, rel)).catch(() => undefined);
      if (!st?.isFile()) continue; // removed meanwhile
      objects.push({
        key,
        day: parsed.day,
        size: st.size,
        lastModified: st.mtime,
        etag: `${st.size.toString(16)}-${Math.trunc(st.mtimeMs).toString(16)}`,
      });
    }
    return objects.sort(byKey);
  }

  /**
   * An object by key (as `list` returns it, or without the prefix), else a file by path
   * (relative to the working directory). Lake files are read without following symlinks.
   */
  async read(keyOrPath: string): Promise<Buffer> {
    const candidates: string[] = [];
    if (!isAbsolute(keyOrPath) && !keyOrPath.split(/[\\/]/).includes('..')) {
      for (const key of [keyOrPath, `${this.prefix}${keyOrPath}`]) {
        const parsed = parseKey(key.split(sep).join('/'));
        if (parsed !== undefined && parsed.prefix === this.prefix) candidates.push(join(this.dir, key));
      }
    }
    for (const path of candidates) {
      try {
        return await readNoFollow(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw wrapRead(keyOrPath, error);
      }
    }
    try {
      return await readFile(keyOrPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw new QueryError(`no object ${keyOrPath} in ${this.description}, and no such file`);
      throw wrapRead(keyOrPath, error);
    }
  }

  async sync(range?: DayRange): Promise<SyncResult> {
    const objects = await this.list(range);
    return {
      dir: join(this.dir, ...this.prefix.split('/').filter(Boolean)),
      fetched: 0,
      fetchedBytes: 0,
      cached: objects.length,
    };
  }

  close(): void {}
}

function wrapRead(what: string, error: unknown): QueryError {
  if (error instanceof QueryError) return error;
  const e = error as NodeJS.ErrnoException;
  const why = e.code === 'ELOOP' ? 'it is a symlink' : e.code === 'EISDIR' ? 'it is a directory' : e.message;
  return new QueryError(`cannot read ${what}: ${why}`, { cause: error });
}
