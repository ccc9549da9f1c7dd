/**
 * Regenerate docs/report.png: demo calls into a temporary lake, `voicelake report` over them,
 * and headless Chromium's screenshot of the top of the page (the built CLI runs, as a user
 * would run it: `npm run build` first).
 *
 *   node --import tsx scripts/report-screenshot.ts [--calls N] [--dark] [--full] [--out FILE]
 *
 * Chromium: Debian's `chromium` package (/usr/bin/chromium), or CHROMIUM_PATH.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const root = resolve(import.meta.dirname, '..');
const calls = flag('--calls') ?? '500';
const out = resolve(flag('--out') ?? join(root, 'docs/report.png'));
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const work = mkdtempSync(join(tmpdir(), 'vl-report-shot-'));
try {
  const cli = join(root, 'packages/cli/bin/voicelake.js');
  const env = { ...process.env, ANALYTICS_SPOOL_DIR: join(work, 'spool'), ANALYTICS_LOG_LEVEL: 'warn' };
  // Relative to the work directory, so the page names the lake as a user's lake would be named.
  const lake = 'voicelake-data';
  execFileSync(process.execPath, [cli, 'demo', '--calls', calls, '--days', '7', '--data-dir', lake], {
    env,
    cwd: work,
  });
  const html = join(work, 'report.html');
  execFileSync(process.execPath, [cli, 'report', '--data-dir', lake, '--out', html], {
    env,
    cwd: work,
    stdio: 'inherit',
  });

  const browser = await chromium.launch({ executablePath });
  try {
    const page = await browser.newPage({
      viewport: { width: 1280, height: 1500 },
      colorScheme: args.includes('--dark') ? 'dark' : 'light',
    });
    await page.route('**/*', (route) =>
      route.request().url().startsWith('file:') ? route.continue() : route.abort('blockedbyclient'),
    );
    await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
    await page.screenshot({ path: out, fullPage: args.includes('--full') });
  } finally {
    await browser.close();
  }
  process.stdout.write(`report-screenshot: ${out}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
