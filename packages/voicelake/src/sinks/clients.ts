/**
 * One S3 client and one CloudWatch Logs client per process and configuration (the seed's
 * singleton), with keep-alive connections. Reference-counted so the last `close()` releases
 * the sockets and nothing keeps the process alive.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { S3Client } from '@aws-sdk/client-s3';
import { DEFAULTS } from '../config/defaults.js';
import type { AwsClientConfig } from '../config/options.js';

interface Entry<C> {
  client: C;
  refs: number;
}

const s3Clients = new Map<string, Entry<S3Client>>();
const cwClients = new Map<string, Entry<CloudWatchLogsClient>>();

function common(config: AwsClientConfig) {
  return {
    ...(config.region ? { region: config.region } : {}),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    maxAttempts: DEFAULTS.aws.maxAttempts,
    requestHandler: {
      connectionTimeout: config.connectionTimeoutMs ?? DEFAULTS.aws.connectionTimeoutMs,
      requestTimeout: config.requestTimeoutMs ?? DEFAULTS.aws.requestTimeoutMs,
    },
  };
}

function acquire<C extends { destroy(): void }>(
  map: Map<string, Entry<C>>,
  config: AwsClientConfig,
  make: () => C,
): { client: C; release: () => void } {
  const id = JSON.stringify(config);
  let entry = map.get(id);
  if (entry === undefined) {
    entry = { client: make(), refs: 0 };
    map.set(id, entry);
  }
  entry.refs++;
  const held = entry;
  let released = false;
  return {
    client: held.client,
    release: () => {
      if (released) return;
      released = true;
      if (--held.refs === 0) {
        map.delete(id);
        held.client.destroy();
      }
    },
  };
}

export function acquireS3(config: AwsClientConfig) {
  return acquire(
    s3Clients,
    config,
    () =>
      new S3Client({
        ...common(config),
        forcePathStyle: config.forcePathStyle ?? config.endpoint !== undefined,
        // Some S3-compatible servers mishandle the newer default checksum headers.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      }),
  );
}

export function acquireCloudWatch(config: AwsClientConfig) {
  return acquire(cwClients, config, () => new CloudWatchLogsClient(common(config)));
}
