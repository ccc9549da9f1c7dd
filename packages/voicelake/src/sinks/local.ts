/**
 * The local lake: a directory with the same layout and the same files as the S3 lake.
 * The embedded default when no AWS destination is configured. Files appear atomically
 * (written to a dot-temp file, fsynced, renamed, the directory fsynced), so a reader never sees
 * half a file and a power loss does not take back a file the spool has let go of. They
 * hold transcripts: directories are 0700 and files 0600, whatever the umask.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import type { EventRecord } from '../event.js';
import type { Logger } from '../logger.js';
import { mkdirPrivate, openNew, privateTreeProblem, syncDir } from '../private-fs.js';
import { type LakePlan, planLake, sendLakePlan } from './lake.js';
import type { SendReport, Sink, SinkOutcome } from './types.js';

export interface LocalSinkOptions {
  readonly dir: string;
  readonly prefix: string;
  readonly maxEvents: number;
  readonly maxBytes: number;
  readonly gzipLevel: number;
  readonly logger: Logger;
}

export class LocalSink implements Sink<LakePlan> {
  readonly name = 'local';
  readonly limits: { maxEvents: number; maxBytes: number };

  /**
   * Throws a `ConfigError` naming the path and the reason when the lake directory is unsafe: not
   * a private directory of this user (a symlink, another owner, group or other bits), or below a
   * directory another user can write. A missing one is created private at the first write.
   */
  constructor(private readonly options: LocalSinkOptions) {
    this.limits = { maxEvents: options.maxEvents, maxBytes: options.maxBytes };
    const problem = privateTreeProblem(options.dir, options.dir);
    if (problem !== undefined)
      throw new ConfigError(`unusable local lake directory ${options.dir}: ${problem}`);
  }

  prepare(records: readonly EventRecord[], meta?: unknown, writer?: string): LakePlan {
    return planLake(records, this.options.prefix, meta, { writer });
  }

  send(plan: LakePlan, report: SendReport, signal: AbortSignal): Promise<SinkOutcome> {
    return sendLakePlan(
      plan,
      report,
      signal,
      (key, body) => writeAtomic(this.options.dir, key, body),
      (key) => this.options.logger.debug(`Analytics written to local lake: ${join(this.options.dir, key)}`),
      4,
      this.options.gzipLevel,
    );
  }

  async close(): Promise<void> {}
}

/**
 * Write the lake file `key` under `root` 0600 (directories 0700, each checked: no symlink is
 * followed, none of them may be another user's or open to others; a `ConfigError` says which and
 * why): a dot-temp file created exclusively, fsynced, renamed, then its directory fsynced (and the
 * parents of directories just created), so that the file survives a power loss before the spool
 * lets go of its events. A failed write leaves no temp file behind.
 */
async function writeAtomic(root: string, key: string, body: Buffer): Promise<void> {
  const path = join(root, key);
  const dir = dirname(path);
  let created: string | undefined;
  try {
    created = await mkdirPrivate(root, dirname(key));
  } catch (error) {
    throw new ConfigError(`unusable local lake directory: ${(error as Error).message}`, { cause: error });
  }
  const tmp = join(dir, `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await openNew(tmp);
    try {
      await handle.writeFile(body);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  await syncDir(dir);
  // New partition directories: their entries in their parents too, down from the first one made.
  if (created !== undefined) {
    const top = dirname(resolve(created));
    for (let d = resolve(dir); d !== top && dirname(d) !== d; d = dirname(d)) await syncDir(dirname(d));
  }
}
