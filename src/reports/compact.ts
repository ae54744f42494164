import type pg from 'pg';
import { compactReportCounts, compactReportSeries } from '../db/sql/report-compact.ts';
import type { Logger } from '../lib/logger.ts';
import { createPollLoop } from '../lib/poll-loop.ts';

/** Fold the rollup rows of backends that have gone away (all campaigns, or one). */
export async function compactRollups(pool: pg.Pool, campaignId: number | null = null): Promise<{ counts: number; series: number }> {
  const counts = await compactReportCounts(pool, campaignId);
  const series = await compactReportSeries(pool, campaignId);
  return { counts, series };
}

export interface RollupCompactor {
  start(): void;
  /** Idempotent; resolves once a compaction in progress has finished. */
  stop(): Promise<void>;
}

/**
 * Keeps the rollups small: every counter row carries its writer's backend pid,
 * and connection pools come and go, so without folding the number of rows per
 * campaign would grow with every new connection. Reports stay correct without
 * it; this only bounds their cost. Meant to run beside the worker.
 */
export function createRollupCompactor(deps: { pool: pg.Pool; logger: Logger; intervalMs?: number }): RollupCompactor {
  const loop = createPollLoop({
    round: async () => {
      const moved = await compactRollups(deps.pool);
      if (moved.counts + moved.series > 0) deps.logger.debug({ component: 'report-compactor', ...moved }, 'rollups compacted');
    },
    intervalMs: deps.intervalMs ?? 60_000,
    onError: (err) => {
      deps.logger.warn({ component: 'report-compactor', err }, 'rollup compaction failed');
    },
    delayFirst: true,
  });
  return { start: () => loop.start(), stop: () => loop.stop() };
}
