/**
 * The local lake's file writes: atomic, durable (the file and the directory entries that lead
 * to it are fsynced), and a failed write leaves no temp file behind.
 */
import { readdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EventRecord } from '../../packages/voicelake/src/event.js';
import { silentLogger } from '../../packages/voicelake/src/logger.js';
import { LocalSink } from '../../packages/voicelake/src/sinks/local.js';
import { emptyReport } from '../../packages/voicelake/src/sinks/types.js';
import { tempDir } from '../helpers/tmp.js';

const record = (i: number): EventRecord => {
  const line = JSON.stringify({ event_id: `e${i}`, i });
  return { line, bytes: line.length, timeMs: Date.UTC(2026, 10, 27, 12, 0, i) };
};
const sinkAt = (dir: string) =>
  new LocalSink({ dir, prefix: '', maxEvents: 1000, maxBytes: 1 << 20, gzipLevel: 1, logger: silentLogger });
const files = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
/** The prototype of node's FileHandle, to watch or break its methods. */
async function fileHandleProto(dir: string): Promise<Record<string, unknown>> {
  const handle = await open(dir, 'r');
  const proto = Object.getPrototypeOf(handle) as Record<string, unknown>;
  await handle.close();
  return proto;
}

describe('LocalSink file writes', () => {
  afterEach(() => vi.restoreAllMocks());

  it('fsyncs the file and every directory entry that leads to it in a new partition', async () => {
    // Prepare
    const lake = tempDir('vl-local');
    const proto = await fileHandleProto(lake);
    const syncs = vi.spyOn(proto as { sync(): Promise<void> }, 'sync');
    const datasyncs = vi.spyOn(proto as { datasync(): Promise<void> }, 'datasync');
    const sink = sinkAt(lake);
    // Act
    const outcome = await sink.send(
      sink.prepare([record(1), record(2)]),
      emptyReport(),
      new AbortController().signal,
    );
    // Assess: the file, then day=, month=, year= and the lake root's entries
    expect(outcome).toEqual({ kind: 'ok' });
    expect(files(lake)).toHaveLength(1);
    expect(datasyncs).toHaveBeenCalledTimes(1);
    expect(syncs).toHaveBeenCalledTimes(4);
  });

  it('a write that fails (the disk says EIO) leaves no temp file, and the batch is retried', async () => {
    // Prepare
    const lake = tempDir('vl-local');
    const proto = await fileHandleProto(lake);
    vi.spyOn(proto as { datasync(): Promise<void> }, 'datasync').mockRejectedValueOnce(
      Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }),
    );
    const sink = sinkAt(lake);
    const plan = sink.prepare([record(1)]);
    // Act
    const failed = await sink.send(plan, emptyReport(), new AbortController().signal);
    const left = files(lake);
    const retried = await sink.send(plan, emptyReport(), new AbortController().signal);
    // Assess
    expect(failed.kind).toBe('retry-later');
    expect(left).toEqual([]);
    expect(retried).toEqual({ kind: 'ok' });
    expect(files(lake).map((f) => f.endsWith('.json.gz'))).toEqual([true]);
  });
});
