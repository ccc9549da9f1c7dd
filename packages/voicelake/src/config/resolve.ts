/**
 * Options + environment → one validated, frozen config. Precedence: explicit option, then
 * environment variable, then `DEFAULTS`. Relationships between options are enforced here.
 *
 * Over 300 lines: one validated schema of every option, with the precedence (option, environment, default) applied field by field.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { bucketProblem, lakeDirProblem, prefixProblem } from '../lake/layout.js';
import { defaultLogger, type Logger } from '../logger.js';
import { type DestinationIdentity, defaultSpoolDir } from '../paths.js';
import { namespaceProblem } from '../sinks/emf.js';
import { DEFAULTS } from './defaults.js';
import type { AnalyticsOptions, CloudWatchOptions, RedactField } from './options.js';

/** The retention periods CloudWatch Logs accepts. */
const RETENTION: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];
const RETENTION_DAYS = new Set(RETENTION);

const REDACT_FIELDS = ['transcript', 'text', 'message', 'custom'] as const;

const positiveInt = z.number().int().positive();
/** A string refused with the reason `problem` gives (the layout's rules), if it gives one. */
const judged = (problem: (value: string) => string | undefined, base = z.string()) =>
  base.superRefine((value, ctx) => {
    const why = problem(value);
    if (why !== undefined) ctx.addIssue({ code: 'custom', message: why });
  });
const bucketName = judged(bucketProblem);
const logName = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[^:*]+$/, 'may not contain : or *');
/** CloudWatch's pattern for log group names (CreateLogGroup refuses others with InvalidParameterException). */
const logGroupName = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[.\-_/#A-Za-z0-9]+$/, 'may contain only a-z, A-Z, 0-9 and . - _ / #');
const prefix = judged(prefixProblem, z.string().max(512));
const gzipLevel = z.number().int().min(1).max(9);

const schema = z.object({
  s3: z
    .object({
      bucket: bucketName,
      prefix,
      intervalMs: positiveInt,
      maxBatchBytes: positiveInt,
      maxBatchEvents: positiveInt,
      gzipLevel,
      concurrency: z.number().int().min(1).max(64),
      serverSideEncryption: z.enum(['AES256', 'aws:kms']).optional(),
      kmsKeyId: z.string().min(1).optional(),
      expectedBucketOwner: z
        .string()
        .regex(/^\d{12}$/, 'must be a 12-digit account id')
        .optional(),
      endpoint: z.url().optional(),
    })
    .refine(
      (s) => !(s.kmsKeyId && s.serverSideEncryption === 'AES256'),
      'a KMS key needs serverSideEncryption aws:kms, not AES256 (ANALYTICS_S3_SSE / ANALYTICS_S3_KMS_KEY_ID)',
    )
    .optional(),
  cloudWatch: z
    .object({
      logGroup: logGroupName,
      logStream: logName,
      retentionDays: z
        .number()
        .int()
        .refine(
          (d) => RETENTION_DAYS.has(d),
          `must be one of CloudWatch's values: ${[...RETENTION].join(', ')}`,
        )
        .optional(),
      kmsKeyId: z.string().startsWith('arn:', 'must be a KMS key ARN').optional(),
      logGroupClass: z.enum(['STANDARD', 'INFREQUENT_ACCESS'], {
        error: 'must be STANDARD or INFREQUENT_ACCESS (ANALYTICS_LOG_CLASS)',
      }),
      applyToExisting: z.boolean({
        error: 'must be a boolean (ANALYTICS_LOG_APPLY_TO_EXISTING: true or false)',
      }),
      events: z.union(
        [
          z.literal('all'),
          z.array(z.string().min(1).max(128)).readonly(),
          z.custom<(eventType: string) => boolean>((v) => typeof v === 'function'),
        ],
        {
          error:
            "must be 'all', a list of event types, or a function (ANALYTICS_CLOUDWATCH_EVENTS: a comma list)",
        },
      ),
      emf: z.union(
        [
          z.literal(false),
          z.object({
            namespace: z.string().superRefine((n, ctx) => {
              const problem = namespaceProblem(n);
              if (problem) ctx.addIssue({ code: 'custom', message: `namespace ${problem}` });
            }),
          }),
        ],
        { error: 'must be false or { namespace } (ANALYTICS_EMF: on or off)' },
      ),
      intervalMs: positiveInt,
      maxEventBytes: z.number().int().min(1024).max(1_048_576),
      maxBatchBytes: z.number().int().min(1024).max(1_048_576),
      endpoint: z.url().optional(),
    })
    .refine(
      (c) => !(c.logGroupClass === 'INFREQUENT_ACCESS' && c.emf !== false),
      'logGroupClass INFREQUENT_ACCESS does not extract embedded metric format metrics (nor run metric ' +
        'filters, subscription filters or Live Tail), so the call metrics would never appear: turn them ' +
        'off (cloudWatch.emf: false, ANALYTICS_EMF=off) or use STANDARD',
    )
    .optional(),
  local: z
    .object({
      dir: judged(lakeDirProblem, z.string().min(1)),
      prefix,
      intervalMs: positiveInt,
      maxBatchBytes: positiveInt,
      maxBatchEvents: positiveInt,
      gzipLevel,
    })
    .optional(),
  aws: z.object({
    region: z.string().min(1).optional(),
    endpoint: z.url().optional(),
    forcePathStyle: z.boolean().optional(),
    connectionTimeoutMs: positiveInt.optional(),
    requestTimeoutMs: positiveInt.optional(),
  }),
  maxEventBytes: z
    .number()
    .int()
    .min(1024)
    .max(64 * 1_048_576),
  bufferBytes: z.number().int().min(1_048_576),
  redactFields: z.array(z.enum(REDACT_FIELDS)).optional(),
  spool: z
    .object({
      dir: z.string().min(1),
      /** True when the directory was chosen by default (per user, keyed by the destinations). */
      defaultDir: z.boolean(),
      maxBytes: z.number().int().min(1_048_576),
      segmentBytes: z.number().int().min(4096),
      commitIntervalMs: z.number().int().min(1).max(10_000),
      cacheBytes: z.number().int().min(0),
    })
    .refine(
      (s) => s.segmentBytes * 2 <= s.maxBytes,
      'spool.segmentBytes must be at most half of spool.maxBytes',
    )
    .optional(),
});

/** The validated configuration. Internal: users pass `AnalyticsOptions`. */
export type ResolvedConfig = Readonly<z.infer<typeof schema>> & {
  readonly logger: Logger;
  /** Redaction, or undefined when turned off. */
  readonly redact:
    | { readonly fields: readonly RedactField[]; readonly redactor?: (text: string) => string }
    | undefined;
  /** What the spool feeds; recorded in it so it is never replayed into other destinations. */
  readonly identity: DestinationIdentity;
};

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value === '' ? undefined : value;

const envInt = (value: string | undefined): number | undefined =>
  value === undefined || value === '' ? undefined : Number(value);

function defaultStream(): string {
  const start = new Date().toISOString().replace(/[:.]/g, '-');
  return `${hostname()}-${process.pid}-${start}`;
}

/** Normalize a user prefix: empty stays empty, otherwise it ends with exactly one `/`. */
function withSlash(p: string): string {
  return p === '' || p.endsWith('/') ? p : `${p}/`;
}

/** `true`/`false` (also on/off, 1/0) from the environment; anything else is passed on for the schema to refuse. */
function envBool(value: string | undefined): boolean | string | undefined {
  const v = nonEmpty(value)?.toLowerCase();
  if (v === undefined) return undefined;
  if (v === 'true' || v === 'on' || v === '1') return true;
  if (v === 'false' || v === 'off' || v === '0') return false;
  return value;
}

/** The CloudWatch options beyond the group and stream: class, existing groups, event filter, EMF. */
function cloudWatchExtras(cwo: CloudWatchOptions, env: Record<string, string | undefined>) {
  const eventsEnv = nonEmpty(env.ANALYTICS_CLOUDWATCH_EVENTS)?.trim();
  const events =
    cwo.events ??
    (eventsEnv === undefined || eventsEnv === 'all'
      ? DEFAULTS.cloudWatch.events
      : eventsEnv
          .split(',')
          .map((t) => t.trim())
          .filter((t) => t !== ''));
  const emfEnv = envBool(env.ANALYTICS_EMF);
  const emfOn =
    cwo.emf === false ? false : cwo.emf !== undefined ? true : (emfEnv ?? DEFAULTS.cloudWatch.emf.enabled);
  const namespace =
    (cwo.emf ? cwo.emf.namespace : undefined) ??
    nonEmpty(env.ANALYTICS_EMF_NAMESPACE) ??
    DEFAULTS.cloudWatch.emf.namespace;
  return {
    logGroupClass:
      cwo.logGroupClass ?? nonEmpty(env.ANALYTICS_LOG_CLASS) ?? DEFAULTS.cloudWatch.logGroupClass,
    applyToExisting:
      cwo.applyToExisting ??
      envBool(env.ANALYTICS_LOG_APPLY_TO_EXISTING) ??
      DEFAULTS.cloudWatch.applyToExisting,
    events,
    // A stray ANALYTICS_EMF value (not on/off) reaches the schema as is and is refused there.
    emf: emfOn === false ? (false as const) : emfOn === true ? { namespace } : emfOn,
  };
}

/** Resolve options and environment into a validated, frozen config. Throws `ConfigError` with every problem listed. */
export function resolveConfig(options: AnalyticsOptions = {}): ResolvedConfig {
  const env = options.env ?? process.env;
  const s3o = options.s3 === false ? undefined : (options.s3 ?? {});
  const cwo = options.cloudWatch === false ? undefined : (options.cloudWatch ?? {});
  const bucket = s3o && (nonEmpty(s3o.bucket) ?? nonEmpty(env.ANALYTICS_S3_BUCKET));
  const logGroup = cwo && (nonEmpty(cwo.logGroup) ?? nonEmpty(env.ANALYTICS_LOG_GROUP));
  const s3Kms = s3o && (s3o.kmsKeyId ?? nonEmpty(env.ANALYTICS_S3_KMS_KEY_ID));
  const sse =
    s3o && (s3o.serverSideEncryption ?? nonEmpty(env.ANALYTICS_S3_SSE) ?? (s3Kms ? 'aws:kms' : undefined));
  const expectedOwner = s3o && (s3o.expectedBucketOwner ?? nonEmpty(env.ANALYTICS_S3_EXPECTED_OWNER));
  const s3 =
    s3o && bucket
      ? {
          ...DEFAULTS.s3,
          ...s3o,
          bucket,
          prefix: withSlash(s3o.prefix ?? env.ANALYTICS_S3_PREFIX ?? DEFAULTS.s3.prefix),
          ...(sse ? { serverSideEncryption: sse } : {}),
          ...(s3Kms ? { kmsKeyId: s3Kms } : {}),
          ...(expectedOwner ? { expectedBucketOwner: expectedOwner } : {}),
          endpoint:
            options.aws?.endpoint ?? nonEmpty(env.AWS_ENDPOINT_URL_S3) ?? nonEmpty(env.AWS_ENDPOINT_URL),
        }
      : undefined;
  const retentionDays = cwo && (cwo.retentionDays ?? envInt(env.ANALYTICS_LOG_RETENTION_DAYS));
  const logKms = cwo && (cwo.kmsKeyId ?? nonEmpty(env.ANALYTICS_LOG_KMS_KEY_ID));
  const cloudWatch =
    cwo && logGroup
      ? {
          ...DEFAULTS.cloudWatch,
          ...cwo,
          logGroup,
          ...(retentionDays !== undefined ? { retentionDays } : {}),
          ...(logKms ? { kmsKeyId: logKms } : {}),
          ...cloudWatchExtras(cwo, env),
          endpoint:
            options.aws?.endpoint ??
            nonEmpty(env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS) ??
            nonEmpty(env.AWS_ENDPOINT_URL),
          logStream: nonEmpty(cwo.logStream) ?? nonEmpty(env.ANALYTICS_LOG_STREAM) ?? defaultStream(),
        }
      : undefined;
  const localOptions = options.local || {};
  const lakeDir =
    options.local === false ? undefined : (options.local?.dir ?? nonEmpty(env.ANALYTICS_LAKE_DIR));
  const localWanted =
    options.local !== false && (options.local !== undefined || lakeDir !== undefined || (!s3 && !cloudWatch));
  const local = localWanted
    ? {
        ...DEFAULTS.local,
        ...localOptions,
        dir: resolve(lakeDir ?? DEFAULTS.local.dir),
        prefix: withSlash(localOptions.prefix ?? DEFAULTS.local.prefix),
      }
    : undefined;
  const region = nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
  const aws = { ...(region ? { region } : {}), ...options.aws };
  const identity: DestinationIdentity = {
    s3: s3 ? `s3://${s3.bucket}/${s3.prefix}` : undefined,
    cloudwatch: cloudWatch ? cloudWatch.logGroup : undefined,
    local: local ? `${local.dir}/${local.prefix}` : undefined,
  };
  const spoolEnv = nonEmpty(env.ANALYTICS_SPOOL_DIR);
  const spoolOff = options.spool === false || (options.spool?.dir === undefined && spoolEnv === 'off');
  const spoolDir = options.spool ? options.spool.dir : undefined;
  const spool = spoolOff
    ? undefined
    : {
        ...DEFAULTS.spool,
        ...(options.spool || {}),
        dir: resolve(spoolDir ?? spoolEnv ?? defaultSpoolDir(identity, env)),
        defaultDir: spoolDir === undefined && spoolEnv === undefined,
      };
  const redactEnv = nonEmpty(env.ANALYTICS_REDACT);
  const redactOff = options.redact === false || (options.redact === undefined && redactEnv === 'off');
  const redactFields = redactOff
    ? undefined
    : ((options.redact ? options.redact.fields : undefined) ??
      (redactEnv ? redactEnv.split(',').map((f) => f.trim()) : DEFAULTS.redactFields));
  const parsed = schema.safeParse({
    redactFields,
    spool,
    s3,
    cloudWatch,
    local,
    aws,
    maxEventBytes: options.maxEventBytes ?? DEFAULTS.maxEventBytes,
    bufferBytes: options.bufferBytes ?? DEFAULTS.bufferBytes,
  });
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join('.') || 'options'}: ${i.message}`)
      .join('; ');
    throw new ConfigError(`invalid voicelake configuration: ${problems}`, { cause: parsed.error });
  }
  const { redactFields: fields, ...data } = parsed.data;
  const redactor = options.redact ? options.redact.redactor : undefined;
  const redact = fields ? { fields, ...(redactor ? { redactor } : {}) } : undefined;
  return Object.freeze({
    ...data,
    identity,
    redact,
    logger: options.logger ?? defaultLogger(nonEmpty(env.ANALYTICS_LOG_LEVEL) ?? DEFAULTS.logLevel),
  });
}
