/**
 * The lake layout on disk and in keys: a key's prefix and day (`parseKey`), the walk of a
 * directory's `year=/month=/day=` partitions over a range (never following a symlink), and the
 * read of one file without following one. Shared by the local source, the S3 query cache and
 * the reading of compacted days.
 */
import { constants, type Dirent } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { QueryError } from 'voicelake';
import { KEY_PATTERN } from 'voicelake/layout';
import { dayMs, inRange } from './days.js';
import type { DayRange, LakeObject } from './source.js';

/** The prefix and day of a layout key, or undefined when `key` is not one. */
export function parseKey(key: string): { prefix: string; day: string } | undefined {
  const m = KEY_PATTERN.exec(key);
  if (!m) return undefined;
  const [, prefix, year, month, day] = m as unknown as [string, string, string, string, string];
  const iso = `${year}-${month}-${day}`;
  return dayMs(iso) === undefined ? undefined : { prefix, day: iso };
}

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
