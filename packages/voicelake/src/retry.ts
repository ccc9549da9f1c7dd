/**
 * Backoff and error classification, as pure functions so they are easy to test.
 */

export interface BackoffPolicy {
  /** First delay, ms. */
  readonly baseMs: number;
  /** Largest delay, ms. */
  readonly capMs: number;
}

/** Retryable errors: throttling, 5xx, timeouts, dropped connections. */
export const TRANSIENT_BACKOFF: BackoffPolicy = { baseMs: 200, capMs: 30_000 };
/** Configuration errors (missing bucket, denied access): re-probe slowly. */
export const CONFIG_BACKOFF: BackoffPolicy = { baseMs: 15_000, capMs: 300_000 };

/**
 * Full-jitter exponential backoff: `random() * min(cap, base * 2^attempt)`, never below
 * a server's Retry-After, never below 10 ms.
 */
export function backoffMs(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
  retryAfterMs = 0,
): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return Math.max(10, Math.round(random() * ceiling), retryAfterMs);
}

export const FAILURE_CLASSES = {
  /** Try again soon: throttling, 5xx, timeouts, network errors. */
  transient: 'transient',
  /** Nothing will change until someone fixes configuration: re-probe slowly, keep the data. */
  config: 'config',
  /** The request itself is unacceptable: retrying the same data cannot help. */
  invalid: 'invalid',
} as const;
export type ErrorClass = (typeof FAILURE_CLASSES)[keyof typeof FAILURE_CLASSES];

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'SlowDown',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalError',
  'InternalFailure',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'AbortError',
]);

const CONFIG = new Set([
  // voicelake's own: a destination's setup refused (see sinks/cloudwatch.ts).
  'ConfigError',
  'NoSuchBucket',
  'AccessDenied',
  'AccessDeniedException',
  'AllAccessDisabled',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'UnrecognizedClientException',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'MissingAuthenticationToken',
  'CredentialsProviderError',
  'PermanentRedirect',
  'AuthorizationHeaderMalformed',
  'InvalidBucketName',
  'KMS.NotFoundException',
  'KMS.DisabledException',
]);

/** The request itself is unacceptable: the same data will be refused again. */
const INVALID = new Set([
  'InvalidParameterException',
  'ValidationException',
  'InvalidArgument',
  'EntityTooLarge',
]);

const NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);

interface AwsLikeError {
  name?: string;
  code?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
  $retryable?: unknown;
  cause?: unknown;
}

/** Classify an AWS SDK (or network) error. Unknown errors count as transient: keep the data, try again. */
export function classifyError(error: unknown): ErrorClass {
  const e = (error ?? {}) as AwsLikeError;
  const name = e.name ?? '';
  const code = e.code ?? e.Code ?? '';
  if (CONFIG.has(name) || CONFIG.has(code)) return FAILURE_CLASSES.config;
  if (INVALID.has(name) || INVALID.has(code)) return FAILURE_CLASSES.invalid;
  if (THROTTLING.has(name) || THROTTLING.has(code) || NETWORK.has(code) || NETWORK.has(name)) {
    return FAILURE_CLASSES.transient;
  }
  const status = e.$metadata?.httpStatusCode;
  if (status === 403 || status === 401) return FAILURE_CLASSES.config;
  if (status !== undefined && (status >= 500 || status === 429 || status === 408))
    return FAILURE_CLASSES.transient;
  if (e.cause !== undefined && e.cause !== error) {
    const inner = classifyError(e.cause);
    if (inner !== FAILURE_CLASSES.transient) return inner;
  }
  return FAILURE_CLASSES.transient;
}

/**
 * The longest Retry-After honoured. A longer one (a misbehaving proxy's, or a date far off) would
 * stall a destination for hours, and past ~24.8 days a timer overflows and fires at once.
 */
export const MAX_RETRY_AFTER_MS = 300_000;

/** A server's Retry-After header, in ms (at most `MAX_RETRY_AFTER_MS`), or 0. */
export function retryAfterMs(error: unknown): number {
  const header = (error as AwsLikeError | undefined)?.$response?.headers?.['retry-after'];
  if (header === undefined) return 0;
  const seconds = Number(header);
  const at = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(at) ? Math.min(MAX_RETRY_AFTER_MS, Math.max(0, at)) : 0;
}

/** One line that says what went wrong, for logs and `stats().lastError`. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as AwsLikeError).code;
    const status = (error as AwsLikeError).$metadata?.httpStatusCode;
    const parts = [
      error.name,
      code && code !== error.name ? code : undefined,
      status ? `HTTP ${status}` : undefined,
    ];
    const label = parts.filter(Boolean).join(' ');
    const message = error.message || (error.cause instanceof Error ? error.cause.message : '');
    return message ? `${label}: ${message}` : label;
  }
  return String(error);
}
