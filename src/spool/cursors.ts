/**
 * Per-destination cursors, persisted atomically (write a temp file, fsync, rename).
 * A cursor is the first sequence number the destination has not delivered. `inflight`
 * is the batch being sent, with its plan (e.g. S3 object keys), persisted before the
 * first attempt so that a replay after a crash reuses the same keys.
 */
import { readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';

export interface Inflight {
  readonly start: number;
  readonly end: number;
  readonly meta?: unknown;
}

export interface CursorState {
  seq: number;
  inflight?: Inflight | undefined;
}

export type CursorFile = Record<string, CursorState>;

const FILE = 'cursors.json';

export function readCursors(dir: string): CursorFile {
  try {
    const parsed = JSON.parse(readFileSync(join(dir, FILE), 'utf8')) as { destinations?: CursorFile };
    return parsed.destinations ?? {};
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    // A corrupt cursor file (cannot happen with rename, but disks lie): start from the spool's tail.
    return {};
  }
}

export async function writeCursors(dir: string, cursors: CursorFile): Promise<void> {
  const tmp = join(dir, `${FILE}.tmp`);
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(JSON.stringify({ version: 1, destinations: cursors }));
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(tmp, join(dir, FILE));
}
