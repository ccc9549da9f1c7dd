/**
 * The S3 lake: gzip NDJSON objects, one partition each, keyed by event date.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { AwsClientConfig } from '../config/options.js';
import type { EventRecord } from '../event.js';
import type { Logger } from '../logger.js';
import { acquireS3 } from './clients.js';
import { type LakePlan, planLake, sendLakePlan } from './lake.js';
import type { SendReport, Sink, SinkOutcome } from './types.js';

export interface S3SinkOptions {
  readonly bucket: string;
  readonly prefix: string;
  readonly maxEvents: number;
  readonly maxBytes: number;
  readonly gzipLevel: number;
  readonly concurrency: number;
  readonly serverSideEncryption?: 'AES256' | 'aws:kms' | undefined;
  readonly kmsKeyId?: string | undefined;
  readonly expectedBucketOwner?: string | undefined;
  readonly client: AwsClientConfig;
  readonly logger: Logger;
}

export class S3Sink implements Sink<LakePlan> {
  readonly name = 's3';
  readonly limits: { maxEvents: number; maxBytes: number };
  readonly #client: S3Client;
  readonly #release: () => void;

  constructor(private readonly options: S3SinkOptions) {
    this.limits = { maxEvents: options.maxEvents, maxBytes: options.maxBytes };
    const { client, release } = acquireS3(options.client);
    this.#client = client;
    this.#release = release;
  }

  prepare(records: readonly EventRecord[], meta?: unknown, writer?: string): LakePlan {
    return planLake(records, this.options.prefix, meta, { writer });
  }

  send(plan: LakePlan, report: SendReport, signal: AbortSignal): Promise<SinkOutcome> {
    const { bucket, logger } = this.options;
    return sendLakePlan(
      plan,
      report,
      signal,
      (key, body, abortSignal) => this.#put(key, body, abortSignal),
      (key) => logger.info(`Analytics uploaded to S3: s3://${bucket}/${key}`),
      this.options.concurrency,
      this.options.gzipLevel,
    );
  }

  async #put(key: string, body: Buffer, abortSignal: AbortSignal): Promise<void> {
    const o = this.options;
    await this.#client.send(
      new PutObjectCommand({
        Bucket: o.bucket,
        Key: key,
        Body: body,
        ContentType: 'application/x-ndjson',
        ...(o.serverSideEncryption ? { ServerSideEncryption: o.serverSideEncryption } : {}),
        ...(o.kmsKeyId ? { SSEKMSKeyId: o.kmsKeyId } : {}),
        ...(o.expectedBucketOwner ? { ExpectedBucketOwner: o.expectedBucketOwner } : {}),
      }),
      { abortSignal },
    );
  }

  async close(): Promise<void> {
    this.#release();
  }
}
