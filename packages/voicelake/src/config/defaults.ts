/**
 * Every default of voicelake, in one place. Resolution (resolve.ts) reads these values and
 * `docs/configuration.md` is generated from them with `OPTION_DOCS`, so a default is written
 * exactly once.
 */
const MiB = 1_048_576;

export const DEFAULTS = {
  s3: {
    prefix: '',
    intervalMs: 30_000,
    maxBatchBytes: 16 * MiB,
    maxBatchEvents: 100_000,
    /** 3 is about 3x faster than 6 on voice events, for 2 points less compression (87% vs 89%). */
    gzipLevel: 3,
    concurrency: 4,
  },
  cloudWatch: {
    /**
     * Retention of a log group voicelake creates. CloudWatch is the real-time view and S3 the
     * complete record, and the events hold transcripts: keep them no longer than a month there.
     */
    retentionDays: 30,
    /** `STANDARD` extracts EMF metrics and has metric filters, subscription filters and Live Tail. */
    logGroupClass: 'STANDARD',
    /** An existing group's retention is left alone unless asked. */
    applyToExisting: false,
    /** Every event type goes to CloudWatch unless a filter is set. */
    events: 'all',
    emf: {
      /** Call metrics (EMF) are on whenever CloudWatch is. */
      enabled: true,
      namespace: 'Voicelake',
    },
    intervalMs: 1000,
    /** CloudWatch's per-event limit in older documents; larger messages are truncated and marked. */
    maxEventBytes: 262_144,
    /** The SDK signs each request on the event loop: smaller requests keep it responsive. */
    maxBatchBytes: 262_144,
  },
  local: {
    dir: 'voicelake-data',
    prefix: '',
    intervalMs: 30_000,
    maxBatchBytes: 16 * MiB,
    maxBatchEvents: 100_000,
    gzipLevel: 3,
  },
  spool: {
    maxBytes: 1024 * MiB,
    segmentBytes: 8 * MiB,
    commitIntervalMs: 50,
    /** Recent records kept in memory (at most 5 s old): a full 16 MiB batch is read without decoding it from disk. */
    cacheBytes: 24 * MiB,
  },
  maxEventBytes: MiB,
  /** Longest text redacted whole; longer text in a redacted field is cut here and marked `[TRUNCATED]`. */
  maxRedactChars: 16_384,
  /** Redacted by default: what callers say (transcripts) and what the agent says (text). */
  redactFields: ['transcript', 'text'] as readonly ('transcript' | 'text' | 'message' | 'custom')[],
  bufferBytes: 64 * MiB,
  logLevel: 'info',
  /** The AWS clients' timeouts (\`aws.connectionTimeoutMs\`, \`aws.requestTimeoutMs\`) and attempts per request. */
  aws: { connectionTimeoutMs: 3000, requestTimeoutMs: 30_000, maxAttempts: 3 },
  /** Largest raw NDJSON object the lake writes: a large batch becomes several objects, gzipped in parallel. */
  maxObjectBytes: 8 * MiB,
  /** Bound on the final flush in `close()` and at shutdown, ms. */
  closeTimeoutMs: 5000,
} as const;

/** One row of `docs/configuration.md`: option path, environment variable, meaning. */
export interface OptionDoc {
  readonly option: string;
  readonly env?: string;
  readonly doc: string;
  /** Path into DEFAULTS, when the default is a plain value there. */
  readonly default?: string;
}

export const OPTION_DOCS: readonly OptionDoc[] = [
  {
    option: 's3.bucket',
    env: 'ANALYTICS_S3_BUCKET',
    doc: "Bucket name; unset disables S3 (CloudWatch only). A name S3's rules for general purpose buckets refuse (`vl..bucket`, `192.168.1.1`, `xn--abc`, uppercase, reserved prefixes and suffixes) is a `ConfigError` at start, by the same rule every CLI command applies.",
  },
  {
    option: 's3.prefix',
    env: 'ANALYTICS_S3_PREFIX',
    default: 's3.prefix',
    doc: 'Key prefix before `year=`. A `year=`, `month=` or `day=` segment, in any case (`Year=2020/`), is a `ConfigError`: readers would date events by it.',
  },
  { option: 's3.intervalMs', default: 's3.intervalMs', doc: 'Longest an event waits before upload, ms.' },
  {
    option: 's3.maxBatchBytes',
    default: 's3.maxBatchBytes',
    doc: 'Upload once this many raw bytes are pending.',
  },
  {
    option: 's3.maxBatchEvents',
    default: 's3.maxBatchEvents',
    doc: 'Upload once this many events are pending.',
  },
  { option: 's3.gzipLevel', default: 's3.gzipLevel', doc: 'gzip level 1-9.' },
  { option: 's3.concurrency', default: 's3.concurrency', doc: 'Parallel PutObject requests per batch.' },
  {
    option: 's3.serverSideEncryption',
    env: 'ANALYTICS_S3_SSE',
    doc: '`AES256` (SSE-S3) or `aws:kms` (SSE-KMS). Default: the bucket default.',
  },
  {
    option: 's3.kmsKeyId',
    env: 'ANALYTICS_S3_KMS_KEY_ID',
    doc: 'KMS key for `aws:kms` (implies `aws:kms`).',
  },
  {
    option: 's3.expectedBucketOwner',
    env: 'ANALYTICS_S3_EXPECTED_OWNER',
    doc: 'Refuse to write unless the bucket belongs to this 12-digit account id.',
  },
  { option: 'cloudWatch.logGroup', env: 'ANALYTICS_LOG_GROUP', doc: 'Log group; unset disables CloudWatch.' },
  {
    option: 'cloudWatch.logStream',
    env: 'ANALYTICS_LOG_STREAM',
    doc: 'Log stream. Default `<host>-<pid>-<start time>`, one per process.',
  },
  {
    option: 'cloudWatch.retentionDays',
    env: 'ANALYTICS_LOG_RETENTION_DAYS',
    default: 'cloudWatch.retentionDays',
    doc: 'Retention (days) set on a log group voicelake creates; an existing group is left as it is unless `applyToExisting`.',
  },
  {
    option: 'cloudWatch.kmsKeyId',
    env: 'ANALYTICS_LOG_KMS_KEY_ID',
    doc: 'KMS key ARN for a log group voicelake creates; an existing group keeps its key.',
  },
  {
    option: 'cloudWatch.logGroupClass',
    env: 'ANALYTICS_LOG_CLASS',
    default: 'cloudWatch.logGroupClass',
    doc: 'Log class of a group voicelake creates: `STANDARD` or `INFREQUENT_ACCESS` (half the ingestion price; no EMF metrics, metric filters, subscription filters or Live Tail, so it needs `cloudWatch.emf: false`). A class never changes after creation. See docs/cloudwatch.md.',
  },
  {
    option: 'cloudWatch.applyToExisting',
    env: 'ANALYTICS_LOG_APPLY_TO_EXISTING',
    default: 'cloudWatch.applyToExisting',
    doc: '`true` puts `retentionDays` on a log group that already exists too (PutRetentionPolicy). Its KMS key and class are never changed.',
  },
  {
    option: 'cloudWatch.events',
    env: 'ANALYTICS_CLOUDWATCH_EVENTS',
    default: 'cloudWatch.events',
    doc: 'Event types sent to CloudWatch: `all`, a list (env: a comma list, e.g. `call_started,call_ended,error`) or a predicate `(eventType) => boolean`. Others are skipped and counted in `stats().destinations.cloudwatch.filtered`; S3 and the local lake always get every event.',
  },
  {
    option: 'cloudWatch.emf',
    env: 'ANALYTICS_EMF',
    default: 'cloudWatch.emf.enabled',
    doc: 'Call metrics in the embedded metric format: one EMF document per `call_ended`, in the same log stream. `false` (env `off`) turns them off. Counted in `stats().destinations.cloudwatch.emf`.',
  },
  {
    option: 'cloudWatch.emf.namespace',
    env: 'ANALYTICS_EMF_NAMESPACE',
    default: 'cloudWatch.emf.namespace',
    doc: 'CloudWatch metrics namespace of the call metrics.',
  },
  { option: 'cloudWatch.intervalMs', default: 'cloudWatch.intervalMs', doc: 'Longest an event waits, ms.' },
  {
    option: 'cloudWatch.maxBatchBytes',
    default: 'cloudWatch.maxBatchBytes',
    doc: 'Raw bytes per PutLogEvents request (at most 1 MiB).',
  },
  {
    option: 'cloudWatch.maxEventBytes',
    default: 'cloudWatch.maxEventBytes',
    doc: 'Per-event size limit (message + 26 bytes); larger messages are truncated and marked.',
  },
  {
    option: 'local.dir',
    env: 'ANALYTICS_LAKE_DIR',
    default: 'local.dir',
    doc: 'Local lake directory: private to the user (0700, no symlink), below directories only root or the user can write; else a `ConfigError`. A path with a `year=`, `month=` or `day=` segment, in any case, is a `ConfigError` too: readers would date every event by it.',
  },
  {
    option: 'local.prefix',
    default: 'local.prefix',
    doc: 'Prefix inside the lake directory; the same rules as `s3.prefix`.',
  },
  { option: 'local.intervalMs', default: 'local.intervalMs', doc: 'Longest an event waits, ms.' },
  {
    option: 'local.maxBatchBytes',
    default: 'local.maxBatchBytes',
    doc: 'Write once this many raw bytes are pending.',
  },
  {
    option: 'local.maxBatchEvents',
    default: 'local.maxBatchEvents',
    doc: 'Write once this many events are pending.',
  },
  { option: 'local.gzipLevel', default: 'local.gzipLevel', doc: 'gzip level 1-9.' },
  {
    option: 'redact.fields',
    env: 'ANALYTICS_REDACT',
    default: 'redactFields',
    doc: 'Fields whose personal data is redacted inside `track()` (`transcript`, `text`, `message`, `custom`; the variable: a comma list, or `off`). `redact: false` turns it off; `redact.redactor` adds your own. Text over 16,384 characters is cut and marked `[TRUNCATED]`. See docs/security.md.',
  },

  {
    option: 'spool.dir',
    env: 'ANALYTICS_SPOOL_DIR',
    doc: 'Spool directory (`off` disables): private to the user, below directories only root or the user can write; else a `SpoolError`. Default: a private per-user directory per process, see docs/at-scale.md.',
  },
  {
    option: 'spool.maxBytes',
    default: 'spool.maxBytes',
    doc: 'Largest spool; beyond it the oldest events are dropped.',
  },
  { option: 'spool.segmentBytes', default: 'spool.segmentBytes', doc: 'Segment file size.' },
  {
    option: 'spool.commitIntervalMs',
    default: 'spool.commitIntervalMs',
    doc: 'Group commit interval (one write + fdatasync), ms.',
  },
  {
    option: 'spool.cacheBytes',
    default: 'spool.cacheBytes',
    doc: 'Recent events kept in memory for fast reads.',
  },
  {
    option: 'maxEventBytes',
    default: 'maxEventBytes',
    doc: 'Largest accepted event line; larger is `too_large`.',
  },
  { option: 'bufferBytes', default: 'bufferBytes', doc: 'Memory for undelivered events without a spool.' },
  {
    option: 'aws.connectionTimeoutMs',
    default: 'aws.connectionTimeoutMs',
    doc: 'AWS clients: connect timeout, ms (`aws` also takes `region` and `endpoint`).',
  },
  {
    option: 'aws.requestTimeoutMs',
    default: 'aws.requestTimeoutMs',
    doc: 'AWS clients: per-request timeout, ms.',
  },
  {
    option: 'logger',
    env: 'ANALYTICS_LOG_LEVEL',
    default: 'logLevel',
    doc: 'pino-compatible logger; level of the default one.',
  },
];

/** The value at a dotted path of DEFAULTS, for the docs. */
export function defaultAt(path: string): unknown {
  let v: unknown = DEFAULTS;
  for (const part of path.split('.')) v = (v as Record<string, unknown>)[part];
  return v;
}
