import { defineConfig } from 'vitest/config';

// The browser test: `npx vitest run --config vitest.e2e.config.ts`. Kept out of
// the default run (it needs /usr/bin/chromium and takes a minute).
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    // Tests on the wall clock must not depend on the hour: the law is tested
    // with injected clocks (test/dispatch/legal-*.test.ts), which pass their own gate.
    env: { BLUECAST_LEGAL_WINDOWS: 'off' },
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
