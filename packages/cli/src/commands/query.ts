/** `voicelake query`: SQL over the local lake with DuckDB; named queries for the common questions. */
import { resolve } from 'node:path';
import { Command } from 'commander';
import { DEFAULTS, QueryError } from 'voicelake';
import { openLake, type Row } from '../lake/duckdb.js';
import { NAMED_QUERIES } from '../lake/named-queries.js';

function table(rows: Row[]): string {
  if (rows.length === 0) return '(no rows)';
  const columns = Object.keys(rows[0] as Row);
  const cell = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return [
    line(columns),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(columns.map((c) => cell(r[c])))),
  ].join('\n');
}

export function queryCommand(): Command {
  const names = Object.keys(NAMED_QUERIES).join(', ');
  return new Command('query')
    .description(`Query the local lake with SQL (the view is "events"), or a named query: ${names}`)
    .argument('[name]', 'a named query')
    .option('--data-dir <dir>', 'local lake directory', process.env.ANALYTICS_LAKE_DIR ?? DEFAULTS.local.dir)
    .option('--sql <sql>', 'your own SQL over the "events" view')
    .option('--json', 'print JSON rows')
    .option('--list', 'list the named queries')
    .action(
      async (
        name: string | undefined,
        opts: { dataDir: string; sql?: string; json?: boolean; list?: boolean },
      ) => {
        if (opts.list || (!name && !opts.sql)) {
          for (const [n, q] of Object.entries(NAMED_QUERIES))
            process.stdout.write(`${n.padEnd(8)} ${q.description}\n`);
          return;
        }
        let sql = opts.sql;
        if (name !== undefined) {
          const named = NAMED_QUERIES[name as keyof typeof NAMED_QUERIES];
          if (!named) throw new QueryError(`unknown named query "${name}"; known: ${names}`);
          sql = named.sql;
        }
        const lake = await openLake(resolve(opts.dataDir));
        try {
          const rows = await lake.query(sql as string);
          process.stdout.write(`${opts.json ? JSON.stringify(rows, null, 2) : table(rows)}\n`);
        } finally {
          lake.close();
        }
      },
    );
}
