/** Docs generated from code match the code (run `npm run docs` after changing the schema or a default). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED } from '../../scripts/doc-gen.js';

describe('generated docs', () => {
  it.each(Object.entries(GENERATED))('%s is up to date (npm run docs)', (path, make) => {
    const onDisk = readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
    expect(onDisk, `${path} differs from what npm run docs generates`).toBe(make());
  });
});
