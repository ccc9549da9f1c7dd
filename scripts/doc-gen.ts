/** Docs derived from code, kept in sync by test/unit/docs.test.ts (`npm run docs` rewrites them). */
import { DEFAULTS, defaultAt, OPTION_DOCS } from '../packages/voicelake/src/config/defaults.js';
import { schemaMarkdown } from '../packages/voicelake/src/schema.js';

const MiB = 1_048_576;

function show(value: unknown): string {
  if (typeof value === 'number' && value >= MiB && value % MiB === 0) return `${value / MiB} MiB`;
  if (typeof value === 'number') return value.toLocaleString('en-US');
  if (value === '') return '(empty)';
  return `\`${String(value)}\``;
}

/** docs/configuration.md: every option, its environment variable and its default, from `DEFAULTS`. */
export function configurationMarkdown(): string {
  const rows = OPTION_DOCS.map(
    (o) =>
      `| \`${o.option}\` | ${o.env ? `\`${o.env}\`` : ''} | ${o.default ? show(defaultAt(o.default)) : ''} | ${o.doc} |`,
  );
  return [
    '# Configuration',
    '',
    'Generated from `packages/voicelake/src/config/defaults.ts` by `npm run docs`; do not edit by hand.',
    '',
    'Precedence: the option passed to `createAnalytics()`, then the environment variable, then the default.',
    `\`close()\` and the LiveKit shutdown flush are bounded by ${DEFAULTS.closeTimeoutMs} ms by default.`,
    '',
    '| Option | Environment | Default | Meaning |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

export const GENERATED: Record<string, () => string> = {
  'docs/schema.md': schemaMarkdown,
  'docs/configuration.md': configurationMarkdown,
};
