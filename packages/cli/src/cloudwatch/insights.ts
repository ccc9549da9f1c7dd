/**
 * CloudWatch Logs Insights over the log group the library writes: named queries for what is
 * happening now (errors in the last hour, p95 TTFT by agent, calls in progress), or your own
 * query. `StartQuery`, then `GetQueryResults` polled with backoff until the query is Complete;
 * Failed, Cancelled or Timeout (and our own deadline) become a `QueryError`.
 *
 * Each log event is the lake's JSON line, so Insights discovers its fields (`event_type`,
 * `agent_id`, `ttft_ms`…). The log group also holds the EMF documents (one per call) and only
 * the event types `cloudWatch.events` lets through: with `call_started,call_ended,error`,
 * `errors` and `active` work and `ttft` finds nothing (no `llm_metrics`; graph the `TtftP95`
 * metric instead).
 */
import {
  CloudWatchLogsClient,
  type CloudWatchLogsClientConfig,
  GetQueryResultsCommand,
  type QueryStatus,
  type ResultField,
  StartQueryCommand,
  StopQueryCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { ConfigError, QueryError } from 'voicelake';
import { envValue } from '../env.js';

export interface InsightsQuery {
  readonly description: string;
  /** Logs Insights QL, without `SOURCE`: the log group is given to StartQuery. */
  readonly query: string;
  /** The columns each row has, in order. */
  readonly columns: readonly string[];
  /** Columns whose values are numbers (Insights returns every value as a string). */
  readonly numeric: readonly string[];
}

export const INSIGHTS_QUERIES = {
  errors: {
    description: 'Errors in the window (default the last hour), newest first',
    query: `fields @timestamp, call_id, agent_id, error_source, error_type, recoverable, message
| filter event_type = "error"
| sort @timestamp desc
| limit 100`,
    columns: ['@timestamp', 'call_id', 'agent_id', 'error_source', 'error_type', 'recoverable', 'message'],
    numeric: [],
  },
  ttft: {
    description: 'p95 LLM time to first token by agent (ms), with the number of LLM calls',
    query: `filter event_type = "llm_metrics" and ispresent(ttft_ms)
| stats pct(ttft_ms, 95) as ttft_p95_ms, count(*) as llm_calls by agent_id
| sort ttft_p95_ms desc`,
    columns: ['agent_id', 'ttft_p95_ms', 'llm_calls'],
    numeric: ['ttft_p95_ms', 'llm_calls'],
  },
  active: {
    description: 'Calls in progress: started in the window and not ended (yet)',
    query: `filter event_type = "call_started" or event_type = "call_ended"
| stats latest(event_type) as last_event, min(@timestamp) as started_at by call_id, agent_id
| filter last_event = "call_started"
| sort started_at desc
| limit 1000`,
    columns: ['call_id', 'agent_id', 'last_event', 'started_at'],
    numeric: [],
  },
} as const satisfies Record<string, InsightsQuery>;

export type InsightsQueryName = keyof typeof INSIGHTS_QUERIES;

export interface InsightsEngineOptions {
  /** AWS region. Default: the SDK's (`AWS_REGION`, the profile). */
  region?: string | undefined;
  /** Endpoint. Default: the SDK's (`AWS_ENDPOINT_URL_CLOUDWATCH_LOGS`, `AWS_ENDPOINT_URL`, else AWS). */
  endpoint?: string | undefined;
  /** Polling backoff: the first wait, doubled after each poll up to `max`. Default 250 ms to 2 s. */
  pollMs?: { first: number; max: number } | undefined;
  /** Give up (StopQuery, QueryError) after this long, ms. Default 5 minutes. */
  timeoutMs?: number | undefined;
  /** How to wait between polls (tests replace it). */
  sleep?: ((ms: number) => Promise<void>) | undefined;
  /** A client to use instead of a new one (it is not destroyed by `close()`). */
  client?: Pick<CloudWatchLogsClient, 'send'> | undefined;
}

export interface InsightsQueryOptions {
  /** How far back: `30s`, `15m`, `1h`, `2d`, `1w`. Default `1h`. */
  since?: string | undefined;
  /** Log group. Default: `ANALYTICS_LOG_GROUP`. */
  logGroup?: string | undefined;
  /** End of the window, epoch ms. Default now. */
  until?: number | undefined;
  /** Called with the status of each poll: `Scheduled`, `Running`, then the final one. */
  onPoll?: ((status: string) => void) | undefined;
}

export interface InsightsResult {
  readonly rows: Record<string, unknown>[];
  readonly columns: string[];
  readonly queryId: string;
  /** The query string sent to StartQuery. */
  readonly query: string;
  /** `recordsScanned`, `bytesScanned`… as GetQueryResults reports them. */
  readonly statistics: Record<string, number>;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `15m` → 900000. Throws `QueryError` for anything else. */
export function parseSince(since: string): number {
  const m = /^(\d+)\s*([smhdw])$/.exec(since.trim());
  const n = m ? Number(m[1]) : Number.NaN;
  if (!m || !(n > 0))
    throw new QueryError(`invalid --since "${since}": use a number and s, m, h, d or w (e.g. 1h)`);
  return n * (UNIT_MS[m[2] as string] as number);
}

/** The named query, or your own query string; a lone unknown word is refused as an unknown name. */
export function insightsQuery(nameOrQuery: string): { query: string; named?: InsightsQuery } {
  if (Object.hasOwn(INSIGHTS_QUERIES, nameOrQuery)) {
    const named: InsightsQuery = INSIGHTS_QUERIES[nameOrQuery as InsightsQueryName];
    return { query: named.query, named };
  }
  if (/^[\w-]+$/.test(nameOrQuery.trim()))
    throw new QueryError(
      `unknown Insights query "${nameOrQuery}"; known: ${Object.keys(INSIGHTS_QUERIES).join(', ')} (or pass a query)`,
    );
  return { query: nameOrQuery };
}

const DONE_OK: ReadonlySet<string> = new Set<QueryStatus>(['Complete']);
const DONE_BAD: ReadonlySet<string> = new Set<QueryStatus>(['Failed', 'Cancelled', 'Timeout']);

function rowOf(fields: readonly ResultField[], numeric: ReadonlySet<string>): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const f of fields) {
    if (f.field === undefined || f.field === '@ptr') continue;
    const v = f.value;
    row[f.field] =
      v !== undefined && numeric.has(f.field) && v !== '' && !Number.isNaN(Number(v)) ? Number(v) : v;
  }
  return row;
}

export class InsightsEngine {
  readonly #client: Pick<CloudWatchLogsClient, 'send'>;
  readonly #owned: CloudWatchLogsClient | undefined;
  readonly #poll: { first: number; max: number };
  readonly #timeoutMs: number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: InsightsEngineOptions = {}) {
    const poll = options.pollMs ?? { first: 250, max: 2000 };
    if (!(poll.first > 0 && poll.max >= poll.first))
      throw new ConfigError(`invalid poll interval ${JSON.stringify(poll)}: need 0 < first <= max`);
    this.#poll = poll;
    this.#timeoutMs = options.timeoutMs ?? 300_000;
    this.#sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    if (options.client) {
      this.#client = options.client;
      this.#owned = undefined;
    } else {
      const config: CloudWatchLogsClientConfig = {};
      if (options.region !== undefined) config.region = options.region;
      if (options.endpoint !== undefined) config.endpoint = options.endpoint;
      this.#owned = new CloudWatchLogsClient(config);
      this.#client = this.#owned;
    }
  }

  /** Run a named query (`errors`, `ttft`, `active`) or a query string over the window. */
  async query(nameOrQuery: string, opts: InsightsQueryOptions = {}): Promise<InsightsResult> {
    const { query, named } = insightsQuery(nameOrQuery);
    const logGroup = opts.logGroup ?? envValue('ANALYTICS_LOG_GROUP');
    if (logGroup === undefined)
      throw new ConfigError('no log group: pass --log-group or set ANALYTICS_LOG_GROUP');
    const until = opts.until ?? Date.now();
    const from = until - parseSince(opts.since ?? '1h');
    let queryId: string | undefined;
    try {
      const started = await this.#client.send(
        new StartQueryCommand({
          logGroupName: logGroup,
          queryString: query,
          // StartQuery takes epoch seconds.
          startTime: Math.floor(from / 1000),
          endTime: Math.ceil(until / 1000),
        }),
      );
      queryId = started.queryId;
    } catch (error) {
      throw new QueryError(
        `Logs Insights could not start the query on ${logGroup}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    if (queryId === undefined) throw new QueryError('Logs Insights returned no query id');
    const deadline = Date.now() + this.#timeoutMs;
    let delay = this.#poll.first;
    for (;;) {
      const out = await this.#client.send(new GetQueryResultsCommand({ queryId })).catch((error: unknown) => {
        throw new QueryError(
          `Logs Insights query ${queryId} could not be read: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      });
      const status = out.status ?? 'Unknown';
      opts.onPoll?.(status);
      if (DONE_OK.has(status)) {
        const numeric = new Set(named?.numeric ?? []);
        const rows = (out.results ?? []).map((fields) => rowOf(fields, numeric));
        const columns = [...(named?.columns ?? [])];
        for (const row of rows) for (const c of Object.keys(row)) if (!columns.includes(c)) columns.push(c);
        const statistics = Object.fromEntries(
          Object.entries(out.statistics ?? {}).filter((e): e is [string, number] => typeof e[1] === 'number'),
        );
        return { rows, columns, queryId, query, statistics };
      }
      if (DONE_BAD.has(status))
        throw new QueryError(`Logs Insights query ${queryId} ended ${status}: ${query.split('\n')[0]} …`);
      if (Date.now() + delay > deadline) {
        await this.#client.send(new StopQueryCommand({ queryId })).catch(() => {});
        throw new QueryError(
          `Logs Insights query ${queryId} was still ${status} after ${Math.round(this.#timeoutMs / 1000)} s; it was stopped`,
        );
      }
      await this.#sleep(delay);
      delay = Math.min(delay * 2, this.#poll.max);
    }
  }

  close(): void {
    this.#owned?.destroy();
  }
}

export interface RunInsightsOptions extends InsightsQueryOptions, InsightsEngineOptions {}

/** One query, start to end: what `voicelake query --engine cloudwatch <name>` prints. */
export async function runInsights(
  nameOrQuery: string,
  opts: RunInsightsOptions = {},
): Promise<{ rows: Record<string, unknown>[]; columns: string[] }> {
  const engine = new InsightsEngine(opts);
  try {
    const { rows, columns } = await engine.query(nameOrQuery, opts);
    return { rows, columns };
  } finally {
    engine.close();
  }
}
