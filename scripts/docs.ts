// Regenerate docs derived from code: `npm run docs`.
import { writeFileSync } from 'node:fs';
import { GENERATED } from './doc-gen.js';

for (const [path, make] of Object.entries(GENERATED))
  writeFileSync(new URL(`../${path}`, import.meta.url), make());
