import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Legal send windows follow the wall clock in recipients' zones: a test of
    // anything else must not pass by day and fail by night (US evening is
    // CI's afternoon). The legal-window tests turn them on with their own clock.
    env: { BLUECAST_LEGAL_WINDOWS: 'off' },
    include: ['test/**/*.test.ts'],
    exclude: ['test/faults/**', 'test/e2e/**', 'node_modules/**'],
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
