/**
 * `voicelake lifecycle show | apply`: the lake's S3 lifecycle rules (Glacier after 90 days,
 * expiry of compacted raw objects, optional expiry of everything, aborting stale multipart
 * uploads). `PutBucketLifecycleConfiguration` replaces a bucket's whole configuration, so
 * `apply` reads the existing rules and changes only voicelake's rules of this lake (by ID).
 * The rules themselves and the merge are in `../lifecycle.ts`.
 */
import {
  GetBucketLifecycleConfigurationCommand,
  PutBucketLifecycleConfigurationCommand,
  type S3Client,
  type TransitionDefaultMinimumObjectSize,
} from '@aws-sdk/client-s3';
import { Command, Option } from 'commander';
import { ConfigError } from 'voicelake';
import { envValue, nonEmpty } from '../env.js';
import { formatCount, positiveInt } from '../format.js';
import { MANIFEST_NAME } from '../lake/compacted-layout.js';
import { lakeBucket, lakePrefix } from '../lake/location.js';
import { listPages, s3ClientFromEnv, s3Failure } from '../lake/s3.js';
import {
  COMPACTED,
  configurationJson,
  describeActions,
  describeFilter,
  desiredRules,
  LIFECYCLE_DEFAULTS,
  type LifecyclePlan,
  type LifecycleRule,
  mergeRules,
  partitionDayOf,
  planNotes,
  RAW,
  RULE_KINDS,
  RULE_PURPOSE,
  ruleId,
  ruleOwner,
  uncompactedExpiringDays,
  unifiedDiff,
} from '../lifecycle.js';
import { type Format, formatOption, printRows } from '../output.js';

/** What `lifecycle` needs, said when S3 denies access. */
const LIFECYCLE_ACCESS =
  'lifecycle needs s3:GetLifecycleConfiguration and s3:PutLifecycleConfiguration on the bucket, and s3:ListBucket for the compaction check';

interface Configuration {
  readonly rules: LifecycleRule[];
  /** False when the bucket has no lifecycle configuration at all. */
  readonly exists: boolean;
  readonly minimumObjectSize: TransitionDefaultMinimumObjectSize | undefined;
}

async function readConfiguration(client: S3Client, bucket: string): Promise<Configuration> {
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
async function rawDays(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const days: string[] = [];
  for (const year of await listAll(client, bucket, `${prefix}${RAW}`, '/'))
    for (const month of await listAll(client, bucket, `${year}month=`, '/'))
      for (const day of await listAll(client, bucket, `${month}day=`, '/')) {
        const d = partitionDayOf(day.slice(prefix.length));
        if (d !== undefined) days.push(d);
      }
  return days.sort();
}

/** Days compacted under `<prefix>compacted/`: those with a manifest, the file that makes a day compacted. */
async function compactedDays(client: S3Client, bucket: string, prefix: string): Promise<Set<string>> {
  const days = new Set<string>();
  for (const key of await listAll(client, bucket, `${prefix}${COMPACTED}`)) {
    if (!key.endsWith(`/${MANIFEST_NAME}`)) continue;
    const d = partitionDayOf(key.slice(prefix.length + COMPACTED.length));
    if (d !== undefined) days.add(d);
  }
  return days;
}

interface TargetFlags {
  bucket?: string;
  prefix?: string;
}

function target(flags: TargetFlags): { bucket: string; prefix: string } {
  const bucket = nonEmpty(flags.bucket) ?? envValue('ANALYTICS_S3_BUCKET');
  if (bucket === undefined) throw new ConfigError('no bucket: pass --bucket or set ANALYTICS_S3_BUCKET');
  const prefix = lakePrefix(flags.prefix ?? envValue('ANALYTICS_S3_PREFIX') ?? '');
  return { bucket: lakeBucket(bucket), prefix };
}

const targetOptions = (cmd: Command): Command =>
  cmd
    .option('--bucket <name>', 'the lake bucket (default: ANALYTICS_S3_BUCKET)')
    .option('--prefix <prefix>', 'the lake prefix, before year= (default: ANALYTICS_S3_PREFIX, else none)');

const lakeLabel = (bucket: string, prefix: string): string =>
  `s3://${bucket}/${prefix}${prefix === '' ? ' (no prefix)' : ''}`;

const ruleLine = (r: LifecycleRule): string => `${describeFilter(r)}: ${describeActions(r)}`;

const RULES_HELP = `
The rules (each ID ends with 8 hex digits of SHA-256 of the lake prefix, so each lake
in a bucket has its own):
${RULE_KINDS.map((k) => `  voicelake-${k.padEnd(18)} ${RULE_PURPOSE[k]}`).join('\n')}

Scoping: S3 lifecycle filters match key prefixes character by character, so the filter
<prefix>year= matches every raw .json.gz object of the lake and nothing under
<prefix>compacted/ (the Parquet files compaction writes). No tag is needed: tagging would cost a
PutObjectTagging per object and write access to the raw objects.`;

export function lifecycleCommand(): Command {
  const cmd = new Command('lifecycle')
    .description(
      "Show or apply the lake's S3 lifecycle rules (Glacier after 90 days, raw-object expiry after compaction, abort stale uploads)",
    )
    .addHelpText('after', RULES_HELP);
  cmd.addCommand(showCommand());
  cmd.addCommand(applyCommand());
  return cmd;
}

interface ShowFlags extends TargetFlags {
  format: Format;
}

function showCommand(): Command {
  return targetOptions(
    new Command('show')
      .description("Print the bucket's lifecycle rules, marking voicelake's")
      .addOption(formatOption()),
  ).action(async (flags: ShowFlags) => {
    const { bucket, prefix } = target(flags);
    const client = s3ClientFromEnv();
    try {
      const config = await readConfiguration(client, bucket);
      const owner = { 'this-lake': 'this lake', 'other-lake': 'other lake', other: '' } as const;
      const rows = config.rules.map((r) => ({
        voicelake: owner[ruleOwner(r, prefix)],
        id: r.ID ?? '',
        status: r.Status ?? '',
        filter: describeFilter(r),
        actions: describeActions(r),
      }));
      if (flags.format !== 'table') {
        if (flags.format === 'json')
          process.stdout.write(
            `${JSON.stringify(
              {
                bucket,
                prefix,
                transitionDefaultMinimumObjectSize: config.minimumObjectSize ?? null,
                rules: config.rules.map((r, i) => ({
                  ...rows[i],
                  rule: JSON.parse(configurationJson([r])).Rules[0],
                })),
              },
              null,
              2,
            )}\n`,
          );
        else printRows(rows, 'csv', ['voicelake', 'id', 'status', 'filter', 'actions']);
        return;
      }
      if (!config.exists || config.rules.length === 0) {
        process.stdout.write(
          `s3://${bucket} has no lifecycle configuration: \`voicelake lifecycle apply --bucket ${bucket}${prefix ? ` --prefix ${prefix}` : ''} --dry-run\` shows what voicelake would add\n`,
        );
        return;
      }
      printRows(rows, 'table', ['voicelake', 'id', 'status', 'filter', 'actions']);
      const mine = rows.filter((r) => r.voicelake === 'this lake').length;
      process.stdout.write(
        `\n${formatCount(rows.length)} rule${rows.length === 1 ? '' : 's'} on s3://${bucket}; ${mine} voicelake rule${mine === 1 ? '' : 's'} for the lake at ${lakeLabel(bucket, prefix)}\n`,
      );
      if (config.minimumObjectSize !== undefined)
        process.stdout.write(
          `transition minimum object size: ${config.minimumObjectSize}${config.minimumObjectSize === 'all_storage_classes_128K' ? ' (objects under 128 KiB are never transitioned)' : ''}\n`,
        );
    } finally {
      client.destroy();
    }
  });
}

interface ApplyFlags extends TargetFlags {
  glacierAfterDays: number;
  glacier: boolean;
  expireRawAfterDays?: number;
  expireAfterDays?: number;
  abortMultipartAfterDays: number;
  dryRun?: boolean;
  force?: boolean;
}

function applyCommand(): Command {
  return targetOptions(
    new Command('apply')
      .description(
        "Set voicelake's lifecycle rules for this lake, keeping every other rule of the bucket; --dry-run prints the diff",
      )
      .option(
        '--glacier-after-days <days>',
        'move objects (raw and compacted) to Glacier Flexible Retrieval after this many days',
        positiveInt('--glacier-after-days'),
        LIFECYCLE_DEFAULTS.glacierAfterDays,
      )
      .option('--no-glacier', 'no Glacier transition')
      .option(
        '--expire-raw-after-days <days>',
        'delete raw .json.gz objects this many days after they were written (compact first: uncompacted days are refused)',
        positiveInt('--expire-raw-after-days'),
      )
      .option(
        '--expire-after-days <days>',
        'delete every object of the lake (raw and compacted) this many days after it was written',
        positiveInt('--expire-after-days'),
      )
      .addOption(
        new Option('--abort-multipart-after-days <days>', 'abort multipart uploads left incomplete this long')
          .argParser(positiveInt('--abort-multipart-after-days'))
          .default(LIFECYCLE_DEFAULTS.abortMultipartAfterDays),
      )
      .option('--dry-run', 'print the configuration change as a diff and change nothing')
      .option('--force', 'expire raw objects even of days that have no compacted copy (that data is lost)'),
  )
    .addHelpText(
      'after',
      `${RULES_HELP}

apply states the lake's whole policy: a voicelake rule of this lake that the options no longer
ask for is removed (the diff shows it). Rules of other lakes and everyone else's rules are kept
as they are, in place. Applying the same options again changes nothing ("unchanged").

Raw expiry cannot see whether a day is compacted (lifecycle rules know only key prefixes and
age), so apply checks it now: it lists the raw partition prefixes and <prefix>compacted/, and
refuses when a raw day old enough to expire has no compaction manifest (--force to accept).
Keep compaction running more often than the expiry age.`,
    )
    .action(async (flags: ApplyFlags) => {
      const { bucket, prefix } = target(flags);
      const plan: LifecyclePlan = {
        prefix,
        glacierAfterDays: flags.glacier ? flags.glacierAfterDays : undefined,
        expireRawAfterDays: flags.expireRawAfterDays,
        expireAfterDays: flags.expireAfterDays,
        abortMultipartAfterDays: flags.abortMultipartAfterDays,
      };
      const client = s3ClientFromEnv();
      try {
        const config = await readConfiguration(client, bucket);
        const merged = mergeRules(config.rules, desiredRules(plan), prefix);
        const out: string[] = [];
        const byId = new Map(
          [...config.rules, ...merged.rules].map((r) => [r.ID as string, r] as [string, LifecycleRule]),
        );
        const mergedById = new Map(merged.rules.map((r) => [r.ID as string, r]));
        out.push(`lifecycle of ${lakeLabel(bucket, prefix)}:`);
        for (const c of merged.changes) {
          const r = mergedById.get(c.id) ?? byId.get(c.id);
          out.push(`  ${c.change.padEnd(9)} ${c.id.padEnd(37)} ${r ? ruleLine(r) : ''}`.trimEnd());
        }
        out.push(
          `  ${formatCount(merged.kept)} other rule${merged.kept === 1 ? '' : 's'} of the bucket kept as ${merged.kept === 1 ? 'it is' : 'they are'}`,
        );

        const refusal = await checkRawExpiry(client, bucket, prefix, plan);
        const notes = planNotes(plan, config.minimumObjectSize);
        const count = (kind: string) => merged.changes.filter((c) => c.change === kind).length;
        const summary = `${count('added')} added, ${count('updated')} updated, ${count('removed')} removed`;

        if (flags.dryRun) {
          const before = config.exists ? configurationJson(config.rules) : '';
          const diff = unifiedDiff(
            before,
            configurationJson(merged.rules),
            `s3://${bucket} lifecycle (current${config.exists ? '' : ': none'})`,
            `s3://${bucket} lifecycle (after apply)`,
          );
          process.stdout.write(diff === '' ? '' : `${diff}\n`);
          out.push(
            merged.unchanged
              ? 'dry run: unchanged, apply would not write anything'
              : `dry run: apply would write this configuration (${summary}); nothing was changed`,
          );
          if (refusal !== undefined && merged.unchanged)
            out.push(`warning: the rule in place will delete data: ${refusal}`);
          else if (refusal !== undefined && !flags.force) out.push(`dry run: apply would refuse: ${refusal}`);
        } else if (merged.unchanged) {
          out.push('unchanged: the bucket already has these rules');
          if (refusal !== undefined) out.push(`warning: the rule in place will delete data: ${refusal}`);
        } else {
          if (refusal !== undefined && !flags.force)
            throw new ConfigError(`refusing to expire raw objects: ${refusal}`);
          await client
            .send(
              new PutBucketLifecycleConfigurationCommand({
                Bucket: bucket,
                LifecycleConfiguration: { Rules: merged.rules },
                // Bucket-wide: keep what the bucket has (omitting it would reset it to the default).
                ...(config.minimumObjectSize !== undefined
                  ? { TransitionDefaultMinimumObjectSize: config.minimumObjectSize }
                  : {}),
              }),
            )
            .catch((error: unknown) => {
              throw s3Failure(
                'put the lifecycle configuration of',
                `s3://${bucket}`,
                error,
                LIFECYCLE_ACCESS,
              );
            });
          out.push(`applied: ${summary}`);
        }
        for (const n of notes) out.push(`note: ${n}`);
        if (refusal !== undefined && flags.force && !merged.unchanged && !flags.dryRun)
          out.push(`warning: --force: ${refusal}`);
        process.stdout.write(`${out.join('\n')}\n`);
      } finally {
        client.destroy();
      }
    });
}

/** Why raw expiry would lose data now (raw days old enough to expire with no compacted copy), or undefined. */
async function checkRawExpiry(
  client: S3Client,
  bucket: string,
  prefix: string,
  plan: LifecyclePlan,
): Promise<string | undefined> {
  // Expiring everything is what --expire-after-days asks for; only raw-before-everything needs the check.
  const days = plan.expireRawAfterDays;
  if (days === undefined || (plan.expireAfterDays !== undefined && plan.expireAfterDays <= days))
    return undefined;
  const raw = await rawDays(client, bucket, prefix);
  if (raw.length === 0) return undefined;
  const missing = uncompactedExpiringDays(raw, await compactedDays(client, bucket, prefix), days);
  if (missing.length === 0) return undefined;
  const shown = missing.length > 5 ? `${missing.slice(0, 5).join(', ')}, …` : missing.join(', ');
  const one = missing.length === 1;
  return `${missing.length} raw day${one ? '' : 's'} older than ${days} days ${one ? 'is' : 'are'} not compacted (no ${prefix}${COMPACTED}…/${MANIFEST_NAME}): ${shown}; rule ${ruleId('expire-raw', prefix)} would delete ${one ? 'its' : 'their'} only copy (\`voicelake compact\` ${one ? 'it' : 'them'} first, or pass --force)`;
}
