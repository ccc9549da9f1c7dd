/**
 * Everything the report shows, read from the lake with DuckDB. Headline numbers and tables
 * come from the named queries (lake/named-queries.ts), run as `voicelake query` runs them;
 * only chart shapes (distributions, close reasons, call timelines) use report/queries.ts.
 *
 * The named queries read a view called `events`. The report points that name at a scoped
 * view instead of the lake itself: the lake's events (of one agent with `--agent`), with
 * `agent_id` optionally replaced, so the same SQL answers "per agent" (as written), "per day"
 * (`agent_id` := the day) and "all agents together" (`agent_id` := one label). Nothing else
 * about a query changes: same filters, same percentiles.
 */
import { DEFAULT_PRICES, GIB } from '../cost/prices.js';
import { sqlHelpers, sqlString } from '../lake/dialect.js';
import { type Lake, openLake, type Row } from '../lake/duckdb.js';
import { LocalSource } from '../lake/local-source.js';
import { type NamedQueryName, namedQuerySql } from '../lake/named-queries.js';
import type { DayRange } from '../lake/source.js';
import {
  chartEventsSql,
  closeReasonsSql,
  histogramSql,
  MEASURES,
  type MeasureName,
  niceWidth,
  rangeSql,
  slowTurnsSql,
  timelineSql,
} from './queries.js';
import { buildTimelines, type Timeline } from './timeline.js';

const h = sqlHelpers('duckdb');

/** The prices of the cost estimate, stated on the page: `voicelake cost`'s built-in list prices. */
export const PRICES = DEFAULT_PRICES;

/** The end-to-end latency a turn should stay under, ms. */
export const TARGET_MS = 1000;

export interface ReportOptions {
  /** Only this agent's events (`--agent`). */
  readonly agent?: string | undefined;
  /** Only these days (`--from`/`--to`); every day without it. */
  readonly range?: DayRange | undefined;
  /** Rows of the slowest-calls table, each with its timeline. Default 10. */
  readonly slowest?: number | undefined;
  /** A progress line per phase (format.ts `progress`). */
  readonly progress?: Progress | undefined;
}

export type Progress = (label: string, total: number) => { tick(done: number): void; done(): void };

export interface Bin {
  readonly start: number;
  readonly end: number;
  readonly n: number;
}

export interface Distribution {
  readonly bins: readonly Bin[];
  /** Values counted. */
  readonly n: number;
  /** When outliers exist: the last bin holds every value at or above this. */
  readonly cap: number | undefined;
}

export interface Headline {
  /** Sum of `daily.calls`. */
  readonly calls: number;
  /** Sum over `daily` of calls × mean_duration_s, in minutes. */
  readonly minutes: number;
  /** `latency.e2e_p50` / `e2e_p95` with every agent of the report counted together. */
  readonly e2eP50: number | null;
  readonly e2eP95: number | null;
  /** Sums of `tools.calls` and `tools.errors`, and errors / calls in %. */
  readonly toolCalls: number;
  readonly toolErrors: number;
  readonly toolErrorPct: number | null;
  /** The lake's gzip objects in the range and their bytes (the storage cost estimate). */
  readonly lakeObjects: number;
  readonly lakeBytes: number;
  readonly storagePerMonth: number;
  readonly puts: number;
}

export type NamedRows = Record<NamedQueryName, Row[]>;

export interface ReportData {
  readonly generatedAt: Date;
  readonly agent: string | undefined;
  readonly range: DayRange | undefined;
  readonly headline: Headline;
  /** Each named query's rows, as `voicelake query <name>` prints them (`slowest` with the report's limit). */
  readonly named: NamedRows;
  /** The `latency` query with `agent_id` := the day: one row per day, `agent_id` holding the day. */
  readonly latencyByDay: Row[];
  readonly distributions: Record<MeasureName, Distribution>;
  readonly slowTurns: { readonly turns: number; readonly over: number };
  readonly closeReasons: readonly { readonly reason: string; readonly calls: number }[];
  readonly timelines: readonly Timeline[];
}

/** A number from a DuckDB value (BIGINT and DECIMAL come back as strings), null when absent. */
export const num = (v: unknown): number | null => {
  if (v === null || v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
};
export const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
const sum = (rows: readonly Row[], key: string): number => rows.reduce((s, r) => s + (num(r[key]) ?? 0), 0);

/** The label `agent_id` takes when every agent is counted together. */
export const ALL_AGENTS = 'all agents';

/** The named queries over the scoped events, grouped per agent (as written), per day or all together. */
class ScopedQueries {
  private grouping = '';
  private done = 0;

  constructor(
    private readonly lake: Lake,
    private readonly limit: number,
    private readonly bar: ReturnType<Progress> | undefined,
  ) {}

  /** Point `events` at the lake's events (of `agent` only, when given). */
  static async open(
    lake: Lake,
    agent: string | undefined,
    limit: number,
    bar?: ReturnType<Progress>,
  ): Promise<ScopedQueries> {
    const [db] = await lake.query('SELECT current_database() AS db');
    const lakeEvents = `"${str(db?.db).replace(/"/g, '""')}".main.events`;
    const where = agent === undefined ? '' : ` WHERE agent_id = ${sqlString(agent)}`;
    await lake.query(`CREATE TEMP VIEW report_events AS SELECT * FROM ${lakeEvents}${where}`);
    const scoped = new ScopedQueries(lake, limit, bar);
    await scoped.group('agent');
    return scoped;
  }

  /** Point `events` at the scoped events: `agent_id` as is, := the day, := one label; or the chart rows. */
  private async group(by: 'agent' | 'day' | 'all' | 'charts'): Promise<void> {
    if (by === this.grouping) return;
    if (by === 'charts') {
      await this.lake.query(
        `CREATE TEMP TABLE IF NOT EXISTS report_chart_events AS ${chartEventsSql('report_events')}`,
      );
      await this.lake.query('CREATE OR REPLACE TEMP VIEW events AS SELECT * FROM report_chart_events');
    } else {
      const replace =
        by === 'agent' ? '' : ` REPLACE (${by === 'day' ? h.day() : sqlString(ALL_AGENTS)} AS agent_id)`;
      await this.lake.query(`CREATE OR REPLACE TEMP VIEW events AS SELECT *${replace} FROM report_events`);
    }
    this.grouping = by;
  }

  async named(name: NamedQueryName, by: 'agent' | 'day' | 'all' = 'agent'): Promise<Row[]> {
    await this.group(by);
    return this.run(namedQuerySql(name, h, { limit: this.limit }));
  }

  private async run(sql: string): Promise<Row[]> {
    const rows = await this.lake.query(sql);
    this.bar?.tick(++this.done);
    return rows;
  }

  /** Chart-only SQL (report/queries.ts): over the chart rows (`chartEventsSql`), or every scoped event. */
  async sql(sql: string, over: 'charts' | 'all events' = 'charts'): Promise<Row[]> {
    await this.group(over === 'charts' ? 'charts' : 'agent');
    return this.run(sql);
  }
}

async function distribution(q: ScopedQueries, name: MeasureName): Promise<Distribution> {
  const m = MEASURES[name];
  const [r] = await q.sql(rangeSql(m, h));
  const n = num(r?.n) ?? 0;
  const p99 = num(r?.p99) ?? 0;
  const max = num(r?.max) ?? 0;
  if (n === 0) return { bins: [], n: 0, cap: undefined };
  const width = niceWidth(p99 > 0 ? p99 : max, 30);
  // Bins up to the 99th percentile; beyond it one last bin, when there is anything beyond.
  const cap = Math.max(width, Math.ceil(p99 / width) * width);
  const rows = await q.sql(histogramSql(m, width, cap));
  const bins = rows.map((b) => {
    const start = num(b.start) ?? 0;
    return { start, end: start + width, n: num(b.n) ?? 0 };
  });
  return { bins, n, cap: max >= cap + width ? cap : undefined };
}

/** The headline numbers, each from named-query rows (and the lake's size for the cost). */
export function headline(
  named: NamedRows,
  all: Row | undefined,
  lake: { objects: number; bytes: number },
): Headline {
  const calls = sum(named.daily, 'calls');
  const seconds = named.daily.reduce((s, r) => s + (num(r.calls) ?? 0) * (num(r.mean_duration_s) ?? 0), 0);
  const toolCalls = sum(named.tools, 'calls');
  const toolErrors = sum(named.tools, 'errors');
  return {
    calls,
    minutes: seconds / 60,
    e2eP50: num(all?.e2e_p50),
    e2eP95: num(all?.e2e_p95),
    toolCalls,
    toolErrors,
    toolErrorPct: toolCalls === 0 ? null : (100 * toolErrors) / toolCalls,
    lakeObjects: lake.objects,
    lakeBytes: lake.bytes,
    storagePerMonth: (lake.bytes / GIB) * PRICES.s3StandardGbMonth,
    puts: (lake.objects / 1000) * PRICES.s3PutPer1000,
  };
}

/** Read everything the report shows from the lake under `dir` (a directory in the lake layout). */
export async function loadReport(dir: string, options: ReportOptions = {}): Promise<ReportData> {
  const limit = options.slowest ?? 10;
  const objects = await new LocalSource({ dir }).list(options.range);
  const lakeSize = { objects: objects.length, bytes: objects.reduce((s, o) => s + o.size, 0) };
  const lake = await openLake(dir, { range: options.range });
  try {
    const names: NamedQueryName[] = [
      'daily',
      'latency',
      'turns',
      'interruptions',
      'errors',
      'tools',
      'slowest',
      'cost',
      'calls',
    ];
    const measures = Object.keys(MEASURES) as MeasureName[];
    // Named queries, latency all together and per day, two per distribution, slow turns, reasons, timelines.
    const bar = options.progress?.('reading the lake', names.length + 2 + 2 * measures.length + 3);
    const q = await ScopedQueries.open(lake, options.agent, limit, bar);
    const named = {} as NamedRows;
    for (const name of names) named[name] = await q.named(name);
    const [all] = await q.named('latency', 'all');
    const latencyByDay = await q.named('latency', 'day');
    const distributions = {} as Record<MeasureName, Distribution>;
    for (const name of measures) distributions[name] = await distribution(q, name);
    const [slow] = await q.sql(slowTurnsSql(TARGET_MS));
    const reasons = await q.sql(closeReasonsSql());
    const ids = named.slowest.map((r) => str(r.call_id));
    const events = await q.sql(timelineSql(ids, h), 'all events');
    bar?.done();
    return {
      generatedAt: new Date(),
      agent: options.agent,
      range: options.range,
      headline: headline(named, all, lakeSize),
      named,
      latencyByDay,
      distributions,
      slowTurns: { turns: num(slow?.turns) ?? 0, over: num(slow?.over) ?? 0 },
      closeReasons: reasons.map((r) => ({ reason: str(r.reason), calls: num(r.calls) ?? 0 })),
      timelines: buildTimelines(named.slowest, events),
    };
  } finally {
    lake.close();
  }
}
