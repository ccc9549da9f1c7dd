/** Docs generated from code match the code (run `npm run docs` after changing the schema or a default). */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED } from '../../scripts/doc-gen.js';

describe('generated docs', () => {
  it.each(Object.entries(GENERATED))('%s is up to date (npm run docs)', (path, make) => {
    const onDisk = readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
    expect(onDisk, `${path} differs from what npm run docs generates`).toBe(make());
  });
});

describe('docs/architecture.md', () => {
  const doc = readFileSync(new URL('../../docs/architecture.md', import.meta.url), 'utf8');
  const files = ['voicelake', 'collect', 'cli'].flatMap((pkg) => {
    const src = new URL(`../../packages/${pkg}/src/`, import.meta.url);
    return readdirSync(src, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => ({ pkg, rel: f }));
  });

  it.each(files.map((f) => [`${f.pkg}/${f.rel}`, f.rel] as const))(
    'names %s (by name, or its directory as dir/*.ts)',
    (_, rel) => {
      const name = rel.slice(rel.lastIndexOf('/') + 1);
      const dir = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
      expect(
        doc.includes(name) || (dir !== '' && doc.includes(`${dir}/*.ts`)),
        `${rel} is not in docs/architecture.md`,
      ).toBe(true);
    },
  );

  it('names every public subpath of the library', () => {
    const pkg = JSON.parse(
      readFileSync(new URL('../../packages/voicelake/package.json', import.meta.url), 'utf8'),
    ) as {
      exports: Record<string, unknown>;
    };
    for (const subpath of Object.keys(pkg.exports).filter((k) => k !== '.' && k !== './package.json'))
      expect(doc, subpath).toContain(`voicelake/${subpath.slice(2)}`);
  });

  it('refers to no file outside the repository', () => {
    expect(doc).not.toMatch(/\.\.\/shared|shared\/DESIGN/);
  });
});
