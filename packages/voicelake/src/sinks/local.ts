/**
 * The local lake: a directory with the same layout and the same files as the S3 lake.
 * The embedded default when no AWS destination is configured. Files appear atomically
 * (written to a dot-temp file, fsynced, renamed), so a reader never sees half a file. They
 * hold transcripts: directories are 0700 and files 0600, whatever the umask.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { EventRecord } from '../event.js';
import type { Logger } from '../logger.js';
import { mkdirPrivate, openNew } from '../private-fs.js';
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

  constructor(private readonly options: LocalSinkOptions) {
    this.limits = { maxEvents: options.maxEvents, maxBytes: options.maxBytes };
  }

  prepare(records: readonly EventRecord[], meta?: unknown): LakePlan {
    return planLake(records, this.options.prefix, meta);
  }

  send(plan: LakePlan, report: SendReport, signal: AbortSignal): Promise<SinkOutcome> {
    return sendLakePlan(
      plan,
      report,
      signal,
      (key, body) => writeAtomic(join(this.options.dir, key), body),
      (key) => this.options.logger.debug(`Analytics written to local lake: ${join(this.options.dir, key)}`),
      4,
      this.options.gzipLevel,
    );
  }

  async close(): Promise<void> {}
}

/** Write a lake file 0600 (directories 0700): a dot-temp file created exclusively, fsynced, renamed. */
async function writeAtomic(path: string, body: Buffer): Promise<void> {
  await mkdirPrivate(dirname(path));
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await openNew(tmp);
  try {
    await handle.writeFile(body);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}
