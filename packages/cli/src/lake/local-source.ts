/**
 * The local lake as a `LakeSource`: a directory in the lake layout
 * (`<dir>/<prefix>year=YYYY/month=MM/day=DD/analytics-….json.gz`), as the local destination
 * and `voicelake demo` write it. Also the key and day helpers the S3 source shares.
 */

import { constants, type Dirent } from 'node:fs';
import { lstat, open, readdir, readFile } from 'node:fs/promises';
import { isAbsolute, join, sep } from 'node:path';
import { QueryError } from 'voicelake';
import { KEY_PATTERN } from 'voicelake/layout';
import { lakeDir, lakePrefix, withSlash } from './location.js';
import type { DayRange, LakeObject, LakeSource, SyncResult } from './source.js';

const DAY_MS = 86_400_000;
const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Epoch ms of a `YYYY-MM-DD` day (UTC), or undefined when it is not a real calendar day. */
export function dayMs(day: string): number | undefined {
  const m = DAY_RE.exec(day);
  if (!m) return undefined;
  const [, y, mo, d] = m.map(Number) as [number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  return back.getUTCFullYear() === y && back.getUTCMonth() === mo - 1 && back.getUTCDate() === d
    ? ms
    : undefined;
}

/** Every day of `range`, in order. */
export function daysOf(range: DayRange): string[] {
  const from = dayMs(range.from);
  const to = dayMs(range.to);
  if (from === undefined || to === undefined)
    throw new QueryError(`not a day range: ${range.from}..${range.to}`);
  const days: string[] = [];
  for (let ms = from; ms <= to; ms += DAY_MS) days.push(new Date(ms).toISOString().slice(0, 10));
  return days;
}

/** Number of days in `range` (0 when from > to). */
export function dayCount(range: DayRange): number {
  const from = dayMs(range.from);
  const to = dayMs(range.to);
  if (from === undefined || to === undefined)
    throw new QueryError(`not a day range: ${range.from}..${range.to}`);
  return Math.max(0, Math.round((to - from) / DAY_MS) + 1);
}

/** True when `day` is in `range` (always, without a range). `YYYY-MM-DD` strings compare in order. */
export const inRange = (day: string, range: DayRange | undefined): boolean =>
  range === undefined || (day >= range.from && day <= range.to);

/** The prefix and day of a layout key, or undefined when `key` is not one. */
export function parseKey(key: string): { prefix: string; day: string } | undefined {
  const m = KEY_PATTERN.exec(key);
  if (!m) return undefined;
  const [, prefix, year, month, day] = m as unknown as [string, string, string, string, string];
  const iso = `${year}-${month}-${day}`;
  return dayMs(iso) === undefined ? undefined : { prefix, day: iso };
}

export { withSlash };

/** Sort objects by key (code-unit order, the order S3 lists them in). */
export const byKey = (a: LakeObject, b: LakeObject): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

const PART = { year: /^year=(\d{4})$/, month: /^month=(\d{2})$/, day: /^day=(\d{2})$/ } as const;

/** Real directories only: a `Dirent` of a symlink is never a directory, so walking never follows one. */
async function dirs(dir: string, re: RegExp): Promise<[string, string][]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return [] as Dirent[];
    throw error;
  });
  const out: [string, string][] = [];
  for (const e of entries) {
    const m = e.isDirectory() ? re.exec(e.name) : null;
    if (m) out.push([e.name, m[1] as string]);
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/**
 * The files of the lake layout under `root` (a lake directory joined with its prefix) whose
 * day is in `range`, as paths relative to `root`: `year=…/month=…/day=…/<name>`. Whole years,
 * months and days outside the range are never read. Symlinks are neither followed nor listed.
 */
export async function walkPartitions(
  root: string,
  range: DayRange | undefined,
  accept: (name: string) => boolean = () => true,
): Promise<string[]> {
  const out: string[] = [];
  for (const [yName, y] of await dirs(root, PART.year)) {
    if (range && (y < range.from.slice(0, 4) || y > range.to.slice(0, 4))) continue;
    for (const [mName, m] of await dirs(join(root, yName), PART.month)) {
      const ym = `${y}-${m}`;
      if (range && (ym < range.from.slice(0, 7) || ym > range.to.slice(0, 7))) continue;
      for (const [dName, d] of await dirs(join(root, yName, mName), PART.day)) {
        if (!inRange(`${ym}-${d}`, range)) continue;
        const dayDir = join(root, yName, mName, dName);
        const files = await readdir(dayDir, { withFileTypes: true }).catch(() => [] as Dirent[]);
        for (const f of files)
          if (f.isFile() && accept(f.name)) out.push(`${yName}/${mName}/${dName}/${f.name}`);
      }
    }
  }
  return out;
}

/** Read a regular file without following a symlink at its last component. */
export async function readNoFollow(path: string): Promise<Buffer> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    if (!(await handle.stat()).isFile()) throw new QueryError(`${path} is not a regular file`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

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

  constructor(options: LocalSourceOptions) {
    this.dir = lakeDir(options.dir);
    this.prefix = lakePrefix(options.prefix ?? '');
    this.description = this.prefix ? join(options.dir, this.prefix) : options.dir;
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
