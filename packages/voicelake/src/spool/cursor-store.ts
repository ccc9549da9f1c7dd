/**
 * The spool's cursors: per destination, the first sequence number not yet delivered, and
 * the batch in flight with its plan (persisted before the first attempt, so a replay after a
 * crash reuses the same S3 keys). Stored in `cursors.json`, written atomically (exclusive
 * temp file, fsync, rename) with the destination identity the spool feeds. What is read back
 * is validated: a segment backlog without a readable identity is no one's (never delivered);
 * a corrupt file of a spool without segments restarts every destination afresh.
 */
import { randomBytes } from 'node:crypto';
import { renameSync } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Inflight, Registration } from '../event-log.js';
import { openNew, readPrivate, writeNewSync } from '../private-fs.js';
import { pendingStarts, segmentStarts } from './segment-files.js';

export interface CursorState {
  seq: number;
  inflight?: Inflight | undefined;
}

export type CursorFile = Record<string, CursorState>;

export const CURSORS_FILE = 'cursors.json';

const seq = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const fileSchema = z.object({
  version: z.literal(1),
  identity: z.string().optional(),
  destinations: z.record(
    z.string(),
    z.object({
      seq,
      inflight: z
        .object({ start: seq, end: seq, meta: z.unknown().optional() })
        .refine((i) => i.end >= i.start, 'inflight.end < inflight.start')
        .optional(),
    }),
  ),
});

export interface LoadedCursors {
  readonly cursors: CursorFile;
  /** The destination identity recorded in the file, if any. */
  readonly identity: string | undefined;
  /** Why the file was unusable (then every destination restarts at the oldest record). */
  readonly corrupt: string | undefined;
}

/** Read and validate `cursors.json` (never through a symlink). */
export function loadCursors(dir: string): LoadedCursors {
  let buf: Buffer | undefined;
  try {
    buf = readPrivate(join(dir, CURSORS_FILE));
  } catch (error) {
    return { cursors: {}, identity: undefined, corrupt: (error as Error).message };
  }
  if (buf === undefined) return { cursors: {}, identity: undefined, corrupt: undefined };
  try {
    const parsed = fileSchema.parse(JSON.parse(buf.toString('utf8')));
    const cursors: CursorFile = {};
    for (const [name, c] of Object.entries(parsed.destinations)) {
      cursors[name] = { seq: c.seq, ...(c.inflight ? { inflight: c.inflight as Inflight } : {}) };
    }
    return { cursors, identity: parsed.identity, corrupt: undefined };
  } catch (error) {
    const reason = error instanceof z.ZodError ? error.issues[0]?.message : (error as Error).message;
    return { cursors: {}, identity: undefined, corrupt: reason ?? 'invalid' };
  }
}

/**
 * Why the events in `dir` cannot be shown to be for any destination, or undefined when they can
 * (or there are none): segment files, but no cursors.json, an unreadable one, or one without the
 * destination identity. Such a backlog is never delivered: "not ours" is the only safe reading.
 */
export function unprovenBacklog(dir: string, loaded: LoadedCursors): string | undefined {
  if (loaded.identity !== undefined) return undefined;
  const segments = segmentStarts(dir).length + pendingStarts(dir).length;
  if (segments === 0) return undefined;
  const why =
    loaded.corrupt !== undefined
      ? `its ${CURSORS_FILE} is unreadable (${loaded.corrupt})`
      : `its ${CURSORS_FILE} is missing or names no destinations`;
  return `spool directory ${dir} holds ${segments} segment file${segments === 1 ? '' : 's'}, but ${why}: no process can tell which destinations they are for, so none delivers them. Move the directory aside, or restore its ${CURSORS_FILE}.`;
}

const serialize = (identity: string, cursors: CursorFile): string =>
  JSON.stringify({ version: 1, identity, destinations: cursors });

const tempName = (dir: string): string => join(dir, `${CURSORS_FILE}.${randomBytes(6).toString('hex')}.tmp`);

export class CursorStore {
  readonly #dir: string;
  readonly #identity: string;
  readonly #cursors: CursorFile;
  readonly #registered = new Set<string>();
  readonly #corrupt: boolean;
  #dirty = false;
  #chain: Promise<void> = Promise.resolve();

  constructor(
    dir: string,
    identity: string,
    loaded: LoadedCursors,
    /** Throws unless `dir` is still the directory opened: checked before every write. */
    private readonly guard: () => void = () => undefined,
  ) {
    this.#dir = dir;
    this.#identity = identity;
    this.#cursors = loaded.cursors;
    this.#corrupt = loaded.corrupt !== undefined;
  }

  get dirty(): boolean {
    return this.#dirty;
  }

  /** Highest cursor saved, for numbering after every segment was deleted. */
  maxSeq(): number {
    let max = 0;
    for (const c of Object.values(this.#cursors)) max = Math.max(max, c.seq);
    return max;
  }

  /**
   * Where `destination` resumes. A destination new to the spool starts at `head` (events tracked
   * from now on); after a corrupt cursor file, every destination restarts at `tail`.
   */
  register(destination: string, head: number, tail: number): Registration {
    this.#registered.add(destination);
    const saved = this.#cursors[destination];
    const resumed = this.resume(destination, head, tail);
    if (saved === undefined) {
      this.#cursors[destination] = { seq: resumed.seq };
      this.#dirty = true;
    } else if (resumed.seq !== saved.seq || resumed.inflight !== saved.inflight) {
      // Ahead of what was recovered (an ack saved before its records were fsynced, then a
      // crash; or a tail cut): new records are numbered from `head`, so the saved position
      // would make their segments look delivered and get them deleted. Keep the clamped one.
      this.#cursors[destination] = resumed.inflight ? { ...resumed } : { seq: resumed.seq };
      this.#dirty = true;
    }
    return resumed;
  }

  /** Where `destination` would resume if it registered now (`register` without recording it). */
  resume(destination: string, head: number, tail: number): Registration {
    const saved = this.#cursors[destination];
    if (saved === undefined) return { seq: this.#corrupt ? tail : head };
    const seq = Math.min(Math.max(saved.seq, tail), head);
    const inflight = saved.inflight && saved.inflight.end <= head ? saved.inflight : undefined;
    return inflight ? { seq, inflight } : { seq };
  }

  beginBatch(destination: string, inflight: Inflight): void {
    const cursor = this.#cursors[destination] ?? { seq: inflight.start };
    cursor.inflight = inflight;
    this.#cursors[destination] = cursor;
    this.#dirty = true;
  }

  ack(destination: string, seq: number): void {
    this.#cursors[destination] = { seq };
    this.#dirty = true;
  }

  /**
   * Lowest position any registered destination still needs (an in-flight batch counts). Before
   * any registers (an adopted spool closed while it recovered), the saved cursors stand in for
   * them: what they still need is never taken for delivered.
   */
  min(head: number, tail: number): number {
    let min = head;
    const names = this.#registered.size > 0 ? this.#registered : Object.keys(this.#cursors);
    for (const name of names) {
      const c = this.#cursors[name];
      min = Math.min(min, c?.inflight ? Math.min(c.inflight.start, c.seq) : (c?.seq ?? tail));
    }
    return min;
  }

  /** Write the file now, synchronously (at open, so the identity is recorded before any event). */
  persistSync(): void {
    this.guard();
    const tmp = tempName(this.#dir);
    writeNewSync(tmp, serialize(this.#identity, this.#snapshot()));
    renameSync(tmp, join(this.#dir, CURSORS_FILE));
    this.#dirty = false;
  }

  /** Write the latest state; writes are serialized and each writes what is current when it runs. */
  persist(onError: (error: Error) => void): Promise<void> {
    const write = async (): Promise<void> => {
      if (!this.#dirty) return;
      this.#dirty = false;
      const tmp = tempName(this.#dir);
      try {
        this.guard();
        const handle = await openNew(tmp);
        try {
          await handle.writeFile(serialize(this.#identity, this.#snapshot()));
          await handle.datasync();
        } finally {
          await handle.close();
        }
        await rename(tmp, join(this.#dir, CURSORS_FILE));
      } catch (error) {
        this.#dirty = true;
        await unlink(tmp).catch(() => undefined);
        onError(error as Error);
      }
    };
    this.#chain = this.#chain.then(write, write);
    return this.#chain;
  }

  #snapshot(): CursorFile {
    const out: CursorFile = {};
    // Cursors of destinations not registered in this run are kept as they were.
    for (const [name, c] of Object.entries(this.#cursors)) out[name] = { ...c };
    return out;
  }
}
