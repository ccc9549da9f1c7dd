/**
 * `voicelake trino`: define the lake in a team's own Trino (or Starburst), from the schema.
 *   `trino ddl`      print the schema, the tables (Trino's DDL, partition projection) and the views
 *   `trino create`   run them on the server
 * The views are the very ones `athena ddl` prints: Athena and Trino answer the same SQL.
 */
import { Command } from 'commander';
import { SCHEMA_VERSION } from 'voicelake/schema';
import { ATHENA_DDL_DEFAULTS } from '../lake/ddl.js';
import { TrinoEngine } from '../lake/trino.js';
import { trinoDdl } from '../lake/trino-ddl.js';
import { abortOnSigint, ddlOptions, script, type TableFlags } from './athena.js';

export interface TrinoFlags {
  server?: string;
  catalog?: string;
  schema?: string;
  user?: string;
}

/** `--server`, `--catalog`, `--schema`, `--user` on a command that talks to Trino. */
export const trinoOptions = (command: Command): Command =>
  command
    .option('--server <url>', 'Trino coordinator, http(s)://host:port (default: ANALYTICS_TRINO_SERVER)')
    .option(
      '--catalog <name>',
      'Trino catalog of the lake (Hive connector; default: ANALYTICS_TRINO_CATALOG, else hive)',
    )
    .option('--schema <name>', 'schema of the lake tables (default: ANALYTICS_TRINO_SCHEMA, else voicelake)')
    .option('--user <name>', 'Trino user (default: ANALYTICS_TRINO_USER, else the OS user)');

/** The engine the flags name. */
export const trinoEngine = (flags: TrinoFlags): TrinoEngine =>
  new TrinoEngine({ server: flags.server, catalog: flags.catalog, schema: flags.schema, user: flags.user });

const ddlFlags = (command: Command): Command =>
  trinoOptions(command)
    .option('--bucket <name>', 'the lake bucket (default: ANALYTICS_S3_BUCKET)')
    .option('--prefix <prefix>', 'the lake prefix (default: ANALYTICS_S3_PREFIX, else none)')
    .option('--table <name>', 'table name', ATHENA_DDL_DEFAULTS.table);

type DdlFlags = TrinoFlags & Omit<TableFlags, 'database'>;

/** The DDL options of the flags: the schema is the Trino schema (`--schema`). */
const options = (flags: DdlFlags) =>
  ddlOptions({
    ...flags,
    database: flags.schema ?? process.env.ANALYTICS_TRINO_SCHEMA?.trim() ?? ATHENA_DDL_DEFAULTS.database,
  });

export function trinoCommand(): Command {
  const trino = new Command('trino').description(
    'Define the lake in your own Trino or Starburst (Hive connector over the S3 lake): tables with partition projection, and the same views as Athena',
  );

  ddlFlags(trino.command('ddl'))
    .description('Print the Trino DDL of the lake: schema, tables, then the views shared with Athena')
    .action((flags: DdlFlags) => {
      process.stdout.write(script(trinoDdl(options(flags))));
    });

  ddlFlags(trino.command('create'))
    .description('Create the lake tables and views on the Trino server (runs the statements of `trino ddl`)')
    .action(async (flags: DdlFlags) => {
      const ddl = options(flags);
      const statements = trinoDdl(ddl);
      const engine = trinoEngine({ ...flags, schema: ddl.database });
      const { signal, release } = abortOnSigint();
      try {
        for (const [i, sql] of statements.entries()) {
          process.stdout.write(
            `[${i + 1}/${statements.length}] ${(sql.split('\n')[0] ?? '').replace(/ \($| AS$/, '')}\n`,
          );
          const started = Date.now();
          const { stats } = await engine.query(sql, { signal });
          process.stdout.write(
            `  ${stats.state} in ${((Date.now() - started) / 1000).toFixed(1)} s, query id ${stats.id}\n`,
          );
        }
        process.stdout.write(
          `created ${engine.catalog}.${ddl.database}.${ddl.table} (schema v${SCHEMA_VERSION}) and its views on ${engine.server}\n`,
        );
      } finally {
        release();
        engine.close();
      }
    });

  return trino;
}
