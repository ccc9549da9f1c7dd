/**
 * The least-privilege IAM policy for voicelake: exactly the calls the library makes (and,
 * with `read`, the calls the query and compaction commands make), each on the one bucket
 * prefix, log group, KMS key, Athena workgroup or Glue database it needs. Pure: options in,
 * policy document out. docs/security.md explains every statement.
 *
 * Over 300 lines: one least-privilege policy: each statement with the check of the names it puts into an ARN.
 */
import { ConfigError } from 'voicelake';
import { COMPACTED_DIR } from './lake/compacted-layout.js';
import { lakeBucket, lakePrefix } from './lake/location.js';

export interface IamPolicyOptions {
  /** The lake bucket. */
  readonly bucket: string;
  /** The lake prefix (`s3.prefix`); normalized to end with `/`. Default: none. */
  readonly prefix?: string | undefined;
  /** The CloudWatch log group; without it, no CloudWatch statement. */
  readonly logGroup?: string | undefined;
  /** Also let voicelake create a missing log group (with its retention period). */
  readonly createLogGroup?: boolean | undefined;
  /** voicelake also sets the retention of an existing group (`cloudWatch.applyToExisting`). */
  readonly applyToExisting?: boolean | undefined;
  /** Let `voicelake cloudwatch dashboard|alarms --apply` run (dashboards and alarms with the voicelake prefix). */
  readonly monitoring?: boolean | undefined;
  /** The KMS key ARN of the lake's SSE-KMS encryption (`s3.kmsKeyId`). */
  readonly kmsKey?: string | undefined;
  /** Add the statements of the query and compaction commands. */
  readonly read?: boolean | undefined;
  /** Athena workgroup for `read`. Default `primary`. */
  readonly workgroup?: string | undefined;
  /** Glue database of the lake table for `read`. Default `voicelake`. */
  readonly database?: string | undefined;
  /** Region in CloudWatch, Athena and Glue ARNs. Default `*`. */
  readonly region?: string | undefined;
  /** Account id in CloudWatch, Athena and Glue ARNs. Default `*`. */
  readonly account?: string | undefined;
  /** AWS partition. Default `aws`, or the partition of the KMS key. */
  readonly partition?: string | undefined;
}

export interface IamStatement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: string[];
  readonly Resource: string[];
  readonly Condition?: Record<string, Record<string, string[]>>;
}

export interface IamPolicy {
  readonly Version: '2012-10-17';
  readonly Statement: IamStatement[];
}

export const IAM_DEFAULTS = { workgroup: 'primary', database: 'voicelake' } as const;

const PARTITIONS = new Set(['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b', 'aws-iso-e', 'aws-iso-f']);

function problem(option: string, value: string, why: string): ConfigError {
  return new ConfigError(`invalid ${option} ${JSON.stringify(value)}: ${why}`);
}

/** CloudWatch Logs' rules for log group names (which also keep IAM wildcards out). */
function checkLogGroup(group: string): void {
  if (!/^[A-Za-z0-9._/#-]{1,512}$/.test(group))
    throw problem(
      '--log-group',
      group,
      'must be a CloudWatch log group name: 1-512 characters, a-z, A-Z, 0-9, _ - / . #',
    );
}

function checkWorkgroup(workgroup: string): void {
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(workgroup))
    throw problem(
      '--workgroup',
      workgroup,
      'must be an Athena workgroup name: 1-128 characters, a-z, A-Z, 0-9, . _ -',
    );
}

function checkDatabase(database: string): void {
  if (!/^[a-z0-9_]{1,255}$/.test(database))
    throw problem(
      '--database',
      database,
      'must be a Glue database name as Athena uses it: 1-255 characters, a-z, 0-9 and _',
    );
}

interface KeyArn {
  readonly arn: string;
  readonly partition: string;
}

function checkKmsKey(key: string): KeyArn {
  const m = /^arn:([a-z-]+):kms:([a-z0-9-]+):(\d{12}):(key|alias)\/([A-Za-z0-9/_-]+)$/.exec(key);
  if (!m)
    throw problem('--kms-key', key, 'must be a KMS key ARN, arn:aws:kms:<region>:<account>:key/<key id>');
  const [, partition = '', , , kind, id = ''] = m;
  if (kind === 'alias')
    throw problem(
      '--kms-key',
      key,
      'is an alias ARN, and IAM authorizes KMS calls on the key: give the key ARN (aws kms describe-key --key-id <alias>)',
    );
  if (!/^[A-Za-z0-9-]{1,128}$/.test(id)) throw problem('--kms-key', key, 'has an invalid key id');
  if (!PARTITIONS.has(partition)) throw problem('--kms-key', key, `has an unknown partition "${partition}"`);
  return { arn: key, partition };
}

function checkRegion(region: string): void {
  if (!/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(region))
    throw problem('--region', region, 'must be an AWS region such as us-east-1');
}

function checkAccount(account: string): void {
  if (!/^\d{12}$/.test(account)) throw problem('--account', account, 'must be a 12-digit account id');
}

/** Build the policy. Throws `ConfigError` on any invalid input, naming the option. */
export function buildIamPolicy(options: IamPolicyOptions): IamPolicy {
  const { bucket, logGroup, kmsKey } = options;
  lakeBucket(bucket);
  const prefix = lakePrefix(options.prefix ?? '');
  if (logGroup !== undefined) checkLogGroup(logGroup);
  if (options.createLogGroup && logGroup === undefined)
    throw new ConfigError('--create-log-group needs --log-group: name the group voicelake may create');
  if (options.applyToExisting && logGroup === undefined)
    throw new ConfigError(
      '--apply-to-existing needs --log-group: name the group whose retention voicelake sets',
    );
  const key = kmsKey === undefined ? undefined : checkKmsKey(kmsKey);
  const region = options.region ?? '*';
  const account = options.account ?? '*';
  if (options.region !== undefined) checkRegion(region);
  if (options.account !== undefined) checkAccount(account);
  const partition = options.partition ?? key?.partition ?? 'aws';
  if (!PARTITIONS.has(partition))
    throw problem('--partition', partition, `must be one of ${[...PARTITIONS].join(', ')}`);
  if (key && key.partition !== partition)
    throw problem('--kms-key', key.arn, `is in partition ${key.partition}, not ${partition}`);
  const workgroup = options.workgroup ?? IAM_DEFAULTS.workgroup;
  const database = options.database ?? IAM_DEFAULTS.database;
  checkWorkgroup(workgroup);
  checkDatabase(database);

  const bucketArn = `arn:${partition}:s3:::${bucket}`;
  const lakeObjects = `${bucketArn}/${prefix}*`;
  const arn = (service: string, resource: string) =>
    `arn:${partition}:${service}:${region}:${account}:${resource}`;
  const groupArn = logGroup === undefined ? undefined : arn('logs', `log-group:${logGroup}`);
  // Log-group actions are authorized on the group's ARN; CloudWatch Logs has also long
  // matched them against the ARN with a trailing `:*` (the form DescribeLogGroups returns).
  // Both name this group only: group names cannot contain `:`.
  const groupResources = groupArn === undefined ? [] : [groupArn, `${groupArn}:*`];

  const statements: IamStatement[] = [
    { Sid: 'VoicelakeWriteLake', Effect: 'Allow', Action: ['s3:PutObject'], Resource: [lakeObjects] },
  ];
  if (groupArn !== undefined)
    statements.push({
      Sid: 'VoicelakeWriteLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: [`${groupArn}:log-stream:*`],
    });
  if (options.createLogGroup && groupArn !== undefined)
    statements.push({
      Sid: 'VoicelakeCreateLogGroup',
      Effect: 'Allow',
      Action: ['logs:CreateLogGroup', 'logs:PutRetentionPolicy'],
      Resource: groupResources,
    });
  else if (options.applyToExisting && groupArn !== undefined)
    statements.push({
      Sid: 'VoicelakeSetRetention',
      Effect: 'Allow',
      Action: ['logs:PutRetentionPolicy'],
      Resource: groupResources,
    });
  if (options.monitoring)
    statements.push(
      {
        Sid: 'VoicelakeMonitoring',
        Effect: 'Allow',
        Action: ['cloudwatch:GetDashboard', 'cloudwatch:PutDashboard'],
        Resource: [`arn:${partition}:cloudwatch::${account}:dashboard/voicelake*`],
      },
      {
        Sid: 'VoicelakeAlarms',
        Effect: 'Allow',
        Action: ['cloudwatch:PutMetricAlarm'],
        Resource: [arn('cloudwatch', 'alarm:voicelake*')],
      },
      {
        // DescribeAlarms is authorized on alarms, but lists them: scoped to voicelake's by name.
        Sid: 'VoicelakeDescribeAlarms',
        Effect: 'Allow',
        Action: ['cloudwatch:DescribeAlarms'],
        Resource: [arn('cloudwatch', 'alarm:voicelake*')],
      },
    );
  if (key)
    statements.push({
      Sid: 'VoicelakeEncryptLake',
      Effect: 'Allow',
      Action: ['kms:GenerateDataKey'],
      Resource: [key.arn],
    });
  if (!options.read) return { Version: '2012-10-17', Statement: statements };

  statements.push(
    { Sid: 'VoicelakeRead', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [lakeObjects] },
    {
      Sid: 'VoicelakeReadList',
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: [bucketArn],
      // Without a prefix the lake is the whole bucket; a condition would refuse listing its root.
      ...(prefix === '' ? {} : { Condition: { StringLike: { 's3:prefix': [`${prefix}*`] } } }),
    },
    {
      Sid: 'VoicelakeReadBucketLocation',
      Effect: 'Allow',
      Action: ['s3:GetBucketLocation'],
      Resource: [bucketArn],
    },
    {
      Sid: 'VoicelakeReadCompact',
      Effect: 'Allow',
      Action: ['s3:PutObject', 's3:DeleteObject'],
      Resource: [`${bucketArn}/${prefix}${COMPACTED_DIR}*`],
    },
  );
  if (key)
    statements.push({
      Sid: 'VoicelakeReadDecrypt',
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: [key.arn],
    });
  statements.push(
    {
      Sid: 'VoicelakeReadAthena',
      Effect: 'Allow',
      Action: [
        'athena:StartQueryExecution',
        'athena:GetQueryExecution',
        'athena:GetQueryResults',
        'athena:StopQueryExecution',
      ],
      Resource: [arn('athena', `workgroup/${workgroup}`)],
    },
    {
      Sid: 'VoicelakeReadGlue',
      Effect: 'Allow',
      // UpdateTable: `athena create` replaces its views (CREATE OR REPLACE VIEW).
      Action: [
        'glue:GetDatabase',
        'glue:GetTable',
        'glue:GetPartitions',
        'glue:CreateTable',
        'glue:UpdateTable',
      ],
      // Glue authorizes every call on the catalog too, then on the database and table.
      Resource: [
        arn('glue', 'catalog'),
        arn('glue', `database/${database}`),
        arn('glue', `table/${database}/*`),
      ],
    },
    {
      // `compact --engine athena`: its scratch tables (vl_run_<run>_*), which INSERT INTO fills
      // (new partitions) and the run drops; Athena writes their Parquet under compacted/ in parts.
      Sid: 'VoicelakeReadCompactAthena',
      Effect: 'Allow',
      Action: [
        'glue:DeleteTable',
        'glue:GetPartition',
        'glue:BatchGetPartition',
        'glue:CreatePartition',
        'glue:BatchCreatePartition',
        'glue:UpdatePartition',
        'glue:DeletePartition',
        'glue:BatchDeletePartition',
      ],
      Resource: [
        arn('glue', 'catalog'),
        arn('glue', `database/${database}`),
        arn('glue', `table/${database}/vl_run_*`),
      ],
    },
    {
      Sid: 'VoicelakeReadCompactUploads',
      Effect: 'Allow',
      Action: ['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      Resource: [`${bucketArn}/${prefix}${COMPACTED_DIR}*`],
    },
  );
  if (groupArn !== undefined)
    statements.push({
      Sid: 'VoicelakeReadLogsInsights',
      Effect: 'Allow',
      Action: ['logs:StartQuery', 'logs:GetQueryResults'],
      Resource: groupResources,
    });
  return { Version: '2012-10-17', Statement: statements };
}
