/**
 * `voicelake iam-policy`: every statement is scoped to the lake prefix, the log group, the
 * key, the workgroup or the database; no action is a wildcard; statements appear only with
 * their option; bad input is refused. Plus the built CLI printing the same document.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from 'voicelake';
import {
  buildIamPolicy,
  type IamPolicy,
  type IamPolicyOptions,
  type IamStatement,
} from '../../packages/cli/src/iam.js';
import { lakePrefix } from '../../packages/cli/src/lake/location.js';
import { prefixProblem } from '../../packages/voicelake/src/lake/layout.js';

const run = promisify(execFile);
const cli = resolve(import.meta.dirname, '../../packages/cli/bin/voicelake.js');

const KEY = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const READ_SIDS = [
  'VoicelakeRead',
  'VoicelakeReadList',
  'VoicelakeReadBucketLocation',
  'VoicelakeReadCompact',
  'VoicelakeReadAthena',
  'VoicelakeReadGlue',
  'VoicelakeReadCompactAthena',
  'VoicelakeReadCompactUploads',
];

interface Case {
  name: string;
  options: IamPolicyOptions;
  sids: string[];
}

const CASES: Case[] = [
  { name: 'bucket only', options: { bucket: 'my-bucket' }, sids: ['VoicelakeWriteLake'] },
  {
    name: 'prefix without a slash',
    options: { bucket: 'my-bucket', prefix: 'voice' },
    sids: ['VoicelakeWriteLake'],
  },
  {
    name: 'log group',
    options: { bucket: 'my-bucket', prefix: 'voice/', logGroup: '/voicelake/agents' },
    sids: ['VoicelakeWriteLake', 'VoicelakeWriteLogs'],
  },
  {
    name: 'log group voicelake may create',
    options: { bucket: 'my-bucket', logGroup: '/voicelake/agents', createLogGroup: true },
    sids: ['VoicelakeWriteLake', 'VoicelakeWriteLogs', 'VoicelakeCreateLogGroup'],
  },
  {
    name: 'retention set on an existing group',
    options: { bucket: 'my-bucket', logGroup: '/voicelake/agents', applyToExisting: true },
    sids: ['VoicelakeWriteLake', 'VoicelakeWriteLogs', 'VoicelakeSetRetention'],
  },
  {
    name: 'dashboards and alarms',
    options: { bucket: 'my-bucket', monitoring: true, region: 'eu-west-1', account: '111122223333' },
    sids: ['VoicelakeWriteLake', 'VoicelakeMonitoring', 'VoicelakeAlarms', 'VoicelakeDescribeAlarms'],
  },
  {
    name: 'KMS key',
    options: { bucket: 'my-bucket', prefix: 'a/b/', kmsKey: KEY },
    sids: ['VoicelakeWriteLake', 'VoicelakeEncryptLake'],
  },
  {
    name: 'read, no prefix',
    options: { bucket: 'lake.example', read: true },
    sids: ['VoicelakeWriteLake', ...READ_SIDS],
  },
  {
    name: 'read with everything, region and account',
    options: {
      bucket: 'my-bucket',
      prefix: 'voice/',
      logGroup: '/voicelake/agents',
      createLogGroup: true,
      kmsKey: KEY,
      read: true,
      workgroup: 'analytics',
      database: 'voice_lake',
      region: 'eu-west-1',
      account: '111122223333',
    },
    sids: [
      'VoicelakeWriteLake',
      'VoicelakeWriteLogs',
      'VoicelakeCreateLogGroup',
      'VoicelakeEncryptLake',
      ...READ_SIDS.slice(0, 4),
      'VoicelakeReadDecrypt',
      ...READ_SIDS.slice(4),
      'VoicelakeReadLogsInsights',
    ],
  },
  {
    name: 'China partition from the key',
    options: { bucket: 'my-bucket', kmsKey: 'arn:aws-cn:kms:cn-north-1:111122223333:key/abcd', read: true },
    sids: [
      'VoicelakeWriteLake',
      'VoicelakeEncryptLake',
      ...READ_SIDS.slice(0, 4),
      'VoicelakeReadDecrypt',
      ...READ_SIDS.slice(4),
    ],
  },
];

/** True when `resource` names only what these options allow: the lake, the group, the key, the workgroup, the database. */
function scoped(resource: string, o: IamPolicyOptions): boolean {
  const p = o.partition ?? o.kmsKey?.split(':')[1] ?? 'aws';
  const prefix = lakePrefix(o.prefix ?? '');
  const at = (service: string) => `arn:${p}:${service}:${o.region ?? '*'}:${o.account ?? '*'}:`;
  const group = o.logGroup === undefined ? undefined : `${at('logs')}log-group:${o.logGroup}`;
  const database = o.database ?? 'voicelake';
  return (
    resource === `arn:${p}:s3:::${o.bucket}` ||
    resource.startsWith(`arn:${p}:s3:::${o.bucket}/${prefix}`) ||
    (group !== undefined && (resource === group || resource.startsWith(`${group}:`))) ||
    resource === o.kmsKey ||
    resource === `arn:${p}:cloudwatch::${o.account ?? '*'}:dashboard/voicelake*` ||
    resource === `${at('cloudwatch')}alarm:voicelake*` ||
    resource === `${at('athena')}workgroup/${o.workgroup ?? 'primary'}` ||
    [
      `${at('glue')}catalog`,
      `${at('glue')}database/${database}`,
      `${at('glue')}table/${database}/*`,
      `${at('glue')}table/${database}/vl_run_*`,
    ].includes(resource)
  );
}

const statement = (policy: IamPolicy, sid: string): IamStatement | undefined =>
  policy.Statement.find((s) => s.Sid === sid);

describe('buildIamPolicy', () => {
  it.each(CASES)('$name: the expected statements, each with a unique Sid', ({ options, sids }) => {
    // Act
    const policy = buildIamPolicy(options);
    // Assess
    expect(policy.Version).toBe('2012-10-17');
    expect(policy.Statement.map((s) => s.Sid)).toEqual(sids);
    for (const s of policy.Statement) {
      expect(s.Sid).toMatch(/^[A-Za-z0-9]+$/);
      expect(s.Effect).toBe('Allow');
      expect(s.Action.length).toBeGreaterThan(0);
      expect(s.Resource.length).toBeGreaterThan(0);
    }
  });

  it.each(CASES)('$name: no action is a wildcard', ({ options }) => {
    // Act
    const actions = buildIamPolicy(options).Statement.flatMap((s) => s.Action);
    // Assess
    for (const action of actions)
      expect(action).toMatch(/^(s3|logs|kms|athena|glue|cloudwatch):[A-Z][A-Za-z]+$/);
  });

  it.each(CASES)(
    '$name: every resource is the lake, the group, the key, the workgroup or the database',
    ({ options }) => {
      // Act
      const resources = buildIamPolicy(options).Statement.flatMap((s) => s.Resource);
      // Assess
      for (const resource of resources) {
        expect(scoped(resource, options), resource).toBe(true);
        // The only wildcards: an unspecified region or account, and a trailing one.
        const rest = resource.replace(/^(arn:[a-z-]+:[a-z0-9]+:)[^:]*:[^:]*:/, '$1R:A:');
        expect([-1, rest.length - 1], resource).toContain(rest.indexOf('*'));
        if (options.region !== undefined) expect(resource).not.toContain(':*:*:');
      }
    },
  );

  it('puts the writes on the lake prefix, the log streams of the group and the key', () => {
    // Act
    const policy = buildIamPolicy({
      bucket: 'my-bucket',
      prefix: 'voice',
      logGroup: '/voicelake/agents',
      createLogGroup: true,
      kmsKey: KEY,
    });
    // Assess
    expect(statement(policy, 'VoicelakeWriteLake')?.Resource).toEqual(['arn:aws:s3:::my-bucket/voice/*']);
    expect(statement(policy, 'VoicelakeWriteLogs')).toMatchObject({
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: ['arn:aws:logs:*:*:log-group:/voicelake/agents:log-stream:*'],
    });
    expect(statement(policy, 'VoicelakeCreateLogGroup')).toMatchObject({
      Action: ['logs:CreateLogGroup', 'logs:PutRetentionPolicy'],
      Resource: [
        'arn:aws:logs:*:*:log-group:/voicelake/agents',
        'arn:aws:logs:*:*:log-group:/voicelake/agents:*',
      ],
    });
    expect(statement(policy, 'VoicelakeEncryptLake')).toMatchObject({
      Action: ['kms:GenerateDataKey'],
      Resource: [KEY],
    });
    expect(buildIamPolicy({ bucket: 'my-bucket' }).Statement[0]?.Resource).toEqual([
      'arn:aws:s3:::my-bucket/*',
    ]);
  });

  it('lists the bucket only under the prefix, and compacts only under <prefix>compacted/', () => {
    // Act
    const policy = buildIamPolicy({ bucket: 'my-bucket', prefix: 'voice/', read: true });
    const whole = buildIamPolicy({ bucket: 'my-bucket', read: true });
    // Assess
    expect(statement(policy, 'VoicelakeReadList')).toEqual({
      Sid: 'VoicelakeReadList',
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: ['arn:aws:s3:::my-bucket'],
      Condition: { StringLike: { 's3:prefix': ['voice/*'] } },
    });
    expect(statement(policy, 'VoicelakeReadCompact')).toMatchObject({
      Action: ['s3:PutObject', 's3:DeleteObject'],
      Resource: ['arn:aws:s3:::my-bucket/voice/compacted/*'],
    });
    expect(statement(whole, 'VoicelakeReadList')?.Condition).toBeUndefined();
    expect(statement(whole, 'VoicelakeReadCompact')?.Resource).toEqual([
      'arn:aws:s3:::my-bucket/compacted/*',
    ]);
    // Only the compaction statement may delete, and only the list statements name the bucket itself.
    for (const s of policy.Statement) {
      if (s.Action.includes('s3:DeleteObject')) expect(s.Sid).toBe('VoicelakeReadCompact');
      if (s.Resource.includes('arn:aws:s3:::my-bucket'))
        expect(['VoicelakeReadList', 'VoicelakeReadBucketLocation']).toContain(s.Sid);
    }
  });

  it('decrypts only when reading, and queries Logs Insights only with a group', () => {
    // Act
    const write = buildIamPolicy({ bucket: 'my-bucket', kmsKey: KEY, logGroup: 'g' });
    const read = buildIamPolicy({ bucket: 'my-bucket', kmsKey: KEY, logGroup: 'g', read: true });
    // Assess
    expect(write.Statement.flatMap((s) => s.Action)).not.toContain('kms:Decrypt');
    expect(statement(read, 'VoicelakeReadDecrypt')).toMatchObject({
      Action: ['kms:Decrypt'],
      Resource: [KEY],
    });
    expect(statement(read, 'VoicelakeReadLogsInsights')).toMatchObject({
      Action: ['logs:StartQuery', 'logs:GetQueryResults'],
      Resource: ['arn:aws:logs:*:*:log-group:g', 'arn:aws:logs:*:*:log-group:g:*'],
    });
    expect(statement(read, 'VoicelakeReadAthena')?.Resource).toEqual([
      'arn:aws:athena:*:*:workgroup/primary',
    ]);
    expect(statement(read, 'VoicelakeReadGlue')?.Resource).toEqual([
      'arn:aws:glue:*:*:catalog',
      'arn:aws:glue:*:*:database/voicelake',
      'arn:aws:glue:*:*:table/voicelake/*',
    ]);
    // compact --engine athena drops and fills only its own scratch tables.
    expect(statement(read, 'VoicelakeReadCompactAthena')).toMatchObject({
      Action: expect.arrayContaining(['glue:DeleteTable', 'glue:BatchCreatePartition']),
      Resource: [
        'arn:aws:glue:*:*:catalog',
        'arn:aws:glue:*:*:database/voicelake',
        'arn:aws:glue:*:*:table/voicelake/vl_run_*',
      ],
    });
    expect(statement(read, 'VoicelakeReadGlue')?.Action).not.toContain('glue:DeleteTable');
  });

  const INVALID: [string, IamPolicyOptions, RegExp][] = [
    ['upper-case bucket', { bucket: 'My-Bucket' }, /--bucket/],
    ['short bucket', { bucket: 'ab' }, /--bucket/],
    ['bucket with ..', { bucket: 'a..b' }, /--bucket.*adjacent/],
    ['IP-address bucket', { bucket: '192.168.1.1' }, /--bucket.*IP/],
    ['reserved bucket suffix', { bucket: 'lake-s3alias' }, /--bucket.*reserves/],
    ['bucket with a slash', { bucket: 'bucket/prefix' }, /--bucket/],
    ['bucket wildcard', { bucket: 'bucket*' }, /--bucket/],
    ['prefix climbing out', { bucket: 'b-1', prefix: '../x' }, /--prefix.*"\.\."/],
    ['prefix climbing out in the middle', { bucket: 'b-1', prefix: 'a/../b' }, /--prefix/],
    ['absolute prefix', { bucket: 'b-1', prefix: '/lake' }, /--prefix.*start with \//],
    ['prefix with an empty segment', { bucket: 'b-1', prefix: 'a//b' }, /--prefix.*empty segment/],
    ['prefix with a partition', { bucket: 'b-1', prefix: 'lake/year=2024/' }, /--prefix.*partition/],
    ['prefix with a control character', { bucket: 'b-1', prefix: 'a\u0000b' }, /--prefix.*control/],
    ['prefix with a newline', { bucket: 'b-1', prefix: 'a\nb' }, /--prefix.*control/],
    ['prefix wildcard', { bucket: 'b-1', prefix: 'a*' }, /--prefix.*wildcards/],
    ['prefix ?', { bucket: 'b-1', prefix: 'a?b/' }, /--prefix.*wildcards/],
    // An IAM policy variable (the backslash keeps it literal text).
    ['prefix policy variable', { bucket: 'b-1', prefix: `\${aws:username}/` }, /--prefix.*wildcards/],
    ['prefix backslash', { bucket: 'b-1', prefix: 'a\\b' }, /--prefix/],
    ['long prefix', { bucket: 'b-1', prefix: 'x'.repeat(513) }, /--prefix.*512/],
    ['group with :', { bucket: 'b-1', logGroup: 'a:b' }, /--log-group/],
    ['group wildcard', { bucket: 'b-1', logGroup: '/voicelake/*' }, /--log-group/],
    ['group ?', { bucket: 'b-1', logGroup: 'g?' }, /--log-group/],
    ['empty group', { bucket: 'b-1', logGroup: '' }, /--log-group/],
    ['group with a space', { bucket: 'b-1', logGroup: 'my group' }, /--log-group/],
    ['long group', { bucket: 'b-1', logGroup: 'g'.repeat(513) }, /--log-group/],
    [
      'create without a group',
      { bucket: 'b-1', createLogGroup: true },
      /--create-log-group needs --log-group/,
    ],
    ['key id, not ARN', { bucket: 'b-1', kmsKey: '1234abcd' }, /--kms-key.*ARN/],
    [
      'alias ARN',
      { bucket: 'b-1', kmsKey: 'arn:aws:kms:us-east-1:111122223333:alias/lake' },
      /--kms-key.*alias/,
    ],
    ['key wildcard', { bucket: 'b-1', kmsKey: 'arn:aws:kms:us-east-1:111122223333:key/*' }, /--kms-key/],
    ['short account in key', { bucket: 'b-1', kmsKey: 'arn:aws:kms:us-east-1:1234:key/abcd' }, /--kms-key/],
    ['not a KMS ARN', { bucket: 'b-1', kmsKey: 'arn:aws:s3:::b-1' }, /--kms-key/],
    ['key in another partition', { bucket: 'b-1', kmsKey: KEY, partition: 'aws-cn' }, /--kms-key.*partition/],
    ['unknown partition', { bucket: 'b-1', partition: 'aws-moon' }, /--partition/],
    ['workgroup wildcard', { bucket: 'b-1', read: true, workgroup: 'w*' }, /--workgroup/],
    ['upper-case database', { bucket: 'b-1', read: true, database: 'Voice' }, /--database/],
    ['database with -', { bucket: 'b-1', read: true, database: 'voice-lake' }, /--database/],
    ['region wildcard', { bucket: 'b-1', region: '*' }, /--region/],
    ['bad region', { bucket: 'b-1', region: 'us-east' }, /--region/],
    ['account wildcard', { bucket: 'b-1', account: '*' }, /--account/],
    ['short account', { bucket: 'b-1', account: '1234' }, /--account/],
  ];

  it.each(INVALID)('refuses %s with a ConfigError naming the option', (_, options, message) => {
    // Act
    const attempt = () => buildIamPolicy(options);
    // Assess
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
  });

  it('refuses every prefix the library refuses, and normalizes the rest as it does', () => {
    // Assess
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc
            .array(fc.constantFrom('a', 'b', '/', '.', '..', 'year=', 'day=1', '*', '$', '\\', '\n', ' '))
            .map((a) => a.join('')),
        ),
        (prefix) => {
          let normalized: string | undefined;
          try {
            normalized = lakePrefix(prefix);
          } catch (error) {
            expect(error).toBeInstanceOf(ConfigError);
            return;
          }
          expect(prefixProblem(prefix)).toBeUndefined();
          expect(normalized === '' || normalized.endsWith('/')).toBe(true);
          expect(normalized).not.toMatch(/[*?$]|\/\/$/);
        },
      ),
    );
    expect(lakePrefix('')).toBe('');
    expect(lakePrefix('voice')).toBe('voice/');
    expect(lakePrefix('voice/')).toBe('voice/');
  });
});

describe('voicelake iam-policy (the built CLI)', () => {
  it('prints the same policy as JSON, and exits 1 with a clear message on bad input', async () => {
    // Prepare
    const args = [
      'iam-policy',
      '--bucket',
      'my-bucket',
      '--prefix',
      'voice/',
      '--log-group',
      '/voicelake/agents',
      '--kms-key',
      KEY,
      '--read',
      '--region',
      'us-east-1',
    ];
    // Act
    const { stdout } = await run(process.execPath, [cli, ...args]);
    const failure = await run(process.execPath, [
      cli,
      'iam-policy',
      '--bucket',
      'my-bucket',
      '--prefix',
      '../up',
    ]).catch((e: unknown) => e);
    // Assess
    expect(JSON.parse(stdout)).toEqual(
      buildIamPolicy({
        bucket: 'my-bucket',
        prefix: 'voice/',
        logGroup: '/voicelake/agents',
        kmsKey: KEY,
        read: true,
        region: 'us-east-1',
      }),
    );
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toBe(
      'voicelake: VL_ERR_CONFIG: invalid --prefix "../up": may not contain a ".." segment\n',
    );
  });
});
