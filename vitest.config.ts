import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/faults/**', 'test/e2e/**', 'node_modules/**'],
    // Tests on the wall clock must not depend on the hour: the law is tested
    // with injected clocks (test/dispatch/legal-*.test.ts), which pass their own gate.
    env: { BLUECAST_LEGAL_WINDOWS: 'off' },
    globalSetup: ['test/setup/build.ts', 'test/setup/global-postgres.ts'],
    // A worker, timer or server a test file leaves running fails that file.
    setupFiles: ['test/setup/no-leftovers.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file gets its own database, so files run in parallel safely.
    fileParallelism: true,
    pool: 'forks',
    reporters: ['default', './test/setup/totals-reporter.ts'],
  },
});
