/**
 * `voicelake report` as a user sees it: the demo writes the report of 100 calls, and headless
 * Chromium opens it from a file:// URL. Every chart drew marks, the page made no request and
 * logged no error, its headline numbers and tables are the named queries' results, and a slow
 * call's link scrolls to that call's timeline. A screenshot is kept as an artifact.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlHelpers } from '../../packages/cli/src/lake/dialect.js';
import { openLake } from '../../packages/cli/src/lake/duckdb.js';
import { namedQuerySql } from '../../packages/cli/src/lake/named-queries.js';
import { PRICES } from '../../packages/cli/src/report/data.js';
import { voicelake as voicelakeInProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const _run = promisify(execFile);
const _cli = resolve(import.meta.dirname, '../../packages/cli/bin/voicelake.js');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

type Rows = Record<string, unknown>[];

// Browser globals used by the functions that run in the page (the project compiles without DOM types).
declare const window: { innerHeight: number };
declare const location: { hash: string };
declare const document: { body: unknown; querySelector(selector: string): unknown };
declare function getComputedStyle(element: unknown): {
  display: string;
  backgroundColor: string;
  fill: string;
};

/** Charts every report with calls draws, besides one timeline per slow call. */
const CHARTS = [
  'calls-per-day',
  'call-duration',
  'latency-over-time',
  'turn-breakdown',
  'e2e-distribution',
  'tokens-per-call',
  'characters-per-call',
  'tools',
  'interruptions',
  'close-reasons',
];

describe('voicelake report, opened in headless Chromium', () => {
  const dir = tempDir('vl-report');
  const lake = join(dir, 'lake');
  const env = { ...process.env, ANALYTICS_SPOOL_DIR: join(dir, 'spool'), ANALYTICS_LOG_LEVEL: 'warn' };
  const report = join(dir, 'voicelake-report.html');
  let browser: Browser;
  let demoOut = '';

  const voicelake = async (...args: string[]): Promise<string> =>
    (await voicelakeInProcess(args, env)).stdout;
  const query = async (name: string, ...args: string[]): Promise<Rows> =>
    JSON.parse(await voicelake('query', name, '--format', 'json', '--data-dir', lake, ...args)) as Rows;

  /** The page at `path`, with every request, console error and page error it makes recorded. */
  async function open(path: string, colorScheme: 'light' | 'dark' = 'light') {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme });
    const url = pathToFileURL(path).href;
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    // Anything but the report itself is refused, so a request cannot succeed even by accident.
    await page.route('**/*', (route) =>
      route.request().url() === url ? route.continue() : route.abort('blockedbyclient'),
    );
    await page.goto(url, { waitUntil: 'load' });
    return { page, url, requests, errors };
  }

  const headline = (page: Page) =>
    page.$$eval('.kpi', (kpis) =>
      Object.fromEntries(
        kpis.map((k) => [
          k.dataset.metric,
          { value: Number(k.dataset.value), text: k.querySelector('.value')?.textContent },
        ]),
      ),
    );
  const column = (page: Page, queryName: string, index = 0) =>
    page.$$eval(
      `table[data-query^="${queryName}"] tbody tr`,
      (rows, i) => rows.map((r) => r.querySelectorAll('td')[i]?.textContent ?? ''),
      index,
    );

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `no Chromium at ${CHROMIUM}: install Debian's chromium (.ci/run does) or set CHROMIUM_PATH`,
      );
    demoOut = await voicelake('demo', '--calls', '100', '--data-dir', lake);
    browser = await chromium.launch({ executablePath: CHROMIUM });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('the demo ends by writing voicelake-report.html next to the lake, under 3 MB, with no script and no URL', () => {
    // Assess
    expect(demoOut).toContain(`Report: ${report} (`);
    const html = readFileSync(report, 'utf8');
    expect(statSync(report).size).toBeLessThan(3 * 1024 * 1024);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
  });

  it('draws every chart as an SVG with marks, and makes no request and no console error', async () => {
    // Act
    const { page, url, requests, errors } = await open(report);
    // Assess
    const charts = await page.$$eval('figure.chart', (figures) =>
      figures.map((f) => {
        const svg = f.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        return {
          id: f.dataset.chart ?? '',
          width: box?.width ?? 0,
          height: box?.height ?? 0,
          marks: f.querySelectorAll(
            'g.role-mark > path, g.role-mark > line, g.role-mark > text, g.role-mark > g',
          ).length,
          caption: f.querySelector('.caption')?.textContent?.trim() ?? '',
        };
      }),
    );
    expect(charts.map((c) => c.id)).toEqual([
      ...CHARTS,
      ...Array.from({ length: 10 }, (_, i) => `timeline-${i + 1}`),
    ]);
    for (const c of charts) {
      expect(c.width, c.id).toBeGreaterThan(100);
      expect(c.height, c.id).toBeGreaterThan(50);
      expect(c.marks, c.id).toBeGreaterThan(0);
      expect(c.caption.length, `${c.id} has a line saying what it shows`).toBeGreaterThan(40);
    }
    expect(requests).toEqual([url]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows the named queries’ numbers: headline and tables', async () => {
    // Prepare
    const [daily, tools, slowest, latency, calls] = await Promise.all([
      query('daily'),
      query('tools'),
      query('slowest'),
      query('latency'),
      query('calls'),
    ]);
    // The latency query with every agent counted together, and the same percentiles computed plainly.
    const duck = await openLake(lake);
    const [pooled] = await duck.query(
      `CREATE TEMP VIEW events AS SELECT * REPLACE ('all' AS agent_id) FROM memory.main.events;
       ${namedQuerySql('latency', sqlHelpers('duckdb'))}`,
    );
    const [plain] = await duck.query(
      `SELECT round(quantile_cont(e2e_latency_ms, 0.5)) AS p50, round(quantile_cont(e2e_latency_ms, 0.95)) AS p95
       FROM memory.main.events WHERE event_type = 'agent_turn'`,
    );
    duck.close();
    const objects = JSON.parse(await voicelake('ls', '--format', 'json', '--data-dir', lake)) as {
      size: number;
    }[];
    const sum = (rows: Rows, key: string) => rows.reduce((s, r) => s + Number(r[key]), 0);
    // Act
    const { page } = await open(report);
    const kpi = await headline(page);
    // Assess
    expect(kpi.calls?.value).toBe(sum(daily, 'calls'));
    expect(kpi.calls?.value).toBe(100);
    expect(kpi.calls?.text).toBe('100');
    const minutes = daily.reduce((s, r) => s + Number(r.calls) * Number(r.mean_duration_s), 0) / 60;
    expect(kpi.minutes?.value).toBeCloseTo(minutes, 9);
    expect(kpi.e2e_p50?.value).toBe(Number(pooled?.e2e_p50));
    expect(kpi.e2e_p95?.value).toBe(Number(pooled?.e2e_p95));
    expect([kpi.e2e_p50?.value, kpi.e2e_p95?.value]).toEqual([Number(plain?.p50), Number(plain?.p95)]);
    expect(kpi.e2e_p50?.text).toBe(`${Number(pooled?.e2e_p50).toLocaleString('en-US')} ms`);
    expect(kpi.tool_error_pct?.value).toBeCloseTo((100 * sum(tools, 'errors')) / sum(tools, 'calls'), 9);
    const bytes = objects.reduce((s, o) => s + o.size, 0);
    expect(kpi.lake_cost?.value).toBeCloseTo(
      (bytes / 2 ** 30) * PRICES.s3StandardGbMonth + (objects.length / 1000) * PRICES.s3PutPer1000,
      12,
    );
    // Tables: the rows of the named queries, in their order.
    expect(await column(page, 'slowest')).toEqual(slowest.map((r) => String(r.call_id)));
    expect(await column(page, 'slowest', 3)).toEqual(
      slowest.map((r) => Number(r.e2e_latency_p95_ms).toLocaleString('en-US', { maximumFractionDigits: 2 })),
    );
    expect(await column(page, 'tools')).toEqual(tools.map((r) => String(r.tool_name)));
    expect(await column(page, 'tools', 1)).toEqual(tools.map((r) => String(r.calls)));
    expect(await column(page, 'latency')).toEqual(latency.map((r) => String(r.agent_id)));
    expect(await column(page, 'latency', 8)).toEqual(
      latency.map((r) => Number(r.e2e_p95).toLocaleString('en-US')),
    );
    expect(await column(page, 'calls')).toEqual(calls.map((r) => String(r.call_id)));
    await page.close();
  });

  it('with --agent, the headline latency is that agent’s row of the latency query', async () => {
    // Prepare
    const latency = await query('latency');
    const sales = latency.find((r) => r.agent_id === 'sales');
    const out = join(dir, 'sales.html');
    // Act
    const stdout = await voicelake('report', '--data-dir', lake, '--agent', 'sales', '--out', out);
    const { page, errors } = await open(out);
    // Assess
    expect(stdout).toContain(`agent sales) → ${out}`);
    const kpi = await headline(page);
    expect(kpi.e2e_p50?.value).toBe(Number(sales?.e2e_p50));
    expect(kpi.e2e_p95?.value).toBe(Number(sales?.e2e_p95));
    expect(await column(page, 'latency')).toEqual(['sales']);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('clicking a slow call scrolls its timeline into view; the page follows dark mode and prints without navigation', async () => {
    // Prepare
    const { page } = await open(report, 'dark');
    const inView = (id: string) =>
      page.$eval(`#${id}`, (el) => {
        const r = el.getBoundingClientRect();
        return r.top >= 0 && r.top < window.innerHeight;
      });
    expect(await inView('call-3')).toBe(false);
    const link = page.locator('table[data-query^="slowest"] tbody tr:nth-child(3) a');
    const callId = await link.textContent();
    // Act
    await link.click();
    // Assess
    await page.waitForFunction(() => location.hash === '#call-3');
    expect(await inView('call-3')).toBe(true);
    expect(await page.$eval('#call-3', (el) => el.dataset.callId)).toBe(callId);
    // Dark: a dark page, and the charts' axis labels drawn light.
    const colors = await page.evaluate(() => ({
      body: getComputedStyle(document.body).backgroundColor,
      label: getComputedStyle(document.querySelector('.role-axis-label text')).fill,
    }));
    expect(colors).toEqual({ body: 'rgb(13, 17, 23)', label: 'rgb(145, 152, 161)' });
    // Print: no navigation, light colors.
    await page.emulateMedia({ media: 'print' });
    expect(await page.$eval('nav', (n) => getComputedStyle(n).display)).toBe('none');
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe(
      'rgb(255, 255, 255)',
    );
    await page.close();
  });

  it('saves a screenshot of the whole page', async () => {
    // Act
    const { page } = await open(report);
    const png = join(dir, 'report.png');
    await page.screenshot({ path: png, fullPage: true });
    await page.close();
    // Assess
    expect(statSync(png).size).toBeGreaterThan(50_000);
    process.stdout.write(`report screenshot: ${png}\n`);
  });
});
