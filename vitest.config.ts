import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/moto.ts'],
    setupFiles: ['test/setup/env.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    coverage: {
      provider: 'v8',
      include: ['packages/*/src/**/*.ts'],
      reporter: ['text-summary'],
      // In-process coverage only: the CLI and fixtures that tests run as child processes are not counted.
      thresholds: { lines: 82, functions: 78, branches: 68, statements: 80 },
    },
  },
});
