import type { Queryable } from './queryable.ts';

export interface ReportRunRow {
  id: number;
  scheduled_for: Date;
  status: string;
  catch_up: boolean;
  enqueued: number;
  started_at: Date | null;
  completed_at: Date | null;
}

/**
 * A campaign's runs, newest first and capped: a cron campaign that has run
 * every hour for years must not turn its report into a list of thousands.
 * Uses the unique (campaign_id, scheduled_for) index.
 */
export async function reportRuns(db: Queryable, campaignId: number, runId: number | null, limit: number): Promise<ReportRunRow[]> {
  const res = await db.query<ReportRunRow>(
    `SELECT id, scheduled_for, status::text AS status, catch_up, enqueued, started_at, completed_at
       FROM campaign_runs
      WHERE campaign_id = $1 AND ($2::int IS NULL OR id = $2)
      ORDER BY scheduled_for DESC
      LIMIT $3`,
    [campaignId, runId, limit],
  );
  return res.rows;
}
