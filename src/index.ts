/**
 * voicelake: every analytics event of a voice agent to CloudWatch Logs and a GZIP,
 * Hive-partitioned S3 lake, without blocking the agent.
 *
 * Internals (the log, the sinks, the batching) are deliberately not exported: they
 * may change without notice. Everything a user needs goes through `createAnalytics`.
 */
export type {
  AnalyticsOptions,
  CloudWatchOptions,
  LocalOptions,
  S3Options,
  SpoolConfigOptions,
} from './config.js';
export type { DestinationStats, FlushOutcome } from './destination.js';
export { ConfigError, QueryError, SpoolError, VoicelakeError } from './errors.js';
export type { RejectReason, TrackInput, TrackResult } from './event.js';
export { REJECT_REASONS } from './event.js';
export type { Logger } from './logger.js';
export type { AnalyticsStats, CloseResult, FlushResult } from './pipeline.js';
export { Analytics, createAnalytics } from './pipeline.js';
export type { EventRow, KnownData } from './schema.js';
export { SCHEMA_VERSION } from './schema.js';
export type { ShutdownOptions } from './shutdown.js';
export { installShutdownHandlers } from './shutdown.js';
export type { SpoolStats } from './spool/spool.js';
