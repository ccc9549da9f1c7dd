/**
 * The one place that knows the concrete sinks: config in, sinks out, with the seed's
 * log lines about what is enabled. `Analytics` only sees the `Sink` interface.
 */
import type { ResolvedConfig } from '../config/resolve.js';
import { silentLogger } from '../logger.js';
import { CloudWatchSink } from './cloudwatch.js';
import { LocalSink } from './local.js';
import { S3Sink } from './s3.js';
import type { Sink } from './types.js';

export interface ConfiguredSink {
  readonly sink: Sink;
  /** Longest an event waits before its batch is sent, ms. */
  readonly intervalMs: number;
}

/** The configured sinks. `quiet` skips the enabled/disabled lines (for a second set, e.g. adoption). */
export function createSinks(config: ResolvedConfig, quiet = false): ConfiguredSink[] {
  const { s3, cloudWatch, local, aws } = config;
  const logger = config.logger;
  const say = quiet ? silentLogger : logger;
  const out: ConfiguredSink[] = [];
  if (s3) {
    say.info(`S3 analytics enabled: bucket=${s3.bucket}`);
    const sink = new S3Sink({
      ...s3,
      maxEvents: s3.maxBatchEvents,
      maxBytes: s3.maxBatchBytes,
      client: { ...aws, endpoint: s3.endpoint },
      logger,
    });
    out.push({ sink, intervalMs: s3.intervalMs });
  } else if (cloudWatch) {
    say.warn('S3 analytics disabled');
  } else {
    say.info('S3 analytics disabled');
  }
  if (cloudWatch) {
    const events =
      typeof cloudWatch.events === 'function'
        ? 'a predicate'
        : cloudWatch.events === 'all'
          ? 'all'
          : cloudWatch.events.join(',') || 'none';
    say.info(
      `CloudWatch analytics enabled: group=${cloudWatch.logGroup} stream=${cloudWatch.logStream} events=${events} emf=${cloudWatch.emf ? cloudWatch.emf.namespace : 'off'}`,
    );
    const sink = new CloudWatchSink({
      ...cloudWatch,
      client: { ...aws, endpoint: cloudWatch.endpoint },
      logger,
    });
    out.push({ sink, intervalMs: cloudWatch.intervalMs });
  } else if (s3) {
    say.warn('CloudWatch analytics disabled: ANALYTICS_LOG_GROUP is not set');
  }
  if (local) {
    say.info(`Local lake analytics enabled: dir=${local.dir}`);
    const sink = new LocalSink({
      dir: local.dir,
      prefix: local.prefix,
      maxEvents: local.maxBatchEvents,
      maxBytes: local.maxBatchBytes,
      gzipLevel: local.gzipLevel,
      logger,
    });
    out.push({ sink, intervalMs: local.intervalMs });
  }
  return out;
}
