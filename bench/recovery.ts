/**
 * 11. Recovery and adoption off the event loop (issue 22): the worst lateness of a 1 ms
 * interval timer and `monitorEventLoopDelay`'s max in a process tracking 1,000 events/s while
 * it adopts a leftover spool, starts on one of its own (ANALYTICS_SPOOL_DIR), or retries a
 * contended lock; beside the same process with nothing to recover. Each case is a fresh
 * process (test/fixtures/loop-gap.mjs on the built package), S3 refusing connections (the
 * backlog stays put). "Before" is what opening the spool cost on the loop until this change:
 * every segment read with `readFileSync` and decoded in one go (timed here on the same files).
 */
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeFrames } from '../packages/voicelake/src/spool/frame.js';
import { SEGMENT_RE } from '../packages/voicelake/src/spool/segment-files.js';
import { configOf, leaveSpool } from '../test/helpers/leftover-spool.js';
import { freePort } from '../test/helpers/net.js';
import { resultOf, runNode } from '../test/helpers/process.js';
import { round } from './common.js';

const fixture = resolve(import.meta.dirname, '../test/fixtures/loop-gap.mjs');

interface Gap {
  createMs: number;
  worstLateMs: number;
  worstLateRecoveringMs: number;
  eldMaxMs: number;
  recoveredMs: number;
  tracked: number;
}

export interface RecoveryCase {
  /** createAnalytics(), ms. */
  readonly createMs: number;
  /** Worst lateness of a 1 ms interval timer over the whole second measured (delivery attempts included), ms. */
  readonly worstLateMs: number;
  /** The same, until recovery was done (before delivery of the backlog starts), ms. */
  readonly worstLateRecoveringMs: number;
  /** monitorEventLoopDelay's max, ms. */
  readonly eldMaxMs: number;
  /** From createAnalytics() until recovery (and adoption, and the contended lock) was done, ms. */
  readonly recoveredMs: number;
  readonly tracked: number;
}

async function gap(env: Record<string, string>): Promise<RecoveryCase> {
  const run = await runNode(fixture, { ...env, VL_MIN_MS: '1000' }, 600_000);
  if (run.code !== 0) throw new Error(`loop-gap exited ${run.code}: ${run.stderr}`);
  const r = resultOf<Gap>(run.stdout);
  return {
    createMs: round(r.createMs),
    worstLateMs: round(r.worstLateMs),
    worstLateRecoveringMs: round(r.worstLateRecoveringMs),
    eldMaxMs: round(r.eldMaxMs),
    recoveredMs: round(r.recoveredMs),
    tracked: r.tracked,
  };
}

/** What opening the spool did on the loop before: read every segment synchronously and decode it. */
function synchronousRecoveryMs(dir: string): number {
  const t0 = performance.now();
  for (const name of readdirSync(dir).filter((f) => SEGMENT_RE.test(f)))
    decodeFrames(readFileSync(join(dir, name)));
  return performance.now() - t0;
}

/** A dead owner's lock whose takeover this (live) process holds: every attempt is contended. */
function contendedLock(dir: string): void {
  const stat = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
  const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  const lock = (pid: number, start: string, token: string) =>
    JSON.stringify({ pid, host: hostname(), bootId, startTime: start, token });
  writeFileSync(join(dir, 'LOCK'), lock(999_999, '', 'dead'));
  writeFileSync(join(dir, 'LOCK.takeover'), lock(process.pid, startTime, 'bench'));
}

export async function recovery(options: { quick: boolean; mib?: number }, work: string) {
  const mib = options.mib ?? (options.quick ? 8 : 1024);
  const env = {
    AWS_ENDPOINT_URL: `http://127.0.0.1:${await freePort()}`,
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    ANALYTICS_S3_BUCKET: 'vl-bench-recovery',
    ANALYTICS_LOG_LEVEL: 'error',
    XDG_STATE_HOME: join(work, 'recovery-state'),
  };
  const { identity, root } = configOf(env);
  const leftover = join(root, 'p-1-0123456789ab');
  const t0 = performance.now();
  const events = await leaveSpool(leftover, identity, mib * 1024 * 1024);
  const buildSeconds = round((performance.now() - t0) / 1000);
  const before = round(synchronousRecoveryMs(leftover));
  const dirs = join(work, 'recovery-dirs');
  const fresh = await gap({ ...env, ANALYTICS_SPOOL_DIR: join(dirs, 'fresh') });
  const adopting = await gap({ ...env, VL_EXPECT_ADOPTED: '1' });
  // The same leftover, now as the process's own (explicit) spool directory.
  const own = join(dirs, 'own');
  renameSync(leftover, own);
  const starting = await gap({ ...env, ANALYTICS_SPOOL_DIR: own });
  rmSync(own, { recursive: true, force: true });
  const contended = join(dirs, 'contended');
  await leaveSpool(contended, identity, 0);
  contendedLock(contended);
  const contention = await gap({
    ...env,
    ANALYTICS_SPOOL_DIR: join(dirs, 'fresh2'),
    VL_CONTEND_DIR: contended,
  });
  const worst = Math.max(
    adopting.worstLateRecoveringMs,
    starting.worstLateRecoveringMs,
    contention.worstLateRecoveringMs,
  );
  return {
    mib,
    events,
    buildSeconds,
    ratePerSecond: 1000,
    /** Before this change: the synchronous read and decode of every segment, one block on the loop. */
    beforeSynchronousMs: before,
    fresh,
    adopting,
    starting,
    contention,
    /** Recovery time now over the synchronous recovery before (adopting, starting). */
    recoveryRatio: {
      adopting: round(adopting.recoveredMs / Math.max(1, before)),
      starting: round(starting.recoveredMs / Math.max(1, before)),
    },
    targetMs: 20,
    /** The target, on the worst lateness while recovering (delivery's own stalls are the sinks'). */
    met: worst <= 20,
  };
}
