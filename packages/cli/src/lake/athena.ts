/**
 * SQL over the S3 lake with Amazon Athena: start a query, poll it with backoff until it ends,
 * then page through its results and type each value by its Athena column type.
 *
 * Settings come from the options (the CLI's flags), else the environment:
 * `ANALYTICS_ATHENA_WORKGROUP` (default `primary`), `ANALYTICS_ATHENA_DATABASE` (default
 * `voicelake`) and `ANALYTICS_ATHENA_OUTPUT` (an `s3://` results location; optional when the
 * workgroup manages its results). Region, endpoint and credentials are the SDK's own
 * (`AWS_REGION`, `AWS_ENDPOINT_URL`, profiles…) unless given.
 *
 * Over 300 lines: one engine class (start, poll with backoff, page, type each value) and its error type.
 */
import {
  AthenaClient,
  type AthenaClientConfig,
  type ColumnInfo,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type QueryExecution,
  type Row,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { ConfigError, QueryError } from 'voicelake';
import { envValue } from '../env.js';
import { ATHENA_DDL_DEFAULTS } from './ddl.js';
import type { SqlEngine, SqlResult, SqlStats } from './engine.js';

export interface AthenaEngineOptions {
  /** Athena workgroup. Default: `ANALYTICS_ATHENA_WORKGROUP`, else `primary`. */
  workgroup?: string | undefined;
  /** Database (Glue) the query runs in. Default: `ANALYTICS_ATHENA_DATABASE`, else `voicelake`. */
  database?: string | undefined;
  /** `s3://…` query results location. Default: `ANALYTICS_ATHENA_OUTPUT`, else the workgroup's. */
  outputLocation?: string | undefined;
  /** AWS region. Default: the SDK's (`AWS_REGION`, the profile). */
  region?: string | undefined;
  /** Athena endpoint. Default: the SDK's (`AWS_ENDPOINT_URL_ATHENA`, `AWS_ENDPOINT_URL`, else AWS). */
  endpoint?: string | undefined;
  /** Polling backoff: the first wait, doubled after each poll up to `max`. Default 200 ms to 2 s. */
  pollMs?: { first: number; max: number } | undefined;
  /** How to wait between polls (tests replace it). Rejects when `signal` aborts. */
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
}

export interface AthenaQueryOptions {
  /** Abort: stops the query in Athena (`StopQueryExecution`) and rejects. */
  signal?: AbortSignal | undefined;
  /** Called with the state of each poll: `QUEUED`, `RUNNING`, then the final one. */
  onPoll?: ((state: string) => void) | undefined;
}

export interface AthenaColumn {
  readonly name: string;
  /** Athena's type name, e.g. `varchar`, `bigint`, `double`. */
  readonly type: string;
}

export interface AthenaStats extends SqlStats {
  readonly queryExecutionId: string;
  /** `Statistics.DataScannedInBytes`: what the query is billed on. */
  readonly bytesScanned: number;
  /** `Statistics.EngineExecutionTimeInMillis`. */
  readonly executionMs: number;
  /** The final state: `SUCCEEDED`. */
  readonly state: string;
}

export interface AthenaResult extends SqlResult {
  readonly columns: AthenaColumn[];
  readonly stats: AthenaStats;
}

/** A query that Athena ran and that FAILED or was CANCELLED. */
export class AthenaQueryError extends QueryError {
  constructor(
    message: string,
    readonly queryExecutionId: string,
    readonly state: string,
    /** Athena's `StateChangeReason`. */
    readonly reason: string | undefined,
    /** Athena's `AthenaError` (category 1 system, 2 user, 3 other), when it gave one. */
    readonly athenaError?: { category?: number; type?: number; retryable?: boolean; message?: string },
  ) {
    super(message);
    this.name = 'AthenaQueryError';
  }
}

const DONE = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);
const PAGE_SIZE = 1000;

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

/** Wait `ms`, or reject as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const INTEGER_TYPES = new Set(['bigint', 'integer', 'int', 'smallint', 'tinyint']);
const FLOAT_TYPES = new Set(['double', 'float', 'real', 'decimal']);

/**
 * One value of a result row, typed by its column's Athena type: integers are numbers when
 * exact (else strings, to keep every digit), floating and decimal numbers are numbers,
 * booleans are booleans, NULL (no `VarCharValue`) is null, everything else (varchar, char,
 * date, timestamp, arrays, maps, JSON…) stays the string Athena returned.
 */
export function athenaValue(value: string | undefined, type: string): unknown {
  if (value === undefined) return null;
  const base = type.toLowerCase().replace(/\(.*$/, '').trim();
  if (INTEGER_TYPES.has(base)) {
    const n = Number(value);
    return Number.isSafeInteger(n) && /^-?\d+$/.test(value) ? n : value;
  }
  if (FLOAT_TYPES.has(base)) {
    const n = Number(value);
    return Number.isNaN(n) && value !== 'NaN' ? value : n;
  }
  if (base === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  return value;
}

/** True when `row` is the header row Athena puts first in a SELECT's results (the column names). */
function isHeader(
  row: Row | undefined,
  columns: readonly AthenaColumn[],
  info: readonly ColumnInfo[],
): boolean {
  const data = row?.Data;
  if (!data || data.length !== columns.length) return false;
  return data.every((d, i) => d.VarCharValue === columns[i]?.name || d.VarCharValue === info[i]?.Label);
}

export class AthenaEngine implements SqlEngine {
  readonly workgroup: string;
  readonly database: string;
  readonly outputLocation: string | undefined;
  readonly #client: AthenaClient;
  readonly #poll: { first: number; max: number };
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(options: AthenaEngineOptions = {}) {
    this.workgroup = options.workgroup ?? envValue('ANALYTICS_ATHENA_WORKGROUP') ?? 'primary';
    this.database = options.database ?? envValue('ANALYTICS_ATHENA_DATABASE') ?? ATHENA_DDL_DEFAULTS.database;
    this.outputLocation = options.outputLocation ?? envValue('ANALYTICS_ATHENA_OUTPUT');
    if (this.outputLocation !== undefined && !/^s3:\/\/[^/]+/.test(this.outputLocation))
      throw new ConfigError(
        `invalid Athena output location ${JSON.stringify(this.outputLocation)}: must be an s3://bucket/prefix/ location`,
      );
    const poll = options.pollMs ?? { first: 200, max: 2000 };
    if (!(poll.first > 0 && poll.max >= poll.first))
      throw new ConfigError(`invalid poll interval ${JSON.stringify(poll)}: need 0 < first <= max`);
    this.#poll = poll;
    this.#sleep = options.sleep ?? sleep;
    const config: AthenaClientConfig = {};
    if (options.region !== undefined) config.region = options.region;
    if (options.endpoint !== undefined) config.endpoint = options.endpoint;
    this.#client = new AthenaClient(config);
  }

  /** Run `sql` in Athena and return every row, typed, with what the query scanned and took. */
  async query(sql: string, opts: AthenaQueryOptions = {}): Promise<AthenaResult> {
    const { signal, onPoll } = opts;
    if (signal?.aborted)
      throw new QueryError('the Athena query was cancelled before it started', { cause: signal.reason });
    const id = await this.#start(sql, signal);
    let execution: QueryExecution;
    try {
      execution = await this.#wait(id, signal, onPoll);
    } catch (error) {
      if (signal?.aborted) {
        // Stop the query in Athena too: it would otherwise run (and bill) to its end.
        await this.#client.send(new StopQueryExecutionCommand({ QueryExecutionId: id })).catch(() => {});
        throw new AthenaQueryError(
          `Athena query ${id} was cancelled`,
          id,
          'CANCELLED',
          'cancelled by the caller',
        );
      }
      throw error;
    }
    const state = execution.Status?.State ?? 'UNKNOWN';
    if (state !== 'SUCCEEDED') {
      const reason = execution.Status?.StateChangeReason;
      const athena = execution.Status?.AthenaError;
      const details = [reason, athena?.ErrorMessage].filter(
        (s, i, all): s is string => s !== undefined && s !== '' && all.indexOf(s) === i,
      );
      throw new AthenaQueryError(
        `Athena query ${id} ${state.toLowerCase()}${details.length ? `: ${details.join(' — ')}` : ''}`,
        id,
        state,
        reason,
        athena && {
          ...(athena.ErrorCategory !== undefined && { category: athena.ErrorCategory }),
          ...(athena.ErrorType !== undefined && { type: athena.ErrorType }),
          ...(athena.Retryable !== undefined && { retryable: athena.Retryable }),
          ...(athena.ErrorMessage !== undefined && { message: athena.ErrorMessage }),
        },
      );
    }
    const { rows, columns } = await this.#results(id, execution.StatementType, signal);
    return {
      rows,
      columns,
      stats: {
        id,
        queryExecutionId: id,
        bytesScanned: execution.Statistics?.DataScannedInBytes ?? 0,
        executionMs: execution.Statistics?.EngineExecutionTimeInMillis ?? 0,
        state,
      },
    };
  }

  get where(): string {
    return `workgroup ${this.workgroup}`;
  }

  /** Release the client's sockets. */
  close(): void {
    this.#client.destroy();
  }

  async #start(sql: string, signal: AbortSignal | undefined): Promise<string> {
    try {
      const started = await this.#client.send(
        new StartQueryExecutionCommand({
          QueryString: sql,
          QueryExecutionContext: { Database: this.database },
          WorkGroup: this.workgroup,
          ...(this.outputLocation !== undefined && {
            ResultConfiguration: { OutputLocation: this.outputLocation },
          }),
        }),
        signal ? { abortSignal: signal } : {},
      );
      if (!started.QueryExecutionId) throw new QueryError('Athena returned no query execution id');
      return started.QueryExecutionId;
    } catch (error) {
      // Athena refuses some queries outright (unknown workgroup, some syntax errors).
      if ((error as { name?: string }).name === 'InvalidRequestException')
        throw new QueryError(`Athena refused the query: ${(error as Error).message}`, { cause: error });
      throw error;
    }
  }

  async #wait(
    id: string,
    signal: AbortSignal | undefined,
    onPoll: ((state: string) => void) | undefined,
  ): Promise<QueryExecution> {
    let delay = this.#poll.first;
    for (;;) {
      await this.#sleep(delay, signal);
      const { QueryExecution: execution } = await this.#client.send(
        new GetQueryExecutionCommand({ QueryExecutionId: id }),
        signal ? { abortSignal: signal } : {},
      );
      const state = execution?.Status?.State ?? 'UNKNOWN';
      onPoll?.(state);
      if (execution && DONE.has(state)) return execution;
      delay = Math.min(delay * 2, this.#poll.max);
    }
  }

  async #results(
    id: string,
    statementType: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ rows: Record<string, unknown>[]; columns: AthenaColumn[] }> {
    const rows: Record<string, unknown>[] = [];
    let columns: AthenaColumn[] = [];
    let token: string | undefined;
    let first = true;
    do {
      const page = await this.#client.send(
        new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: PAGE_SIZE, NextToken: token }),
        signal ? { abortSignal: signal } : {},
      );
      const info = page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
      if (first)
        columns = info.map((c, i) => ({ name: c.Name ?? c.Label ?? `_col${i}`, type: c.Type ?? 'varchar' }));
      let data = page.ResultSet?.Rows ?? [];
      // A SELECT's results start with a header row of the column names; DDL results do not.
      if (first && statementType !== 'DDL' && statementType !== 'UTILITY' && isHeader(data[0], columns, info))
        data = data.slice(1);
      for (const row of data) {
        const record: Record<string, unknown> = {};
        columns.forEach((c, i) => {
          record[c.name] = athenaValue(row.Data?.[i]?.VarCharValue, c.type);
        });
        rows.push(record);
      }
      first = false;
      token = page.NextToken;
    } while (token);
    return { rows, columns };
  }
}
