/**
 * SQL over the S3 lake with a team's own Trino (or Starburst): the same SQL as Athena, sent
 * through the Trino project's own client (`trino-client`), which follows `nextUri` until the
 * query ends. Only the transport differs from `AthenaEngine`: the result has the same shape
 * (rows typed by column type, the columns, what was scanned), so every command prints both alike.
 *
 * Settings come from the options (the CLI's flags), else the environment:
 * `ANALYTICS_TRINO_SERVER` (required: `http://host:8080` or `https://…`),
 * `ANALYTICS_TRINO_CATALOG` (default `hive`), `ANALYTICS_TRINO_SCHEMA` (default `voicelake`,
 * where `voicelake trino ddl` puts the tables), `ANALYTICS_TRINO_USER` (default: the OS user)
 * and `ANALYTICS_TRINO_PASSWORD` (optional; sent as HTTP basic auth, so use it over https only).
 */
import { userInfo } from 'node:os';
import { BasicAuth, type QueryResult, Trino } from 'trino-client';
import { ConfigError, QueryError } from 'voicelake';
import { envValue } from '../env.js';
import { ATHENA_DDL_DEFAULTS } from './ddl.js';
import type { SqlEngine, SqlQueryOptions, SqlResult } from './engine.js';

export interface TrinoEngineOptions {
  /** The coordinator's URL. Default: `ANALYTICS_TRINO_SERVER`; required. */
  server?: string | undefined;
  /** Catalog of the lake's tables. Default: `ANALYTICS_TRINO_CATALOG`, else `hive`. */
  catalog?: string | undefined;
  /** Schema of the lake's tables. Default: `ANALYTICS_TRINO_SCHEMA`, else `voicelake`. */
  schema?: string | undefined;
  /** User the queries run as. Default: `ANALYTICS_TRINO_USER`, else the OS user. */
  user?: string | undefined;
  /** Session properties for every query (`catalog.property` → value). */
  session?: Record<string, string> | undefined;
}

/** A query that Trino refused or that failed while it ran. */
export class TrinoQueryError extends QueryError {
  constructor(
    message: string,
    readonly queryId: string,
    /** Trino's error name (`SYNTAX_ERROR`, `TABLE_NOT_FOUND`, …) and type (`USER_ERROR`, …). */
    readonly errorName: string | undefined,
    readonly errorType: string | undefined,
  ) {
    super(message);
    this.name = 'TrinoQueryError';
  }
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** How long a query refused for want of workers is tried again. */
const NO_NODES_RETRY_MS = 60_000;
const NUMERIC = /^(decimal|double|real)\b/;

/** One value as Trino's JSON encodes it, typed: decimals (strings on the wire) and the non-finite doubles become numbers. */
export function trinoValue(value: unknown, type: string): unknown {
  if (typeof value === 'string' && NUMERIC.test(type.toLowerCase())) {
    const n = Number(value);
    return Number.isNaN(n) && value !== 'NaN' ? value : n;
  }
  return value ?? null;
}

export class TrinoEngine implements SqlEngine {
  readonly server: string;
  readonly catalog: string;
  /** The schema the lake's tables are in: the SQL names them `<schema>.<table>`. */
  readonly database: string;
  readonly user: string;
  readonly #client: ReturnType<typeof Trino.create>;

  constructor(options: TrinoEngineOptions = {}) {
    const server = options.server ?? envValue('ANALYTICS_TRINO_SERVER');
    if (server === undefined)
      throw new ConfigError(
        'no Trino server: pass --server http://host:8080 (or set ANALYTICS_TRINO_SERVER)',
      );
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      throw new ConfigError(
        `invalid Trino server ${JSON.stringify(server)}: must be an http:// or https:// URL`,
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new ConfigError(
        `invalid Trino server ${JSON.stringify(server)}: must be an http:// or https:// URL`,
      );
    this.server = url.origin;
    this.catalog = options.catalog ?? envValue('ANALYTICS_TRINO_CATALOG') ?? 'hive';
    this.database = options.schema ?? envValue('ANALYTICS_TRINO_SCHEMA') ?? ATHENA_DDL_DEFAULTS.database;
    for (const [flag, value] of [
      ['--catalog', this.catalog],
      ['--schema', this.database],
    ] as const)
      if (!IDENTIFIER.test(value))
        throw new ConfigError(`invalid ${flag} ${JSON.stringify(value)}: use letters, digits and _`);
    this.user = options.user ?? envValue('ANALYTICS_TRINO_USER') ?? safeUser();
    const password = envValue('ANALYTICS_TRINO_PASSWORD');
    this.#client = Trino.create({
      server: this.server,
      catalog: this.catalog,
      schema: this.database,
      source: 'voicelake',
      auth: new BasicAuth(this.user, password),
      ...(options.session !== undefined && { session: options.session }),
    });
  }

  /**
   * Run `sql` and return every row, typed, with what the query read and took. A query refused
   * with NO_NODES_AVAILABLE (a cluster starting, or its workers restarting: nothing ran) is tried
   * again for up to a minute before the error is thrown.
   */
  async query(sql: string, opts: SqlQueryOptions = {}): Promise<SqlResult> {
    const deadline = Date.now() + NO_NODES_RETRY_MS;
    for (let delay = 250; ; delay = Math.min(delay * 2, 4000)) {
      try {
        return await this.#once(sql, opts);
      } catch (error) {
        const noNodes = error instanceof TrinoQueryError && error.errorName === 'NO_NODES_AVAILABLE';
        if (!noNodes || opts.signal?.aborted || Date.now() + delay > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  async #once(sql: string, opts: SqlQueryOptions): Promise<SqlResult> {
    const { signal, onPoll } = opts;
    if (signal?.aborted)
      throw new QueryError('the Trino query was cancelled before it started', { cause: signal.reason });
    let iterator: AsyncIterable<QueryResult>;
    try {
      iterator = await this.#client.query(sql);
    } catch (error) {
      throw this.#unreachable(error);
    }
    const rows: unknown[][] = [];
    let last: QueryResult | undefined;
    let columns: { name: string; type: string }[] = [];
    try {
      for await (const page of iterator) {
        last = page;
        if (page.error !== undefined) {
          const e = page.error;
          throw new TrinoQueryError(
            `Trino query ${page.id} failed: ${e.errorName ? `${e.errorName}: ` : ''}${e.message}`,
            page.id,
            e.errorName,
            e.errorType,
          );
        }
        if (page.columns !== undefined) columns = page.columns;
        if (page.data !== undefined) rows.push(...page.data);
        if (page.stats?.state !== undefined) onPoll?.(page.stats.state);
        if (signal?.aborted) {
          await this.#client.cancel(page.id).catch(() => {});
          throw new TrinoQueryError(
            `Trino query ${page.id} was cancelled`,
            page.id,
            'USER_CANCELED',
            'USER_ERROR',
          );
        }
      }
    } catch (error) {
      if (error instanceof QueryError) throw error;
      throw this.#unreachable(error);
    }
    const stats = last?.stats;
    return {
      rows: rows.map((row) =>
        Object.fromEntries(columns.map((c, i) => [c.name, trinoValue(row[i], c.type)])),
      ),
      columns,
      stats: {
        id: last?.id ?? '',
        bytesScanned: stats?.physicalInputBytes ?? 0,
        executionMs: stats?.elapsedTimeMillis ?? 0,
        state: stats?.state ?? 'UNKNOWN',
      },
    };
  }

  get where(): string {
    return this.server;
  }

  /** Nothing to release: each request is its own HTTP call. */
  close(): void {}

  #unreachable(error: unknown): QueryError {
    const e = error as { message?: string; code?: string; response?: { status?: number; data?: unknown } };
    const status = e.response?.status;
    const detail =
      status !== undefined
        ? `HTTP ${status}${typeof e.response?.data === 'string' ? `: ${e.response.data.slice(0, 300)}` : ''}`
        : (e.code ?? e.message ?? String(error));
    const hint = status === 401 ? ' (check ANALYTICS_TRINO_USER / ANALYTICS_TRINO_PASSWORD)' : '';
    return new QueryError(`cannot run the query on Trino at ${this.server}: ${detail}${hint}`, {
      cause: error,
    });
  }
}

function safeUser(): string {
  try {
    return userInfo().username || 'voicelake';
  } catch {
    return 'voicelake';
  }
}
