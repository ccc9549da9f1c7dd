/** `voicelake query`: SQL over the lake with DuckDB; named queries for the common questions. */
import { resolve } from 'node:path';
import { Command } from 'commander';
import { DEFAULTS, QueryError } from 'voicelake';
import { positiveInt } from '../format.js';
import { sqlHelpers } from '../lake/dialect.js';
import { openLake } from '../lake/duckdb.js';
import { NAMED_QUERIES, type NamedQueryName, namedQuerySql } from '../lake/named-queries.js';
import { type Format, formatOption, printRows } from '../output.js';

export function queryCommand(): Command {
  const names = Object.keys(NAMED_QUERIES).join(', ');
  return new Command('query')
    .description(`Query the lake with SQL (the view is "events"), or a named query: ${names}`)
    .argument('[name]', 'a named query (see --list)')
    .option('--data-dir <dir>', 'local lake directory', process.env.ANALYTICS_LAKE_DIR ?? DEFAULTS.local.dir)
    .option('--sql <sql>', 'your own SQL over the "events" view (trusted input, confined to the lake)')
    .option('--limit <n>', 'rows for top-N queries (slowest)', positiveInt('--limit'), 10)
    .addOption(formatOption())
    .option('--json', 'same as --format json')
    .option('--list', 'list the named queries')
    .action(
      async (
        name: string | undefined,
        opts: {
          dataDir: string;
          sql?: string;
          json?: boolean;
          list?: boolean;
          format: Format;
          limit: number;
        },
      ) => {
        if (opts.list || (!name && !opts.sql)) {
          for (const [n, q] of Object.entries(NAMED_QUERIES))
            process.stdout.write(`${n.padEnd(14)} ${q.description}\n`);
          return;
        }
        let sql = opts.sql as string;
        if (name !== undefined) {
          if (!(name in NAMED_QUERIES))
            throw new QueryError(`unknown named query "${name}"; known: ${names}`);
          sql = namedQuerySql(name as NamedQueryName, sqlHelpers('duckdb'), { limit: opts.limit });
        }
        const lake = await openLake(resolve(opts.dataDir));
        try {
          printRows(await lake.query(sql), opts.json ? 'json' : opts.format);
        } finally {
          lake.close();
        }
      },
    );
}
