/** `voicelake iam-policy`: print the least-privilege IAM policy for the library (docs/security.md). */
import { Command } from 'commander';
import { buildIamPolicy, IAM_DEFAULTS } from '../iam.js';

interface IamPolicyFlags {
  bucket: string;
  prefix?: string;
  logGroup?: string;
  kmsKey?: string;
  createLogGroup?: boolean;
  applyToExisting?: boolean;
  monitoring?: boolean;
  read?: boolean;
  workgroup: string;
  database: string;
  region?: string;
  account?: string;
  partition?: string;
}

export function iamPolicyCommand(): Command {
  return new Command('iam-policy')
    .description(
      'Print the least-privilege IAM policy (JSON) for voicelake on this bucket, log group and key',
    )
    .requiredOption('--bucket <name>', 'the lake bucket (s3.bucket)')
    .option('--prefix <prefix>', 'the lake prefix (s3.prefix)')
    .option(
      '--log-group <name>',
      'the CloudWatch log group (cloudWatch.logGroup); none: no CloudWatch statement',
    )
    .option('--kms-key <arn>', 'the KMS key ARN the lake is encrypted with (s3.kmsKeyId)')
    .option('--create-log-group', 'let voicelake create the log group when it is missing, with its retention')
    .option(
      '--apply-to-existing',
      'let voicelake set the retention of an existing group (cloudWatch.applyToExisting)',
    )
    .option(
      '--monitoring',
      'let `voicelake cloudwatch dashboard|alarms --apply` run (names starting with voicelake)',
    )
    .option(
      '--read',
      'add what the query and compaction commands need (S3 read, Athena, Glue, Logs Insights)',
    )
    .option('--workgroup <name>', 'Athena workgroup, with --read', IAM_DEFAULTS.workgroup)
    .option('--database <name>', 'Glue database of the lake table, with --read', IAM_DEFAULTS.database)
    .option('--region <region>', 'region in the CloudWatch, Athena and Glue ARNs (default: any)')
    .option('--account <id>', 'account id in the CloudWatch, Athena and Glue ARNs (default: any)')
    .option('--partition <partition>', 'AWS partition (default: aws, or the KMS key partition)')
    .action((flags: IamPolicyFlags) => {
      const policy = buildIamPolicy({
        bucket: flags.bucket,
        prefix: flags.prefix,
        logGroup: flags.logGroup,
        kmsKey: flags.kmsKey,
        createLogGroup: flags.createLogGroup,
        applyToExisting: flags.applyToExisting,
        monitoring: flags.monitoring,
        read: flags.read,
        workgroup: flags.workgroup,
        database: flags.database,
        region: flags.region,
        account: flags.account,
        partition: flags.partition,
      });
      process.stdout.write(`${JSON.stringify(policy, null, 2)}\n`);
    });
}
