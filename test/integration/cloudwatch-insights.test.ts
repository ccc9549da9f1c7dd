/**
 * Logs Insights (packages/cli/src/cloudwatch/insights.ts) against moto, through an inspecting
 * proxy: the request sequence is StartQuery with the named query's exact string and a window
 * in epoch seconds, then GetQueryResults polled with backoff until Complete.
 *
 * What moto does and doesn't evaluate (moto 5.x `logs_query`): it runs a query synchronously
 * (the first GetQueryResults is already Complete), honours `fields` only for the `@timestamp`,
 * `@message`, `@logStream` and `@log` fields, `sort` on the timestamp, and `limit`; it ignores
 * `filter`, `stats`, `parse`, `pct()`, `latest()` and JSON field discovery. So every row here is
 * a log event of the window (`@ptr` and, when asked, `@timestamp`), whatever the filter says.
 * The queries' meaning (errors only, p95 by agent, calls not ended) is not checked by moto; the
 * Running → Complete polling is shown by answering the first polls as still running.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  INSIGHTS_QUERIES,
  InsightsEngine,
  insightsQuery,
  parseSince,
  runInsights,
} from '../../packages/cli/src/cloudwatch/insights.js';
import { createAnalytics } from '../../packages/voicelake/src/index.js';
import { silentLogger } from '../../packages/voicelake/src/logger.js';
import { uniqueName } from '../helpers/aws.js';
import { type InspectingProxy, startProxy } from '../helpers/proxy.js';

const endpoint = inject('motoEndpoint');

const bodies = (proxy: InspectingProxy, target: string) =>
  proxy.requests
    .filter((r) => r.target?.endsWith(`.${target}`))
    .map((r) => JSON.parse(r.body.toString('utf8')) as Record<string, unknown>);

describe('Logs Insights named queries (moto)', () => {
  let proxy: InspectingProxy;
  const logGroup = uniqueName('/voicelake/insights');

  beforeAll(async () => {
    proxy = await startProxy(endpoint);
    const analytics = createAnalytics({
      s3: false,
      local: false,
      cloudWatch: { logGroup },
      env: {},
      aws: { endpoint, region: 'us-east-1' },
      logger: silentLogger,
      spool: false,
    });
    const now = Date.now();
    analytics.track({ type: 'call_started', callId: 'c1', agentId: 'support', time: now - 60_000 });
    analytics.track({ type: 'call_started', callId: 'c2', agentId: 'sales', time: now - 50_000 });
    analytics.track({
      type: 'error',
      callId: 'c1',
      agentId: 'support',
      time: now - 40_000,
      data: { errorType: 'x' },
    });
    analytics.track({
      type: 'call_ended',
      callId: 'c1',
      agentId: 'support',
      time: now - 30_000,
      data: { turns: 2 },
    });
    analytics.track({ type: 'call_started', callId: 'old', agentId: 'sales', time: now - 3 * 3_600_000 });
    await analytics.close({ timeoutMs: 30_000 });
  });

  afterAll(async () => {
    await proxy.close();
  });

  it('voicelake query --engine cloudwatch runs a named Insights query through the CLI', async () => {
    // Act
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const { resolve } = await import('node:path');
    const cli = resolve(import.meta.dirname, '../../packages/cli/bin/voicelake.js');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        cli,
        'query',
        'errors',
        '--engine',
        'cloudwatch',
        '--log-group',
        logGroup,
        '--since',
        '1h',
        '--format',
        'json',
      ],
      { env: { ...process.env, AWS_ENDPOINT_URL: proxy.endpoint, AWS_REGION: 'us-east-1' } },
    );
    // Assess
    const starts = bodies(proxy, 'StartQuery');
    const last = starts.at(-1) as { queryString?: string; logGroupName?: string; logGroupNames?: string[] };
    expect(last.queryString).toBe(INSIGHTS_QUERIES.errors.query);
    expect(last.logGroupName ?? last.logGroupNames?.[0]).toBe(logGroup);
    expect(Array.isArray(JSON.parse(stdout)), 'rows as a JSON array').toBe(true);
  });

  it('StartQuery carries the exact query string and window; GetQueryResults is polled with backoff until Complete', async () => {
    // Prepare: the first two polls are answered "still running" by the proxy.
    proxy.requests.length = 0;
    proxy.faults.push({ target: '.GetQueryResults', status: 200, type: 'Running', times: 2 });
    const waits: number[] = [];
    const polls: string[] = [];
    const engine = new InsightsEngine({
      endpoint: proxy.endpoint,
      region: 'us-east-1',
      pollMs: { first: 100, max: 150 },
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    const until = Date.now();
    // Act
    const result = await engine.query('errors', {
      logGroup,
      since: '1h',
      until,
      onPoll: (s) => polls.push(s),
    });
    engine.close();
    // Assess
    const targets = proxy.requests.map((r) => r.target?.replace(/^.*\./, ''));
    expect(targets).toEqual(['StartQuery', 'GetQueryResults', 'GetQueryResults', 'GetQueryResults']);
    const [start] = bodies(proxy, 'StartQuery');
    expect(start).toEqual({
      logGroupName: logGroup,
      queryString: INSIGHTS_QUERIES.errors.query,
      startTime: Math.floor((until - 3_600_000) / 1000),
      endTime: Math.ceil(until / 1000),
    });
    for (const poll of bodies(proxy, 'GetQueryResults')) expect(poll).toEqual({ queryId: result.queryId });
    expect(polls).toEqual(['Unknown', 'Unknown', 'Complete']);
    expect(waits).toEqual([100, 150]);
    expect(result.query).toBe(INSIGHTS_QUERIES.errors.query);
    // moto ignores `filter`: every log event of the last hour comes back (not the 3-hour-old
    // one): the 4 events and the EMF document of the ended call.
    expect(result.rows).toHaveLength(5);
    for (const row of result.rows) expect(row).toHaveProperty('@timestamp');
    expect(result.columns).toEqual([...INSIGHTS_QUERIES.errors.columns]);
  });

  it('runInsights returns { rows, columns } for each named query', async () => {
    for (const name of Object.keys(INSIGHTS_QUERIES)) {
      proxy.requests.length = 0;
      const out = await runInsights(name, {
        logGroup,
        since: '2h',
        endpoint: proxy.endpoint,
        region: 'us-east-1',
      });
      expect(
        out.columns.slice(0, INSIGHTS_QUERIES[name as keyof typeof INSIGHTS_QUERIES].columns.length),
      ).toEqual([...INSIGHTS_QUERIES[name as keyof typeof INSIGHTS_QUERIES].columns]);
      expect(Array.isArray(out.rows)).toBe(true);
      expect(bodies(proxy, 'StartQuery')[0]?.queryString).toBe(
        INSIGHTS_QUERIES[name as keyof typeof INSIGHTS_QUERIES].query,
      );
    }
  });

  it('a query of your own is sent as it is; a missing log group is a clear error', async () => {
    proxy.requests.length = 0;
    const out = await runInsights('fields @timestamp, @message | sort @timestamp asc | limit 2', {
      logGroup,
      since: '1h',
      endpoint: proxy.endpoint,
      region: 'us-east-1',
    });
    expect(out.rows).toHaveLength(2);
    expect(JSON.parse(out.rows[0]?.['@message'] as string).call_id).toBe('c1');
    expect(out.columns).toEqual(['@timestamp', '@message']);
    await expect(
      runInsights('errors', { logGroup: '/voicelake/none', endpoint: proxy.endpoint, region: 'us-east-1' }),
    ).rejects.toMatchObject({
      code: 'VL_ERR_QUERY',
      message: expect.stringMatching(/could not start the query/),
    });
  });
});

/** A client that answers StartQuery, then the given GetQueryResults statuses in turn. */
function scripted(statuses: string[]) {
  const sent: string[] = [];
  return {
    sent,
    client: {
      send: async (command: object) => {
        const name = command.constructor.name;
        sent.push(name);
        if (name === 'StartQueryCommand') return { queryId: 'q-1' };
        if (name === 'GetQueryResultsCommand') return { status: statuses.shift() ?? 'Running', results: [] };
        return {};
      },
    } as unknown as ConstructorParameters<typeof InsightsEngine>[0] extends infer O
      ? O extends { client?: infer C }
        ? C
        : never
      : never,
  };
}

describe('InsightsEngine outcomes', () => {
  const noWait = async () => {};

  it.each(['Failed', 'Cancelled', 'Timeout'])('a query that ends %s is a QueryError', async (status) => {
    const { client } = scripted(['Scheduled', 'Running', status]);
    const engine = new InsightsEngine({ client, sleep: noWait });
    await expect(engine.query('active', { logGroup: '/g' })).rejects.toMatchObject({
      code: 'VL_ERR_QUERY',
      message: expect.stringContaining(`ended ${status}`),
    });
  });

  it('a query still running at the deadline is stopped and reported', async () => {
    const { client, sent } = scripted([]);
    const engine = new InsightsEngine({ client, sleep: noWait, timeoutMs: 0 });
    await expect(engine.query('ttft', { logGroup: '/g' })).rejects.toMatchObject({
      code: 'VL_ERR_QUERY',
      message: expect.stringMatching(/still Running .* it was stopped/),
    });
    expect(sent).toEqual(['StartQueryCommand', 'GetQueryResultsCommand', 'StopQueryCommand']);
  });

  it('types the numeric columns of a named query', async () => {
    const engine = new InsightsEngine({
      sleep: noWait,
      client: {
        send: async (command: object) =>
          command.constructor.name === 'StartQueryCommand'
            ? { queryId: 'q' }
            : {
                status: 'Complete',
                results: [
                  [
                    { field: 'agent_id', value: 'support' },
                    { field: 'ttft_p95_ms', value: '412.5' },
                    { field: 'llm_calls', value: '37' },
                    { field: '@ptr', value: 'x' },
                  ],
                ],
                statistics: { recordsScanned: 40 },
              },
      } as never,
    });
    const out = await engine.query('ttft', { logGroup: '/g' });
    expect(out.rows).toEqual([{ agent_id: 'support', ttft_p95_ms: 412.5, llm_calls: 37 }]);
    expect(out.statistics).toEqual({ recordsScanned: 40 });
  });

  it('refuses unknown names, bad windows and no log group', async () => {
    expect(() => insightsQuery('erors')).toThrow(
      /unknown Insights query "erors"; known: errors, ttft, active/,
    );
    expect(insightsQuery('fields @message | limit 1').query).toBe('fields @message | limit 1');
    expect(parseSince('15m')).toBe(900_000);
    expect(parseSince('2d')).toBe(172_800_000);
    expect(() => parseSince('1 hour')).toThrow(/invalid --since/);
    expect(() => parseSince('0h')).toThrow(/invalid --since/);
    const saved = process.env.ANALYTICS_LOG_GROUP;
    delete process.env.ANALYTICS_LOG_GROUP;
    try {
      await expect(new InsightsEngine({ client: scripted([]).client }).query('errors')).rejects.toMatchObject(
        {
          code: 'VL_ERR_CONFIG',
        },
      );
    } finally {
      if (saved !== undefined) process.env.ANALYTICS_LOG_GROUP = saved;
    }
  });
});
