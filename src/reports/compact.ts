import type pg from 'pg';
import { compactReportCounts, compactReportSeries } from '../db/sql/report-compact.ts';
import type { Logger } from '../lib/logger.ts';

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
  const interval = deps.intervalMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = () => {
    running = compactRollups(deps.pool)
      .then((moved) => {
        if (moved.counts + moved.series > 0) deps.logger.debug({ component: 'report-compactor', ...moved }, 'rollups compacted');
      })
      .catch((err: unknown) => deps.logger.warn({ component: 'report-compactor', err }, 'rollup compaction failed'))
      .finally(() => {
        running = undefined;
        if (!stopped) timer = setTimeout(tick, interval);
      });
  };
  return {
    start() {
      if (timer || running || stopped) return;
      timer = setTimeout(tick, interval);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
