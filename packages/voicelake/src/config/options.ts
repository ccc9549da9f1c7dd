/**
 * The options a user passes to `createAnalytics()`. Every default lives in `DEFAULTS`
 * (defaults.ts) and is listed in docs/configuration.md; precedence is explicit option,
 * then environment variable, then default.
 */
import type { Logger } from '../logger.js';

/** AWS client settings shared by S3 and CloudWatch. The SDK's own variables apply. */
export interface AwsClientConfig {
  /** Default: `AWS_REGION`, else `AWS_DEFAULT_REGION`, else the SDK's own resolution. */
  readonly region?: string | undefined;
  /** Default: `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL_CLOUDWATCH_LOGS`, else `AWS_ENDPOINT_URL`, else AWS. */
  readonly endpoint?: string | undefined;
  /** Path-style S3 addressing. Default: true when an endpoint is set (moto, MinIO). */
  readonly forcePathStyle?: boolean | undefined;
  /** Connect timeout, ms. Default `DEFAULTS.aws.connectionTimeoutMs` (3000). */
  readonly connectionTimeoutMs?: number | undefined;
  /** Per-request timeout, ms. Default `DEFAULTS.aws.requestTimeoutMs` (30000). */
  readonly requestTimeoutMs?: number | undefined;
}

/** The S3 lake. Defaults: `DEFAULTS.s3`. */
export interface S3Options {
  /** Bucket name. Default: `ANALYTICS_S3_BUCKET`; unset disables S3. */
  bucket?: string;
  /** Key prefix before `year=`. Default: `ANALYTICS_S3_PREFIX`, else none. No `..`, no leading `/`, no `year=`. */
  prefix?: string;
  /** Longest an event waits before upload, ms. */
  intervalMs?: number;
  /** Upload once this many raw bytes are pending. */
  maxBatchBytes?: number;
  /** Upload once this many events are pending. */
  maxBatchEvents?: number;
  /** gzip level 1-9. */
  gzipLevel?: number;
  /** Parallel PutObject requests per batch. */
  concurrency?: number;
  /** `AES256` (SSE-S3) or `aws:kms` (SSE-KMS). Default: `ANALYTICS_S3_SSE`, else the bucket's default. */
  serverSideEncryption?: 'AES256' | 'aws:kms';
  /** KMS key for `aws:kms`. Default: `ANALYTICS_S3_KMS_KEY_ID`. */
  kmsKeyId?: string;
  /** Refuse to write unless the bucket belongs to this account id. Default: `ANALYTICS_S3_EXPECTED_OWNER`. */
  expectedBucketOwner?: string;
}

/** CloudWatch Logs. Defaults: `DEFAULTS.cloudWatch`. */
export interface CloudWatchOptions {
  /** Log group. Default: `ANALYTICS_LOG_GROUP`; unset disables CloudWatch. */
  logGroup?: string;
  /** Log stream. Default: `ANALYTICS_LOG_STREAM`, else `<host>-<pid>-<start time>` (one per process). */
  logStream?: string;
  /** Retention set on a log group voicelake creates. Default: `ANALYTICS_LOG_RETENTION_DAYS`, else `DEFAULTS.cloudWatch.retentionDays`. */
  retentionDays?: number;
  /** KMS key ARN for a log group voicelake creates. Default: `ANALYTICS_LOG_KMS_KEY_ID`. An existing group keeps its key. */
  kmsKeyId?: string;
  /**
   * Log class of a group voicelake creates. Default: `ANALYTICS_LOG_CLASS`, else `STANDARD`.
   * `INFREQUENT_ACCESS` halves the ingestion price but extracts no EMF metrics and has no metric
   * filters, subscription filters or Live Tail (Logs Insights works): it needs `emf: false`.
   * A group's class never changes after it is created.
   */
  logGroupClass?: CloudWatchLogGroupClass;
  /**
   * Put `retentionDays` on a log group that already exists too. Default:
   * `ANALYTICS_LOG_APPLY_TO_EXISTING` (`true`), else false: an existing group is left as it is.
   */
  applyToExisting?: boolean;
  /**
   * Which event types go to CloudWatch: `'all'` (default), a list of types, or a predicate.
   * Default: `ANALYTICS_CLOUDWATCH_EVENTS` (a comma list, or `all`). Other events are skipped
   * (counted in `stats().destinations.cloudwatch.filtered`); S3 and the local lake get every event.
   */
  events?: CloudWatchEventFilter;
  /**
   * Call metrics in the embedded metric format: each `call_ended` also becomes an EMF document
   * in the same stream. On by default; `false` (or `ANALYTICS_EMF=off`) turns it off.
   */
  emf?: EmfOptions | false;
  /** Longest an event waits before PutLogEvents, ms. */
  intervalMs?: number;
  /** Raw bytes per PutLogEvents request, at most CloudWatch's 1 MiB. */
  maxBatchBytes?: number;
  /** CloudWatch's per-event size limit (message + 26 bytes). Larger messages are truncated and marked. */
  maxEventBytes?: number;
}

/** Log classes voicelake can create a group in. */
export type CloudWatchLogGroupClass = 'STANDARD' | 'INFREQUENT_ACCESS';

/** Event types sent to CloudWatch: every one, a list, or a predicate on the event type. */
export type CloudWatchEventFilter = 'all' | readonly string[] | ((eventType: string) => boolean);

/** Embedded metric format call metrics. Defaults: `DEFAULTS.cloudWatch.emf`. */
export interface EmfOptions {
  /** CloudWatch metrics namespace. Default: `ANALYTICS_EMF_NAMESPACE`, else `Voicelake`. */
  namespace?: string;
}

/** The local lake directory. Defaults: `DEFAULTS.local`. */
export interface LocalOptions {
  /** Lake directory. Default: `ANALYTICS_LAKE_DIR`, else `./voicelake-data`. */
  dir?: string;
  /** Prefix inside the directory. */
  prefix?: string;
  /** Longest an event waits before its file is written, ms. */
  intervalMs?: number;
  /** Write once this many raw bytes are pending. */
  maxBatchBytes?: number;
  /** Write once this many events are pending. */
  maxBatchEvents?: number;
  /** gzip level 1-9. */
  gzipLevel?: number;
}

/** The durable spool. Defaults: `DEFAULTS.spool`. */
export interface SpoolConfigOptions {
  /**
   * Spool directory, used by one process at a time. Default: `ANALYTICS_SPOOL_DIR` (`off`
   * disables), else a private per-user directory for this application's destinations.
   */
  dir?: string;
  /** Largest spool on disk; beyond it the oldest events are dropped (counted, logged). */
  maxBytes?: number;
  /** Segment file size. */
  segmentBytes?: number;
  /** Group commit interval (one write + fdatasync), ms. */
  commitIntervalMs?: number;
  /** Recent events kept in memory for fast reads. */
  cacheBytes?: number;
}

/** Which text is redacted before anything is written (spool, CloudWatch, the lake). */
export interface RedactOptions {
  /**
   * Text to redact: `transcript` (user speech) and `text` (agent replies) by default; add
   * `message` (error messages) and `custom` (every string in custom fields: tool arguments and
   * outputs). Default: `ANALYTICS_REDACT` (a comma list, or `off`), else `transcript,text`.
   */
  fields?: readonly RedactField[];
  /** Your own redactor, run after the built-in one on the same text. If it throws, the text is dropped. */
  redactor?: (text: string) => string;
}

/** Text fields redaction can cover. */
export type RedactField = 'transcript' | 'text' | 'message' | 'custom';

export interface AnalyticsOptions {
  /**
   * PII redaction inside `track()`: emails, phone numbers, payment cards (Luhn), US SSNs, IBANs
   * become `[EMAIL]`, `[PHONE]`, `[CARD]`, `[SSN]`, `[IBAN]`, counted in `stats().redacted`.
   * On by default for transcripts and agent text; `false` turns it off.
   */
  redact?: RedactOptions | false;
  /**
   * The durable spool: events survive crashes and outages and are delivered after a restart.
   * `false` keeps a bounded memory buffer instead (loss on crash is counted, not prevented).
   */
  spool?: SpoolConfigOptions | false;
  /** S3 lake; `false` disables it whatever the environment says. */
  s3?: S3Options | false;
  /** CloudWatch Logs; `false` disables it. */
  cloudWatch?: CloudWatchOptions | false;
  /**
   * Local lake directory. Default: enabled when `ANALYTICS_LAKE_DIR` is set, or when neither
   * S3 nor CloudWatch is configured (the embedded default). `false` disables it.
   */
  local?: LocalOptions | false;
  /** AWS client settings shared by S3 and CloudWatch. */
  aws?: AwsClientConfig;
  /** Largest accepted event line, bytes. Larger inputs are rejected as `too_large`. Default `DEFAULTS.maxEventBytes`. */
  maxEventBytes?: number;
  /** Memory held for undelivered events; beyond it the oldest are dropped and counted. Default `DEFAULTS.bufferBytes`. */
  bufferBytes?: number;
  /** A pino-compatible logger. Default: pino on stderr at `ANALYTICS_LOG_LEVEL` (info). */
  logger?: Logger;
  /** Environment to read instead of `process.env` (tests, multi-tenant hosts). */
  env?: Record<string, string | undefined>;
}
