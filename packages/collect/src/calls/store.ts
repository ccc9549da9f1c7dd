/**
 * Pending calls on disk, so a collector restart keeps them (and their idle timeout): one file
 * per trace, `<dir>/<trace id>.json`, 0600 in a 0700 directory, replaced atomically (a new file
 * created exclusively, fsynced, renamed, the directory fsynced), never through a symlink, and
 * validated field by field when read back: a file that fails is set aside and counted.
 */
import { readdirSync, renameSync, unlinkSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePrivateTree, openNew, readPrivate, syncDir } from 'voicelake/state-files';
import { type CallState, parseCall } from './call.js';

const FILE = /^([0-9a-f]{32})\.json$/;

export class CallStore {
  /** Files that could not be read back (invalid JSON or shape), set aside as `.bad`. */
  invalid = 0;

  constructor(
    readonly dir: string,
    base: string,
  ) {
    ensurePrivateTree(base, dir);
  }

  /** Every pending call left by a previous run. */
  load(): CallState[] {
    const calls: CallState[] = [];
    for (const name of readdirSync(this.dir)) {
      const m = FILE.exec(name);
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
      calls.push(call);
    }
    return calls;
  }

  /**
   * Write these calls durably, each replaced atomically: every file written and fsynced side by
   * side, then, once `ready` resolved (the events they count are durable), renamed into place,
   * then the directory fsynced once. When `ready` rejects, nothing replaces the old files.
   */
  async save(calls: Iterable<CallState>, ready: () => Promise<void> = async () => {}): Promise<void> {
    const all = [...calls];
    const written = await Promise.all(all.map((call) => this.#write(call)));
    await ready();
    if (written.length === 0) return;
    // Asynchronous: a rename waits on the file system, and the event loop serves other requests meanwhile.
    await Promise.all(written.map(({ tmp, path }) => rename(tmp, path)));
    await syncDir(this.dir);
  }

  /** The call's state in a new temporary file, fsynced; its final path. */
  async #write(call: CallState): Promise<{ tmp: string; path: string }> {
    const path = join(this.dir, `${call.traceId}.json`);
    const tmp = join(this.dir, `.${call.traceId}.tmp`);
    const handle = await openNew(tmp);
    try {
      await handle.writeFile(
        JSON.stringify({ ...call, firstMs: Number.isFinite(call.firstMs) ? call.firstMs : null }),
      );
      await handle.sync();
    } finally {
      await handle.close();
    }
    return { tmp, path };
  }

  /** Forget a call for good. */
  remove(traceId: string): void {
    try {
      unlinkSync(join(this.dir, `${traceId}.json`));
    } catch {
      // Already gone.
    }
  }
}
