/**
 * Output of every reading command: `--format table` (aligned columns, for people), `json`
 * (an array of objects) or `csv` (RFC 4180). One implementation, so every command prints the
 * same way.
 */
import { Option } from 'commander';

export type Row = Record<string, unknown>;

export const FORMATS = ['table', 'json', 'csv'] as const;
export type Format = (typeof FORMATS)[number];

/** The `--format` option, with its choices and default. */
export function formatOption(): Option {
  return new Option('--format <format>', 'output format').choices(FORMATS).default('table');
}

const cell = (v: unknown): string =>
  v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);

function table(rows: readonly Row[], columns: readonly string[]): string {
  if (rows.length === 0) return '(no rows)';
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return [
    line([...columns]),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(columns.map((c) => cell(r[c])))),
  ].join('\n');
}

function csvField(v: unknown): string {
  const s = cell(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows as text in `format`; `columns` fixes the order (default: the first row's keys). */
export function renderRows(rows: readonly Row[], format: Format, columns?: readonly string[]): string {
  const cols = columns ?? Object.keys(rows[0] ?? {});
  if (format === 'json')
    return JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2);
  if (format === 'csv')
    return [cols.map(csvField).join(','), ...rows.map((r) => cols.map((c) => csvField(r[c])).join(','))].join(
      '\r\n',
    );
  return table(rows, cols);
}

/** Print rows to stdout in `format`. */
export function printRows(rows: readonly Row[], format: Format, columns?: readonly string[]): void {
  process.stdout.write(`${renderRows(rows, format, columns)}\n`);
}
