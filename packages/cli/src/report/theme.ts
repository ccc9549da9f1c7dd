/**
 * Colors of the report, light and dark. Charts are rendered once, with the light colors as
 * SVG attributes (`fill="#1f2328"`); in dark mode the page's CSS overrides each neutral color
 * by attribute selector (a CSS rule beats an SVG presentation attribute). So one SVG per chart
 * follows `prefers-color-scheme`, and prints in the light colors.
 */
import type { Config } from 'vega-lite';

/** Neutral colors: text, muted text, grid lines, axes, backgrounds. */
export const LIGHT = {
  text: '#1f2328',
  muted: '#59636e',
  grid: '#d1d9e0',
  axis: '#818b98',
  faint: '#eff2f5',
  bg: '#ffffff',
  surface: '#f6f8fa',
  link: '#0969da',
} as const;

export const DARK: Record<keyof typeof LIGHT, string> = {
  text: '#e6edf3',
  muted: '#9198a1',
  grid: '#30363d',
  axis: '#656c76',
  faint: '#1c2229',
  bg: '#0d1117',
  surface: '#151b23',
  link: '#4493f8',
};

/** Data colors: mid tones that read on both backgrounds, the same in both themes. */
export const SERIES = {
  blue: '#4c78a8',
  orange: '#f58518',
  green: '#54a24b',
  red: '#e45756',
  gray: '#9d9d9d',
  purple: '#b279a2',
  teal: '#72b7b2',
  yellow: '#eeca3b',
} as const;

const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif';

/** The Vega-Lite config every chart uses. */
export const VEGA_CONFIG: Config = {
  background: 'transparent',
  font: FONT,
  padding: 4,
  view: { stroke: null },
  axis: {
    labelColor: LIGHT.muted,
    titleColor: LIGHT.muted,
    gridColor: LIGHT.grid,
    domainColor: LIGHT.axis,
    tickColor: LIGHT.axis,
    labelFontSize: 11,
    titleFontSize: 11,
    titleFontWeight: 'normal',
    labelLimit: 260,
  },
  legend: {
    labelColor: LIGHT.text,
    titleColor: LIGHT.muted,
    labelFontSize: 11,
    titleFontSize: 11,
    titleFontWeight: 'normal',
    orient: 'top',
    labelLimit: 0,
  },
  header: { labelColor: LIGHT.text, titleColor: LIGHT.muted, labelFontSize: 12 },
  title: { color: LIGHT.text },
  text: { color: LIGHT.text, fontSize: 11 },
  range: { category: Object.values(SERIES) },
  bar: { color: SERIES.blue },
  line: { color: SERIES.blue },
  point: { color: SERIES.blue },
  rule: { color: LIGHT.muted },
};

/** CSS custom properties of one theme. */
const vars = (t: Record<keyof typeof LIGHT, string>): string =>
  Object.entries(t)
    .map(([k, v]) => `--${k}: ${v};`)
    .join(' ');

/** The page's color CSS: variables for both themes and the dark overrides of the charts' neutrals. */
export function themeCss(): string {
  const overrides = (Object.keys(LIGHT) as (keyof typeof LIGHT)[])
    .filter((k) => LIGHT[k] !== DARK[k])
    .map(
      (k) =>
        `  .chart svg [fill="${LIGHT[k]}"] { fill: ${DARK[k]}; }\n  .chart svg [stroke="${LIGHT[k]}"] { stroke: ${DARK[k]}; }`,
    )
    .join('\n');
  return `:root { color-scheme: light dark; ${vars(LIGHT)} }
@media screen and (prefers-color-scheme: dark) {
  :root { ${vars(DARK)} }
${overrides}
}`;
}
