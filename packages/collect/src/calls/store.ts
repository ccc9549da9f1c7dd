/**
 * Pending calls on disk, so a collector restart keeps them (and their idle timeout): one
 * append-only log, `<dir>/calls.log`, 0600 in a 0700 directory, never opened through a symlink.
 *
 * Each line is one call's state, or `{"removed": <trace id>}`. A state line carries only the held
 * events and seen span ids added since the call's previous line (`heldFrom`, `seenFrom`: how many
 * of the previous line's it keeps); the rest of the state whole. A call's events are held until
 * its root span arrives, so whole states would make a call's saves grow with the square of its
 * spans.
 *
 * A save is prepared (its lines serialized) before the spool commits the events those states
 * count, and written (one durable append, whatever the number of calls) only once that
 * commit resolved: a crash never leaves a span marked seen whose events were lost. When the log
 * has grown to four times its size after the last rewrite (and past 4 MiB), or its tail is torn,
 * or an append failed, the next save rewrites it whole instead: every known call's full state in a
 * new file, fsynced, renamed over the log, the directory fsynced.
 *
 * Read back line by line, each state validated field by field: a line that fails is counted and
 * skipped. The previous layout (one `<trace id>.json` per call) is read once, then folded into the
 * log by the first save.
 */
import { constants, readdirSync, renameSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePrivateTree, openAppend, openNew, readPrivate, syncDir } from 'voicelake/state-files';
import { type CallState, type HeldEvent, parseCall } from './call.js';

const LOG = 'calls.log';
const TRACE_ID = /^[0-9a-f]{32}$/;
const LEGACY_FILE = /^([0-9a-f]{32})\.json$/;
/** The log is rewritten once it is past this size and four times its size after the last rewrite. */
const COMPACT_MIN_BYTES = 4 * 1024 * 1024;

/** What the log holds of a call: its arrays as of its last line (the same arrays, and their lengths). */
interface Base {
  readonly call: CallState;
  readonly held: readonly HeldEvent[];
  readonly heldLen: number;
  readonly seen: readonly string[];
  readonly seenLen: number;
}

/** A save's lines, serialized; written by {@link CallStore.write} once their events are durable. */
export interface PreparedSave {
  readonly text: string;
  readonly bases: readonly Base[];
  readonly removed: readonly string[];
  /** The text is the whole log (a rewrite), not lines to append. */
  readonly rewrite: boolean;
}

const baseOf = (call: CallState): Base => ({
  call,
  held: call.held,
  heldLen: call.held.length,
  seen: call.seen,
  seenLen: call.seen.length,
});

/** A call's line: what is new since `base` when the log holds it, else its whole state. */
function lineOf(call: CallState, base: Base | undefined): string {
  const firstMs = Number.isFinite(call.firstMs) ? call.firstMs : null;
  const heldFrom =
    base !== undefined && base.held === call.held && call.held.length >= base.heldLen ? base.heldLen : 0;
  const seenFrom =
    base !== undefined && base.seen === call.seen && call.seen.length >= base.seenLen ? base.seenLen : 0;
  return JSON.stringify({
    ...call,
    firstMs,
    heldFrom,
    held: heldFrom === 0 ? call.held : call.held.slice(heldFrom),
    seenFrom,
    seen: seenFrom === 0 ? call.seen : call.seen.slice(seenFrom),
  });
}

export class CallStore {
  /** States that could not be read back (invalid JSON or shape): counted and skipped. */
  invalid = 0;
  /** Every call the log holds, with what its last line holds. */
  readonly #known = new Map<string, Base>();
  /** Calls forgotten since the last prepared save: their removal goes into the next one. */
  readonly #removed = new Set<string>();
  readonly #log: string;
  #logBytes = 0;
  /** The log's size after its last rewrite (or at load): it is rewritten at four times that. */
  #compactBytes = 0;
  #handle: FileHandle | undefined;
  /** The next save rewrites the log: a torn tail, a failed append, old files to fold in. */
  #rewriteNext = false;
  /** A rewrite is prepared and not yet written (or failed). */
  #rewriting = false;
  #legacy: string[] = [];

  constructor(
    readonly dir: string,
    base: string,
  ) {
    ensurePrivateTree(base, dir);
    this.#log = join(dir, LOG);
  }

  /** Every pending call left by a previous run. */
  load(): CallState[] {
    const calls = new Map<string, CallState>();
    for (const call of this.#loadLegacy()) calls.set(call.traceId, call);
    const data = readPrivate(this.#log);
    if (data !== undefined) {
      this.#logBytes = data.length;
      this.#compactBytes = data.length;
      const lines = data.toString('utf8').split('\n');
      // What follows the last newline is empty, or a line whose append was cut short.
      const tail = lines.pop() ?? '';
      for (const line of lines) this.#replay(line, calls, true);
      if (tail !== '') {
        this.#replay(tail, calls, false);
        this.#rewriteNext = true;
      }
    }
    for (const call of calls.values()) this.#known.set(call.traceId, baseOf(call));
    if (this.#legacy.length > 0) this.#rewriteNext = true;
    return [...calls.values()];
  }

  /**
   * Write these calls' states durably: serialized now, written once `ready` resolved (the events
   * they count are durable). When `ready` rejects, nothing is written.
   */
  async save(calls: Iterable<CallState>, ready: () => Promise<void> = async () => {}): Promise<void> {
    const prepared = this.prepare(calls);
    try {
      await ready();
    } catch (error) {
      this.discard(prepared);
      throw error;
    }
    await this.write(prepared);
  }

  /** A prepared save that will not be written (the commit it waited for failed): its removals go into the next. */
  discard(prepared: PreparedSave): void {
    if (prepared.rewrite) this.#rewriting = false;
    for (const traceId of prepared.removed) this.#removed.add(traceId);
  }

  /**
   * Serialize a save: these calls' lines and the removals since the last one, or, when the log is
   * due for a rewrite, every known call's whole state. The caller makes the events durable, then
   * calls {@link write}; writes must come in the order of their preparation.
   */
  prepare(calls: Iterable<CallState>): PreparedSave {
    const removed = [...this.#removed];
    this.#removed.clear();
    // One rewrite at a time: the saves prepared while it is written append after it (their lines
    // continue states the rewrite holds in full), and fail if it does.
    const rewrite =
      !this.#rewriting &&
      (this.#rewriteNext ||
        (this.#logBytes > COMPACT_MIN_BYTES && this.#logBytes > 4 * Math.max(this.#compactBytes, 1)));
    if (rewrite) {
      this.#rewriting = true;
      const all = new Map<string, CallState>();
      for (const [traceId, base] of this.#known) all.set(traceId, base.call);
      for (const call of calls) all.set(call.traceId, call);
      const bases = [...all.values()].map(baseOf);
      const text = bases.map((b) => `${lineOf(b.call, undefined)}\n`).join('');
      return { text, bases, removed, rewrite };
    }
    const bases: Base[] = [];
    let text = '';
    for (const call of calls) {
      text += `${lineOf(call, this.#known.get(call.traceId))}\n`;
      bases.push(baseOf(call));
    }
    for (const traceId of removed) text += `${JSON.stringify({ removed: traceId })}\n`;
    return { text, bases, removed, rewrite };
  }

  /**
   * Write a prepared save: one durable append (the log is opened `O_DSYNC`), or the rewrite of the
   * whole log. Saves are written one at a time, in the order they were prepared.
   */
  async write(prepared: PreparedSave): Promise<void> {
    if (prepared.rewrite) {
      try {
        await this.#rewrite(prepared.text);
      } finally {
        this.#rewriting = false;
      }
    } else if (this.#rewriteNext)
      // Prepared before an append failed: the log may end in part of a line, so nothing goes after it.
      throw new Error(`${this.#log}: an earlier append failed; the next save rewrites the log`);
    else if (prepared.text !== '') {
      const bytes = Buffer.from(prepared.text);
      try {
        this.#handle ??= await this.#openLog();
        // Opened O_APPEND | O_DSYNC: the bytes go to the end and are durable when the write
        // returns, with no fdatasync after it.
        await this.#handle.appendFile(bytes);
      } catch (error) {
        // A part of the text may be in the file: the next save rewrites the log from what is known.
        this.#rewriteNext = true;
        await this.#closeLog();
        throw error;
      }
      this.#logBytes += bytes.length;
    }
    for (const base of prepared.bases) {
      const traceId = base.call.traceId;
      // A call forgotten meanwhile stays forgotten.
      if (!this.#removed.has(traceId) && !prepared.removed.includes(traceId)) this.#known.set(traceId, base);
    }
  }

  /** Forget a call for good (written with the next save). */
  remove(traceId: string): void {
    this.#known.delete(traceId);
    this.#removed.add(traceId);
  }

  /** Release the log's descriptor. */
  async close(): Promise<void> {
    await this.#closeLog();
  }

  /** One line of the log into `calls`; a line that fails is counted (a torn tail is not). */
  #replay(line: string, calls: Map<string, CallState>, complete: boolean): void {
    if (line === '') return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      if (complete) this.invalid++;
      return;
    }
    const o = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    if (typeof o.removed === 'string' && TRACE_ID.test(o.removed)) {
      calls.delete(o.removed);
      return;
    }
    const traceId = typeof o.traceId === 'string' && TRACE_ID.test(o.traceId) ? o.traceId : undefined;
    const prev = traceId === undefined ? undefined : calls.get(traceId);
    const held = continued(o.held, o.heldFrom, prev?.held);
    const seen = continued(o.seen, o.seenFrom, prev?.seen);
    const call =
      traceId === undefined || held === undefined || seen === undefined
        ? undefined
        : parseCall({ ...o, held, seen }, traceId);
    if (call === undefined) this.invalid++;
    else calls.set(call.traceId, call);
  }

  /** The previous layout's files: read, validated (a bad one set aside as `.bad`), folded in at the first save. */
  #loadLegacy(): CallState[] {
    const calls: CallState[] = [];
    for (const name of readdirSync(this.dir)) {
      const m = LEGACY_FILE.exec(name);
      if (m === null) continue;
      const path = join(this.dir, name);
      let call: CallState | undefined;
      try {
        const data = readPrivate(path);
        call = data === undefined ? undefined : parseCall(JSON.parse(data.toString('utf8')), m[1] as string);
      } catch {
        call = undefined;
      }
      if (call === undefined) {
        this.invalid++;
        try {
          renameSync(path, `${path}.bad`);
        } catch {
          // Left in place; it is skipped again next time.
        }
        continue;
      }
      this.#legacy.push(path);
      calls.push(call);
    }
    return calls;
  }

  /** The whole log in a new file, fsynced, renamed over the log, the directory fsynced. */
  async #rewrite(text: string): Promise<void> {
    const tmp = join(this.dir, `.${LOG}.tmp`);
    try {
      const handle = await openNew(tmp);
      try {
        await handle.writeFile(text);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await this.#closeLog();
      await rename(tmp, this.#log);
      await syncDir(this.dir);
    } catch (error) {
      this.#rewriteNext = true;
      throw error;
    }
    this.#rewriteNext = false;
    this.#logBytes = Buffer.byteLength(text);
    this.#compactBytes = this.#logBytes;
    // The old files' states are in the log now, durably.
    for (const path of this.#legacy.splice(0)) await unlink(path).catch(() => undefined);
  }

  async #openLog(): Promise<FileHandle> {
    try {
      return await openAppend(this.#log, false, constants.O_DSYNC);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return openAppend(this.#log, true, constants.O_DSYNC);
    }
  }

  async #closeLog(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close().catch(() => undefined);
  }
}

/** A line's array continued from the previous line's: its first `from` items, then the line's. */
function continued<T>(items: unknown, from: unknown, prev: readonly T[] | undefined): unknown[] | undefined {
  if (!Array.isArray(items)) return undefined;
  const n = from === undefined ? 0 : from;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) return undefined;
  if (n === 0) return items;
  if (prev === undefined || prev.length < n) return undefined;
  return [...prev.slice(0, n), ...items];
}
