/**
 * What `voicelake lifecycle` reads from the bucket: its lifecycle configuration, the lake's raw
 * days (from the partition prefixes alone) and its compacted days (those with a manifest, the
 * file that makes a day compacted).
 */
import {
  GetBucketLifecycleConfigurationCommand,
  type S3Client,
  type TransitionDefaultMinimumObjectSize,
} from '@aws-sdk/client-s3';
import { MANIFEST_NAME } from '../lake/compacted-layout.js';
import { partitionDay } from '../lake/days.js';
import { listPages, s3Failure } from '../lake/s3.js';
import { COMPACTED, type LifecycleRule, RAW } from './rules.js';

/** What `lifecycle` needs, said when S3 denies access. */
export const LIFECYCLE_ACCESS =
  'lifecycle needs s3:GetLifecycleConfiguration and s3:PutLifecycleConfiguration on the bucket, and s3:ListBucket for the compaction check';

export interface Configuration {
  readonly rules: LifecycleRule[];
  /** False when the bucket has no lifecycle configuration at all. */
  readonly exists: boolean;
  readonly minimumObjectSize: TransitionDefaultMinimumObjectSize | undefined;
}

export async function readConfiguration(client: S3Client, bucket: string): Promise<Configuration> {
  try {
    const res = await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    return {
      rules: res.Rules ?? [],
      exists: true,
      minimumObjectSize: res.TransitionDefaultMinimumObjectSize,
    };
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchLifecycleConfiguration')
      return { rules: [], exists: false, minimumObjectSize: undefined };
    throw s3Failure('read the lifecycle configuration of', `s3://${bucket}`, error, LIFECYCLE_ACCESS);
  }
}

/** Every key (or, with a delimiter, every common prefix) under `prefix`. */
async function listAll(
  client: S3Client,
  bucket: string,
  prefix: string,
  delimiter?: string,
): Promise<string[]> {
  const out: string[] = [];
  const pages = listPages(
    client,
    { Bucket: bucket, Prefix: prefix, ...(delimiter ? { Delimiter: delimiter } : {}) },
    { accessHint: LIFECYCLE_ACCESS },
  );
  for await (const page of pages) {
    const found = delimiter
      ? (page.CommonPrefixes ?? []).map((p) => p.Prefix)
      : (page.Contents ?? []).map((o) => o.Key);
    for (const f of found) if (f !== undefined) out.push(f);
  }
  return out;
}

/** The raw days of the lake, from the partition prefixes alone (a few LIST requests, no object listing). */
export async function rawDays(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const days: string[] = [];
  for (const year of await listAll(client, bucket, `${prefix}${RAW}`, '/'))
    for (const month of await listAll(client, bucket, `${year}month=`, '/'))
      for (const day of await listAll(client, bucket, `${month}day=`, '/')) {
        const d = partitionDay(day.slice(prefix.length));
        if (d !== undefined) days.push(d);
      }
  return days.sort();
}

/** Days compacted under `<prefix>compacted/`: those with a manifest, the file that makes a day compacted. */
export async function compactedDays(client: S3Client, bucket: string, prefix: string): Promise<Set<string>> {
  const days = new Set<string>();
  for (const key of await listAll(client, bucket, `${prefix}${COMPACTED}`)) {
    if (!key.endsWith(`/${MANIFEST_NAME}`)) continue;
    const d = partitionDay(key.slice(prefix.length + COMPACTED.length));
    if (d !== undefined) days.add(d);
  }
  return days;
}
