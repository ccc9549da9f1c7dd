/**
 * The environment, read the same way by every command: a variable that is unset, empty or only
 * blanks counts as unset (so `ANALYTICS_S3_BUCKET=" "` is no bucket, everywhere).
 */
export const nonEmpty = (v: string | undefined): string | undefined =>
  v === undefined || v.trim() === '' ? undefined : v;

/** `process.env[name]`, or undefined when it is unset or blank. */
export const envValue = (name: string): string | undefined => nonEmpty(process.env[name]);
