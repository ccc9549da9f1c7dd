/**
 * What every command that talks to S3 shares: its client, failures as one clear line (what it
 * was doing, on what, and why), listings page by page, a bounded pool for parallel requests,
 * and ETags without quotes.
 */
import {
  type ListObjectsV2CommandInput,
  type ListObjectsV2CommandOutput,
  paginateListObjectsV2,
  S3Client,
} from '@aws-sdk/client-s3';
import { QueryError } from 'voicelake';
import { nonEmpty } from '../env.js';

/** What the reading commands need, said when S3 denies access. */
const READ_ACCESS =
  'check the credentials, and that the policy allows s3:ListBucket and s3:GetObject on the lake: `voicelake iam-policy --read`';

/**
 * An S3 failure as one clear line, for every command that talks to S3: what it was doing, on
 * what, and why, with `accessHint` (what the command needs) when access is denied. A
 * `QueryError` passes through unchanged.
 */
export function s3Failure(
  action: string,
  target: string,
  error: unknown,
  accessHint = READ_ACCESS,
): QueryError {
  if (error instanceof QueryError) return error;
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  let why = `${e.name ?? 'Error'}: ${e.message ?? String(error)}`;
  if (e.name === 'NoSuchBucket') why = 'the bucket does not exist';
  else if (e.name === 'NoSuchKey' || status === 404) why = 'no such object';
  else if (e.name === 'AccessDenied' || status === 403) why = `access denied (${accessHint})`;
  else if (e.name === 'CredentialsProviderError') why = `no AWS credentials: ${e.message}`;
  else if (/region is missing/i.test(e.message ?? ''))
    why = 'no AWS region: set AWS_REGION (or a profile with a region)';
  return new QueryError(`cannot ${action} ${target}: ${why}`, { cause: error });
}

/**
 * Every page of a listing: the SDK's paginator follows the continuation tokens. A failed
 * request is thrown as an `s3Failure` on `s3://<bucket>/<prefix>`, with `accessHint` (what the
 * command needs) when access is denied. Breaking out of the loop stops it.
 */
export async function* listPages(
  client: S3Client,
  input: ListObjectsV2CommandInput,
  options: { readonly accessHint?: string; readonly pageSize?: number | undefined } = {},
): AsyncGenerator<ListObjectsV2CommandOutput> {
  const { accessHint, pageSize } = options;
  const pages = paginateListObjectsV2({ client, ...(pageSize ? { pageSize } : {}) }, input);
  for (;;) {
    let next: IteratorResult<ListObjectsV2CommandOutput>;
    try {
      next = await pages.next();
    } catch (error) {
      throw s3Failure('list', `s3://${input.Bucket}/${input.Prefix ?? ''}`, error, accessHint);
    }
    if (next.done) return;
    yield next.value;
  }
}

/** Run `task` over `items` with at most `limit` running at once; the first failure stops new work and is thrown. */
export async function pool<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        await task(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
}

/** An S3 ETag without its quotes (and weak prefix). */
export const stripQuotes = (etag: string | undefined): string => (etag ?? '').replace(/^(W\/)?"|"$/g, '');

/** An S3 client from the SDK's environment (endpoint, region, credentials), for every command. */
export function s3ClientFromEnv(env: Record<string, string | undefined> = process.env): S3Client {
  const endpoint = nonEmpty(env.AWS_ENDPOINT_URL_S3) ?? nonEmpty(env.AWS_ENDPOINT_URL);
  const region = nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
  return new S3Client({
    ...(endpoint ? { endpoint } : {}),
    ...(region ? { region } : {}),
    forcePathStyle: endpoint !== undefined,
    followRegionRedirects: true,
    // Some S3-compatible servers mishandle the newer default checksum headers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
