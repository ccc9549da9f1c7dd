/** The error family: stable codes, names, causes, and docs/errors.md in sync (table-driven, as undici's). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ConfigError, ERROR_CLASSES, VoicelakeError } from '../../packages/voicelake/src/errors.js';

describe('errors', () => {
  it.each(ERROR_CLASSES.map((C) => [C.name, C] as const))(
    '%s has a stable code, its name and a cause',
    (_n, C) => {
      const cause = new Error('root');
      const error = new (C as typeof ConfigError)('boom', { cause });
      expect(error).toBeInstanceOf(VoicelakeError);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe(C.name);
      expect(error.code).toMatch(/^VL_ERR/);
      expect(error.cause).toBe(cause);
    },
  );

  it('gives every class a different code', () => {
    const codes = ERROR_CLASSES.map((C) => new (C as typeof ConfigError)('x').code);
    expect(new Set(codes).size).toBe(codes.length);
  });
});

describe('docs/errors.md', () => {
  it('lists every error class with its code', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    for (const C of ERROR_CLASSES) {
      const code = new (C as typeof ConfigError)('x').code;
      expect(doc).toContain(`| \`${C.name}\` | \`${code}\` |`);
    }
  });
});
