/**
 * The one error family of voicelake. Every error has a stable `code` so callers can
 * branch on it without parsing messages; `cause` carries the underlying error.
 */
export class VoicelakeError extends Error {
  readonly code: string = 'VL_ERR';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'VoicelakeError';
  }
}

/** Options or environment variables that cannot be resolved into a valid config. */
export class ConfigError extends VoicelakeError {
  override readonly code = 'VL_ERR_CONFIG';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

/** The spool directory is unusable: locked by another process, or not writable. */
export class SpoolError extends VoicelakeError {
  override readonly code = 'VL_ERR_SPOOL';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SpoolError';
  }
}

/** A lake query failed: bad SQL, an unknown named query, or no data where data was expected. */
export class QueryError extends VoicelakeError {
  override readonly code = 'VL_ERR_QUERY';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'QueryError';
  }
}

/** `voicelake collect` cannot start: its address is taken, or refused without a token. */
export class CollectError extends VoicelakeError {
  override readonly code = 'VL_ERR_COLLECT';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CollectError';
  }
}

/** Every error class, for docs and the table-driven test. */
export const ERROR_CLASSES = [VoicelakeError, ConfigError, SpoolError, QueryError, CollectError] as const;
