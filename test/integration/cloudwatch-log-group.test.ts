/**
 * The log group as a user would set it up, checked with DescribeLogGroups on moto: retention,
 * KMS key and log class of a group voicelake creates; an existing group keeps its retention
 * unless `applyToExisting` asks. Moto stores retention and the KMS key, but it ignores
 * `logGroupClass` (DescribeLogGroups never reports one): the class is asserted on the
 * CreateLogGroup request the inspecting proxy recorded.
 */
import {
  CreateLogGroupCommand,
  DescribeLogGroupsCommand,
  type LogGroup,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CloudWatchOptions } from '../../packages/voicelake/src/config/options.js';
import { createAnalytics } from '../../packages/voicelake/src/index.js';
import { silentLogger } from '../../packages/voicelake/src/logger.js';
import { clients, uniqueName } from '../helpers/aws.js';
import { type InspectingProxy, startProxy } from '../helpers/proxy.js';

const endpoint = inject('motoEndpoint');
const { logs } = clients(endpoint);
const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

async function describeGroup(name: string): Promise<LogGroup | undefined> {
  const out = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }));
  return out.logGroups?.find((g) => g.logGroupName === name);
}

/** One event to `logGroup` with these CloudWatch options, through the proxy. */
async function writeOnce(proxy: InspectingProxy, cloudWatch: CloudWatchOptions): Promise<void> {
  const analytics = createAnalytics({
    s3: false,
    local: false,
    cloudWatch,
    env: {},
    aws: { endpoint: proxy.endpoint, region: 'us-east-1' },
    logger: silentLogger,
    spool: false,
  });
  analytics.track({ type: 'call_started', callId: 'c1', agentId: 'support' });
  const closed = await analytics.close({ timeoutMs: 30_000 });
  expect(closed.undelivered).toEqual({ cloudwatch: 0 });
}

const bodies = (proxy: InspectingProxy, target: string) =>
  proxy.requests
    .filter((r) => r.target?.endsWith(`.${target}`))
    .map((r) => JSON.parse(r.body.toString('utf8')) as Record<string, unknown>);

describe('the log group voicelake creates, and one that exists (moto)', () => {
  let proxy: InspectingProxy;

  beforeAll(async () => {
    proxy = await startProxy(endpoint);
  });

  afterAll(async () => {
    await proxy.close();
  });

  it('a new group gets the retention, the KMS key and the log class', async () => {
    // Prepare
    const logGroup = uniqueName('/voicelake/created');
    // Act
    await writeOnce(proxy, {
      logGroup,
      retentionDays: 7,
      kmsKeyId: KEY,
      logGroupClass: 'INFREQUENT_ACCESS',
      emf: false,
    });
    // Assess
    const group = await describeGroup(logGroup);
    expect(group?.retentionInDays).toBe(7);
    expect(group?.kmsKeyId).toBe(KEY);
    // moto does not keep the class: the request is the evidence.
    const created = bodies(proxy, 'CreateLogGroup').filter((b) => b.logGroupName === logGroup);
    expect(created).toEqual([{ logGroupName: logGroup, kmsKeyId: KEY, logGroupClass: 'INFREQUENT_ACCESS' }]);
  });

  it('by default a group is created STANDARD with the default 30-day retention', async () => {
    const logGroup = uniqueName('/voicelake/default');
    await writeOnce(proxy, { logGroup });
    expect((await describeGroup(logGroup))?.retentionInDays).toBe(30);
    expect(bodies(proxy, 'CreateLogGroup').find((b) => b.logGroupName === logGroup)).toMatchObject({
      logGroupClass: 'STANDARD',
    });
  });

  it("an existing group's retention and KMS key are untouched without applyToExisting", async () => {
    // Prepare: the team's own group, 90 days, no key.
    const logGroup = uniqueName('/voicelake/existing');
    await logs.send(new CreateLogGroupCommand({ logGroupName: logGroup }));
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: logGroup, retentionInDays: 90 }));
    // Act
    await writeOnce(proxy, { logGroup, retentionDays: 7, kmsKeyId: KEY });
    // Assess
    const group = await describeGroup(logGroup);
    expect(group?.retentionInDays).toBe(90);
    expect(group?.kmsKeyId).toBeUndefined();
    expect(bodies(proxy, 'CreateLogGroup').filter((b) => b.logGroupName === logGroup)).toEqual([]);
    expect(bodies(proxy, 'PutRetentionPolicy').filter((b) => b.logGroupName === logGroup)).toEqual([]);
  });

  it('applyToExisting puts the retention on an existing group (and only the retention)', async () => {
    // Prepare
    const logGroup = uniqueName('/voicelake/apply');
    await logs.send(new CreateLogGroupCommand({ logGroupName: logGroup }));
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: logGroup, retentionInDays: 90 }));
    // Act
    await writeOnce(proxy, { logGroup, retentionDays: 14, kmsKeyId: KEY, applyToExisting: true });
    // Assess
    const group = await describeGroup(logGroup);
    expect(group?.retentionInDays).toBe(14);
    expect(group?.kmsKeyId).toBeUndefined();
    expect(bodies(proxy, 'PutRetentionPolicy').filter((b) => b.logGroupName === logGroup)).toEqual([
      { logGroupName: logGroup, retentionInDays: 14 },
    ]);
  });
});
