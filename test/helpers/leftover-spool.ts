/**
 * A leftover spool, as a process stopped before delivering would leave it: segments holding
 * `bytes` of events that no destination has delivered, cursors naming the destinations, no
 * lock. Written through the real `Spool`, so the files are exactly what the library writes.
 */
import { mkdirSync } from 'node:fs';
import { resolveConfig } from '../../packages/voicelake/src/config/resolve.js';
import { normalizeEvent } from '../../packages/voicelake/src/event.js';
import { silentLogger } from '../../packages/voicelake/src/logger.js';
import { identityKey } from '../../packages/voicelake/src/paths.js';
import { Spool } from '../../packages/voicelake/src/spool/spool.js';
import { freePort } from './net.js';
import { tempDir } from './tmp.js';

/** S3 that refuses connections (the backlog stays, and delivery costs nothing), a fresh state dir. */
export async function envWithDeadS3(bucket: string): Promise<Record<string, string>> {
  return {
    AWS_ENDPOINT_URL: `http://127.0.0.1:${await freePort()}`,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    ANALYTICS_S3_BUCKET: bucket,
    ANALYTICS_LOG_LEVEL: 'error',
    XDG_STATE_HOME: tempDir(`${bucket}-state`),
  };
}

/** The identity and default spool root of the configuration `env` describes. */
export function configOf(env: Record<string, string>) {
  const config = resolveConfig({ env, logger: silentLogger });
  if (config.spool === undefined) throw new Error('no spool in this configuration');
  return { identity: identityKey(config.identity), root: config.spool.dir, config };
}

/** Fill `dir` with about `bytes` of undelivered events (1 KiB each) for `destinations`; returns how many. */
export async function leaveSpool(
  dir: string,
  identity: string,
  bytes: number,
  destinations: readonly string[] = ['s3'],
): Promise<number> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const spool = await Spool.open({
    dir,
    identity,
    maxBytes: 4 * bytes + 64 * 1024 * 1024,
    segmentBytes: 8 * 1024 * 1024,
    commitIntervalMs: 50,
    cacheBytes: 1024 * 1024,
    logger: silentLogger,
  });
  for (const d of destinations) spool.register(d);
  const text = 'x'.repeat(900);
  const now = Date.now();
  let events = 0;
  while (spool.heldBytes < bytes) {
    const n = normalizeEvent(
      { type: 'llm_metrics', callId: `c-${events % 50}`, data: { seq: events, text } },
      1 << 20,
      now,
    );
    if (!n.ok) throw new Error(n.message);
    spool.append(n.record);
    events++;
    if (events % 5000 === 0) await spool.sync();
  }
  await spool.close();
  return events;
}
