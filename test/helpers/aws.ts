/**
 * Test helpers around the moto server: credentials, SDK clients for assertions, and the
 * AWS CLI (an independent reader) pointed at moto.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CloudWatchLogsClient,
  DescribeLogStreamsCommand,
  GetLogEventsCommand,
  type OutputLogEvent,
} from '@aws-sdk/client-cloudwatch-logs';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

const run = promisify(execFile);

/** Environment for anything that talks to moto: the SDK's own variables, as a user would set them. */
export function awsEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    // The SDK's notice that it will need Node 22 from 2027 is noise in test output (see setup).
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

export function clients(endpoint: string) {
  const common = {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  return {
    s3: new S3Client({ ...common, forcePathStyle: true }),
    logs: new CloudWatchLogsClient(common),
  };
}

let counter = 0;
/** A unique, valid resource name for one test. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
}

export async function createBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
}

export async function listKeys(s3: S3Client, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

/** Every event of every stream of a log group. */
export async function readLogGroup(logs: CloudWatchLogsClient, group: string): Promise<OutputLogEvent[]> {
  const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: group }));
  const out: OutputLogEvent[] = [];
  for (const stream of streams.logStreams ?? []) {
    let token: string | undefined;
    for (;;) {
      const page = await logs.send(
        new GetLogEventsCommand({
          logGroupName: group,
          logStreamName: stream.logStreamName,
          startFromHead: true,
          nextToken: token,
          limit: 10_000,
        }),
      );
      out.push(...(page.events ?? []));
      if (!page.nextForwardToken || page.nextForwardToken === token || (page.events ?? []).length === 0)
        break;
      token = page.nextForwardToken;
    }
  }
  return out;
}

/** Run the AWS CLI against moto. Returns stdout. */
export async function awsCli(endpoint: string, args: string[]): Promise<string> {
  const { stdout } = await run('aws', ['--endpoint-url', endpoint, ...args], {
    env: { ...process.env, ...awsEnv(endpoint) },
    maxBuffer: 256 * 1024 * 1024,
  });
  return stdout;
}

/** Run a shell pipeline (for `aws s3 cp … - | gunzip`). */
export async function shell(command: string, env: Record<string, string>): Promise<string> {
  const { stdout } = await run('bash', ['-o', 'pipefail', '-c', command], {
    env: { ...process.env, ...env },
    maxBuffer: 256 * 1024 * 1024,
  });
  return stdout;
}

/** Put every gzip object of the local lake under `dir` into `bucket`, under `prefix`. */
export async function uploadLake(s3: S3Client, dir: string, bucket: string, prefix: string): Promise<void> {
  for (const f of readdirSync(dir, { recursive: true })
    .map(String)
    .filter((p) => p.endsWith('.json.gz')))
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: `${prefix}${f}`, Body: readFileSync(join(dir, f)) }),
    );
}
