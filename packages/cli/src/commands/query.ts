/**
 * `voicelake query`: a named query or your own SQL over the lake — local, or S3 through the
 * query cache — with DuckDB.
 */
import { Command } from 'commander';
import { QueryError } from 'voicelake';
import { formatBytes, formatCount, positiveInt } from '../format.js';
import { sqlHelpers } from '../lake/dialect.js';
import { openLake } from '../lake/duckdb.js';
import { NAMED_QUERIES, type NamedQueryName, namedQuerySql } from '../lake/named-queries.js';
import {
  addSourceOptions,
  type RangeOptions,
  rangeFrom,
  rangeLabel,
  type SourceOptions,
  sourceFrom,
} from '../lake/sources.js';
import { type Format, formatOption, printRows } from '../output.js';

type QueryOptions = SourceOptions &
  RangeOptions & { sql?: string; json?: boolean; list?: boolean; format: Format; limit: number };

export function queryCommand(): Command {
  const names = Object.keys(NAMED_QUERIES).join(', ');
  const cmd = new Command('query')
    .description(`Query the lake with SQL (the view is "events"), or a named query: ${names}`)
    .argument('[name]', 'a named query (see --list)')
    .option('--sql <sql>', 'your own SQL over the "events" view (trusted input, confined to the lake)')
    .option('--limit <n>', 'rows for top-N queries (slowest)', positiveInt('--limit'), 10)
    .addOption(formatOption())
    .option('--json', 'same as --format json')
    .option('--list', 'list the named queries');
  addSourceOptions(cmd);
  return cmd.action(async (name: string | undefined, opts: QueryOptions) => {
    if (opts.list || (!name && !opts.sql)) {
      for (const [n, q] of Object.entries(NAMED_QUERIES))
        process.stdout.write(`${n.padEnd(14)} ${q.description}\n`);
      return;
    }
    let sql = opts.sql as string;
    if (name !== undefined) {
      if (!(name in NAMED_QUERIES)) throw new QueryError(`unknown named query "${name}"; known: ${names}`);
      sql = namedQuerySql(name as NamedQueryName, sqlHelpers('duckdb'), { limit: opts.limit });
    }
    const source = sourceFrom(opts);
    try {
      const range = rangeFrom(opts, source);
      const synced = await source.sync(range);
      if (source.kind === 's3') {
        process.stderr.write(
          `${source.description} ${rangeLabel(range)}: ${formatCount(synced.fetched)} objects fetched (${formatBytes(synced.fetchedBytes)}), ${formatCount(synced.cached)} from the cache\n`,
        );
      }
      const lake = await openLake(synced.dir, { range });
      try {
        printRows(await lake.query(sql), opts.json ? 'json' : opts.format);
      } finally {
        lake.close();
      }
    } finally {
      source.close();
    }
  });
}
