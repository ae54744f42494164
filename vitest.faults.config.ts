import { defineConfig } from 'vitest/config';

// The reliability suite: `npm run test:faults`. Kept out of the default run:
// it kills processes, restarts PostgreSQL and holds a 30 s provider outage.
// Files run one at a time so that timings (leases, outages) are not starved
// of the two cores by another file.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    // Tests on the wall clock must not depend on the hour: the law is tested
    // with injected clocks (test/dispatch/legal-*.test.ts), which pass their own gate.
    env: { BLUECAST_LEGAL_WINDOWS: 'off' },
    globalSetup: ['test/setup/build.ts', 'test/setup/global-postgres.ts'],
    // A worker, timer, server or child left running fails the file, as in the default suite.
    setupFiles: ['test/setup/no-leftovers.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    pool: 'forks',
    reporters: ['default', './test/setup/totals-reporter.ts'],
  },
});
