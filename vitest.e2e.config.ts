import { defineConfig } from 'vitest/config';

// The browser test: `npx vitest run --config vitest.e2e.config.ts`. Kept out of
// the default run (it needs /usr/bin/chromium and takes a minute).
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    globalSetup: ['test/setup/build.ts', 'test/setup/global-postgres.ts'],
    // A worker, timer, server or child left running fails the file, as in the default suite.
    setupFiles: ['test/setup/no-leftovers.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    pool: 'forks',
    reporters: ['default', './test/setup/totals-reporter.ts'],
  },
});
