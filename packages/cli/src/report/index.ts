/**
 * `voicelake report` without the command line: read a lake directory, render the page, write
 * one self-contained HTML file. The seam the command (any lake source, synced to a local
 * directory) and `voicelake demo` both use.
 */

import { writeUserFile } from '../user-file.js';
import { loadReport, type ReportOptions } from './data.js';
import { renderPage } from './page.js';

export interface GenerateReportOptions extends ReportOptions {
  /** A directory in the lake layout (`year=…/month=…/day=…/*.json.gz`). */
  readonly dir: string;
  /** The HTML file to write (0600, through a temporary file and a rename: a symlink there is replaced, not followed). */
  readonly out: string;
  /** Where the data came from, for the page; default `dir`. */
  readonly source?: string | undefined;
}

export interface GeneratedReport {
  /** Absolute path of the HTML file. */
  readonly path: string;
  readonly bytes: number;
  readonly calls: number;
  readonly seconds: number;
}

export async function generateReport(options: GenerateReportOptions): Promise<GeneratedReport> {
  const started = performance.now();
  const data = await loadReport(options.dir, options);
  const html = await renderPage(data, { source: options.source ?? options.dir, progress: options.progress });
  const path = await writeUserFile(options.out, html);
  return {
    path,
    bytes: Buffer.byteLength(html),
    calls: data.headline.calls,
    seconds: (performance.now() - started) / 1000,
  };
}
