import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { schemaMarkdown } from '../../src/schema.js';

describe('generated docs', () => {
  it('docs/schema.md matches src/schema.ts (run `npm run docs` after changing the schema)', () => {
    const onDisk = readFileSync(new URL('../../docs/schema.md', import.meta.url), 'utf8');
    expect(onDisk).toBe(schemaMarkdown());
  });
});
