// Regenerate docs derived from code: `npm run docs`.
import { writeFileSync } from 'node:fs';
import { schemaMarkdown } from '../src/schema.js';

writeFileSync(new URL('../docs/schema.md', import.meta.url), schemaMarkdown());
