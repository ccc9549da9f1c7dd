/** HTML building blocks of the report page: escaping, number formats, tables, figures, the CSS. */
import type { Row } from '../lake/duckdb.js';
import { num } from './data.js';
import { themeCss } from './theme.js';

/** Text for HTML content and attribute values. */
export const esc = (v: unknown): string =>
  String(v ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

/** `12,345` or `12,345.6`: at most `digits` decimals. */
export const fmt = (n: number | null, digits = 0): string =>
  n === null ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: digits });

export const ms = (n: number | null): string => (n === null ? '–' : `${fmt(n)} ms`);
export const pct = (n: number | null): string => (n === null ? '–' : `${fmt(n, 1)}%`);

/** A dollar amount; small amounts keep two significant digits. */
export function usd(n: number): string {
  if (n === 0) return '$0';
  if (n >= 0.01)
    return `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  return `$${n.toPrecision(2)}`;
}

export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${fmt(v, i === 0 ? 0 : 1)} ${units[i]}`;
}

export interface Column {
  readonly key: string;
  readonly label: string;
  /** Cell HTML from the row; default: the value, escaped (numbers formatted, right-aligned). */
  readonly html?: (r: Row) => string;
}

/** A table of named-query rows; `query` names the query under the table. */
export function table(rows: readonly Row[], columns: readonly Column[], query: string): string {
  if (rows.length === 0) return `<p class="empty">No rows (<code>voicelake query ${esc(query)}</code>).</p>`;
  const numeric = (c: Column) => rows.every((r) => r[c.key] === null || num(r[c.key]) !== null);
  const nums = new Set(columns.filter((c) => c.html === undefined && numeric(c)).map((c) => c.key));
  const head = columns.map((c) => `<th${nums.has(c.key) ? ' class="n"' : ''}>${esc(c.label)}</th>`).join('');
  const body = rows
    .map(
      (r) =>
        `<tr>${columns
          .map((c) => {
            if (c.html !== undefined) return `<td>${c.html(r)}</td>`;
            const v = r[c.key];
            return nums.has(c.key) ? `<td class="n">${fmt(num(v), 2)}</td>` : `<td>${esc(v)}</td>`;
          })
          .join('')}</tr>`,
    )
    .join('\n');
  return `<div class="table-wrap"><table data-query="${esc(query)}"><thead><tr>${head}</tr></thead>
<tbody>
${body}
</tbody></table></div>
<p class="source">From <code>voicelake query ${esc(query)}</code>.</p>`;
}

/** A chart: its title, the SVG, and a plain-language line saying what it shows. */
export const figure = (id: string, title: string, svg: string, caption: string): string =>
  `<figure class="chart" data-chart="${esc(id)}">
<figcaption class="title">${esc(title)}</figcaption>
${svg}
<p class="caption">${caption}</p>
</figure>`;

export const CSS = `${themeCss()}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 20px 48px; }
header h1 { margin: 0; font-size: 22px; }
header p { margin: 4px 0 0; color: var(--muted); }
nav { margin: 16px 0 8px; display: flex; flex-wrap: wrap; gap: 6px 14px; font-size: 13px; }
a { color: var(--link); }
h2 { font-size: 18px; margin: 36px 0 4px; padding-top: 8px; border-top: 1px solid var(--grid); }
h2 + p.lead { margin: 0 0 12px; color: var(--muted); }
h3 { font-size: 15px; margin: 20px 0 6px; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; margin: 20px 0 8px; }
.kpi { background: var(--surface); border: 1px solid var(--grid); border-radius: 8px; padding: 10px 14px; }
.kpi .label { color: var(--muted); font-size: 12px; }
.kpi .value { font-size: 24px; font-weight: 600; font-variant-numeric: tabular-nums; }
.kpi .note { color: var(--muted); font-size: 12px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 540px), 1fr)); gap: 8px 24px; align-items: start; }
figure.chart { margin: 12px 0; break-inside: avoid; }
figure.chart .title { font-weight: 600; margin-bottom: 4px; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
.caption, .source, .empty { color: var(--muted); font-size: 13px; margin: 4px 0 0; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13px; font-variant-numeric: tabular-nums; margin: 6px 0 0; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--grid); text-align: left; white-space: nowrap; }
th { color: var(--muted); font-weight: 600; background: var(--surface); }
td.n, th.n { text-align: right; }
tbody tr:nth-child(even) td { background: var(--faint); }
section.timeline { scroll-margin-top: 12px; border-radius: 8px; padding: 4px 12px 8px; margin: 8px -12px; }
section.timeline:target { outline: 2px solid var(--link); }
section.timeline h3 { margin-top: 8px; }
.meta { color: var(--muted); font-size: 13px; margin: 0; }
code { font-size: 12px; background: var(--surface); border-radius: 4px; padding: 1px 4px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
@media print {
  body { font-size: 11px; background: #fff; color: #000; }
  main { max-width: none; padding: 0; }
  nav, .no-print { display: none; }
  a { color: inherit; text-decoration: none; }
  h2 { break-after: avoid; }
  .grid { display: block; }
  .kpi, figure.chart, table, section.timeline { break-inside: avoid; }
  section.timeline:target { outline: none; }
  tbody tr:nth-child(even) td { background: none; }
  .table-wrap { overflow: visible; }
}`;
