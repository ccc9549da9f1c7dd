/**
 * `voicelake athena`: define the lake in Athena from the schema.
 *   `athena ddl`          print the table (partition projection) and view DDL
 *   `athena ddl --check`  compare the live Glue table with the schema: exit 0 when it matches,
 *                         2 with the `ALTER TABLE … ADD COLUMNS` to run when it does not
 *   `athena create`       run the DDL through Athena
 */
import { EntityNotFoundException, GetTableCommand, GlueClient } from '@aws-sdk/client-glue';
import { Command } from 'commander';
import { ConfigError } from 'voicelake';
import { SCHEMA_VERSION } from 'voicelake/schema';
import { envValue, nonEmpty } from '../env.js';
import { AthenaEngine } from '../lake/athena.js';
import {
  ATHENA_DDL_DEFAULTS,
  type AthenaDdlOptions,
  athenaDdl,
  checkTableRef,
  compactedTables,
  type SchemaColumn,
  type TableRef,
} from '../lake/ddl.js';
import { alterAddColumns, type LiveColumn, type SchemaDiff, schemaDiff } from '../lake/ddl-check.js';

export interface TableFlags {
  bucket?: string;
  prefix?: string;
  database?: string;
  table: string;
}

function tableRef(flags: TableFlags): TableRef {
  const ref = {
    database: flags.database ?? envValue('ANALYTICS_ATHENA_DATABASE') ?? ATHENA_DDL_DEFAULTS.database,
    table: flags.table,
  };
  checkTableRef(ref);
  return ref;
}

export function ddlOptions(flags: TableFlags): AthenaDdlOptions {
  const bucket = nonEmpty(flags.bucket) ?? envValue('ANALYTICS_S3_BUCKET');
  if (bucket === undefined) throw new ConfigError('no bucket: pass --bucket or set ANALYTICS_S3_BUCKET');
  return { ...tableRef(flags), bucket, prefix: flags.prefix ?? envValue('ANALYTICS_S3_PREFIX') ?? '' };
}

/** Statements as a script: each ends with `;`, a blank line between them. */
export const script = (statements: readonly string[]): string =>
  `${statements.map((s) => `${s};`).join('\n\n')}\n`;

export type TableCheck =
  | { readonly status: 'missing' }
  | { readonly status: 'matches'; readonly diff: SchemaDiff }
  | { readonly status: 'differs'; readonly diff: SchemaDiff; readonly alter: string | undefined };

/** The live table's columns (`GetTable`; partition keys excluded), or undefined when there is no such table. */
export async function liveColumns(glue: GlueClient, ref: TableRef): Promise<LiveColumn[] | undefined> {
  try {
    const { Table } = await glue.send(new GetTableCommand({ DatabaseName: ref.database, Name: ref.table }));
    return (Table?.StorageDescriptor?.Columns ?? []).map((c) => ({ name: c.Name ?? '', type: c.Type ?? '' }));
  } catch (error) {
    if (error instanceof EntityNotFoundException) return undefined;
    throw error;
  }
}

/** Compare the live Glue table with the schema (`columns`, default every schema column). */
export async function checkTable(
  glue: GlueClient,
  ref: TableRef,
  columns?: readonly SchemaColumn[],
): Promise<TableCheck> {
  const live = await liveColumns(glue, ref);
  if (live === undefined) return { status: 'missing' };
  const diff = columns === undefined ? schemaDiff(live) : schemaDiff(live, columns);
  if (diff.missing.length === 0 && diff.mismatched.length === 0) return { status: 'matches', diff };
  const alter = columns === undefined ? alterAddColumns(live, ref) : alterAddColumns(live, ref, columns);
  return { status: 'differs', diff, alter };
}

/** What `--check` prints, and its exit code: 0 when the table matches the schema, else 2. */
export function renderCheck(check: TableCheck, ref: TableRef): { text: string; exitCode: 0 | 2 } {
  const name = `${ref.database}.${ref.table}`;
  if (check.status === 'missing')
    return {
      text: `-- table ${name} does not exist: create it with \`voicelake athena create\` (or run \`voicelake athena ddl\`)\n`,
      exitCode: 2,
    };
  const extra = check.diff.extra.length
    ? `-- columns not in the schema (left as they are): ${check.diff.extra.join(', ')}\n`
    : '';
  if (check.status === 'matches')
    return { text: `table ${name} matches schema v${SCHEMA_VERSION}\n${extra}`, exitCode: 0 };
  const lines = [`-- table ${name} differs from schema v${SCHEMA_VERSION}`];
  for (const m of check.diff.mismatched)
    lines.push(
      `-- column ${m.name} is ${m.live} in the table but ${m.expected} in the schema: ADD COLUMNS cannot change it (ALTER TABLE … REPLACE COLUMNS can)`,
    );
  if (check.alter !== undefined)
    lines.push(
      `-- add the missing column${check.diff.missing.length === 1 ? '' : 's'}, then re-run \`voicelake athena create\` to refresh the views:`,
      `${check.alter};`,
    );
  return { text: `${lines.join('\n')}\n${extra}`, exitCode: 2 };
}

/**
 * `--check`: the gzip table, and beside it the compacted tables that let Athena read compacted
 * days from Parquet (a lake defined by an older voicelake-cli lacks them, and Athena would then
 * read compacted days from gzip: nothing once their sources are deleted).
 */
export async function checkAll(glue: GlueClient, ref: TableRef): Promise<{ text: string; exitCode: 0 | 2 }> {
  const main = await checkTable(glue, ref);
  const out = [renderCheck(main, ref)];
  if (main.status !== 'missing') {
    const { parquet, parts } = compactedTables(ref.table);
    const compacted = { database: ref.database, table: parquet };
    out.push(renderCheck(await checkTable(glue, compacted), compacted));
    if ((await liveColumns(glue, { database: ref.database, table: parts })) === undefined)
      out.push({
        text: `-- table ${ref.database}.${parts} does not exist: create it with \`voicelake athena create\` (or run \`voicelake athena ddl\`)\n`,
        exitCode: 2,
      });
    if (out.slice(1).some((r) => r.exitCode !== 0))
      out.push({
        text: '-- until both compacted tables match, Athena reads compacted days from their gzip objects: do not compact with --delete-source\n',
        exitCode: 2,
      });
  }
  return { text: out.map((r) => r.text).join(''), exitCode: out.some((r) => r.exitCode !== 0) ? 2 : 0 };
}

/** Abort on Ctrl-C, so a running Athena query is stopped rather than left to run (and bill). */
export function abortOnSigint(): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const onSigint = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSigint);
  return { signal: controller.signal, release: () => process.off('SIGINT', onSigint) };
}

const tableOptions = (command: Command): Command =>
  command
    .option('--bucket <name>', 'the lake bucket (default: ANALYTICS_S3_BUCKET)')
    .option('--prefix <prefix>', 'the lake prefix (default: ANALYTICS_S3_PREFIX, else none)')
    .option('--database <name>', 'Glue database (default: ANALYTICS_ATHENA_DATABASE, else voicelake)')
    .option('--table <name>', 'table name', ATHENA_DDL_DEFAULTS.table);

export function athenaCommand(): Command {
  const athena = new Command('athena').description(
    'Define the lake in Athena: a table with partition projection and its views, from the schema',
  );

  tableOptions(athena.command('ddl'))
    .description(
      'Print the Athena DDL of the lake; with --check, compare the live table (Glue) with the schema: exit 0 when it matches, 2 with the ALTER TABLE to run',
    )
    .option(
      '--check',
      'compare the live table with the schema (Glue GetTable; region and endpoint from the environment)',
    )
    .action(async (flags: TableFlags & { check?: boolean }) => {
      if (!flags.check) {
        process.stdout.write(script(athenaDdl(ddlOptions(flags))));
        return;
      }
      const ref = tableRef(flags);
      const glue = new GlueClient({});
      try {
        const { text, exitCode } = await checkAll(glue, ref);
        process.stdout.write(text);
        process.exitCode = exitCode;
      } finally {
        glue.destroy();
      }
    });

  tableOptions(athena.command('create'))
    .description('Create the lake table and its views in Athena (runs the statements of `athena ddl`)')
    .option('--workgroup <name>', 'Athena workgroup (default: ANALYTICS_ATHENA_WORKGROUP, else primary)')
    .option(
      '--output-location <s3>',
      'query results location, s3://… (default: ANALYTICS_ATHENA_OUTPUT, else the workgroup’s)',
    )
    .action(async (flags: TableFlags & { workgroup?: string; outputLocation?: string }) => {
      const options = ddlOptions(flags);
      const statements = athenaDdl(options);
      const engine = new AthenaEngine({
        database: options.database,
        ...(flags.workgroup !== undefined && { workgroup: flags.workgroup }),
        ...(flags.outputLocation !== undefined && { outputLocation: flags.outputLocation }),
      });
      const { signal, release } = abortOnSigint();
      try {
        for (const [i, sql] of statements.entries()) {
          const title = `[${i + 1}/${statements.length}] ${(sql.split('\n')[0] ?? '').replace(/ \($| AS$/, '')}`;
          process.stdout.write(`${title}\n`);
          const started = Date.now();
          const { stats } = await engine.query(sql, { signal });
          process.stdout.write(
            `  ${stats.state} in ${((Date.now() - started) / 1000).toFixed(1)} s, query execution id ${stats.queryExecutionId}\n`,
          );
        }
        process.stdout.write(
          `created ${options.database}.${options.table} (schema v${SCHEMA_VERSION}) and its views in workgroup ${engine.workgroup}\n`,
        );
      } finally {
        release();
        engine.close();
      }
    });

  return athena;
}
