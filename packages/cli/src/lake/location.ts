/**
 * Where a lake is, checked once by one set of rules, the library's (`voicelake/layout`): the
 * bucket (S3's rules for general purpose buckets) and the prefix (no `..`, no partition
 * segment, no IAM wildcard…), which every command then uses as keys do: empty, or ending with
 * one `/`; and a local lake directory (no partition-like segment in its path). A bad value is a
 * `ConfigError` that names the option and says why.
 */
import { resolve } from 'node:path';
import { ConfigError } from 'voicelake';
import { bucketProblem, lakeDirProblem, prefixProblem } from 'voicelake/layout';

/** Where a lake is: a local directory, or a bucket; and the key prefix inside it (empty, or ending with `/`). */
export type LakeLocation =
  | { readonly kind: 'local'; readonly dir: string; readonly prefix: string }
  | { readonly kind: 's3'; readonly bucket: string; readonly prefix: string };

/** IAM policies and S3 keys both have limits; a prefix longer than this is surely a mistake. */
const MAX_PREFIX = 512;

function invalid(option: string, value: string, why: string): ConfigError {
  return new ConfigError(`invalid ${option} ${JSON.stringify(value)}: ${why}`);
}

/** A prefix as keys use it: empty, or ending with `/` (no check). */
export const withSlash = (p: string): string => (p === '' || p.endsWith('/') ? p : `${p}/`);

/** The bucket, when S3 would take it; else a `ConfigError` naming `option`. */
export function lakeBucket(bucket: string, option = '--bucket'): string {
  const why = bucketProblem(bucket);
  if (why !== undefined) throw invalid(option, bucket, why);
  return bucket;
}

/** The prefix, checked and normalized: empty, or ending with one `/`; else a `ConfigError` naming `option`. */
export function lakePrefix(prefix: string, option = '--prefix'): string {
  if (prefix.length > MAX_PREFIX) throw invalid(option, prefix, `may be at most ${MAX_PREFIX} characters`);
  const why = prefixProblem(prefix);
  if (why !== undefined) throw invalid(option, prefix, why);
  return withSlash(prefix);
}

/** The local lake directory, absolute, when no segment of its path looks like a partition; else a `ConfigError`. */
export function lakeDir(dir: string, option = '--data-dir (or ANALYTICS_LAKE_DIR)'): string {
  const absolute = resolve(dir);
  const why = lakeDirProblem(absolute);
  if (why !== undefined) throw invalid(option, absolute, why);
  return absolute;
}
