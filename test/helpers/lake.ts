/**
 * The one way tests read a lake back: every NDJSON line of every `.json.gz` object, parsed,
 * with the key it came from, from a local lake directory or an S3 bucket.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { listKeys } from './aws.js';

export interface LakeLine {
  readonly key: string;
  readonly event: Record<string, unknown>;
}

function parse(key: string, body: Buffer): LakeLine[] {
  return gunzipSync(body)
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => ({ key, event: JSON.parse(l) as Record<string, unknown> }));
}

/** Every event in the local lake under `dir`. */
export function readLocalLake(dir: string): LakeLine[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.json.gz'))
    .sort()
    .flatMap((f) => parse(f, readFileSync(join(dir, f))));
}

/** Every event in the S3 lake of `bucket`. */
export async function readLake(s3: S3Client, bucket: string): Promise<LakeLine[]> {
  const out: LakeLine[] = [];
  for (const key of await listKeys(s3, bucket)) {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const body = Buffer.from(
      await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    out.push(...parse(key, body));
  }
  return out;
}
