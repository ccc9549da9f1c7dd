/**
 * voicelake: every analytics event of a voice agent to CloudWatch Logs and a GZIP,
 * Hive-partitioned S3 lake, without blocking the agent.
 *
 * Internals (the log, the sinks, the batching) are deliberately not exported: they
 * may change without notice. Everything a user needs goes through `createAnalytics`.
 * Tools get deliberate subpaths: `voicelake/livekit`, `voicelake/schema`,
 * `voicelake/spool` and `voicelake/demo`.
 */
export type { AnalyticsStats, CloseResult, FlushResult } from './analytics.js';
export { Analytics, createAnalytics } from './analytics.js';
export { DEFAULTS } from './config/defaults.js';
export type {
  AnalyticsOptions,
  AwsClientConfig,
  CloudWatchEventFilter,
  CloudWatchLogGroupClass,
  CloudWatchOptions,
  EmfOptions,
  LocalOptions,
  RedactField,
  RedactOptions,
  S3Options,
  SpoolConfigOptions,
} from './config/options.js';
export type { DestinationState, DestinationStats } from './destination-stats.js';
export { CollectError, ConfigError, QueryError, SpoolError, VoicelakeError } from './errors.js';
export type { RejectReason, TrackInput, TrackResult } from './event.js';
export { REJECT_REASONS } from './event.js';
export { defaultLogger, type Logger } from './logger.js';
export type { FlushOutcome } from './outcomes.js';
export { REDACTION_KINDS, type RedactionKind, type Redactor, redactText } from './redact.js';
export type { EventRow, KnownData } from './schema.js';
export { SCHEMA_VERSION } from './schema.js';
export type { ShutdownOptions } from './shutdown.js';
export { installShutdownHandlers } from './shutdown.js';
export type { SpoolState } from './spool/open.js';
export type { SpoolStats } from './spool/spool.js';
