import type { Queryable } from './queryable.ts';

export interface DispatchCounts {
  queued: number;
  sending: number;
  sent: number;
  failed: number;
  skipped: number;
}

/**
 * Message counts of the runs now in progress, for the progress line. Limited
 * to running runs (a few rows of campaign_runs) and grouped once, so its cost
 * follows the active audience, not the whole history.
 */
export async function activeRunCounts(db: Queryable): Promise<DispatchCounts> {
  const { rows } = await db.query<DispatchCounts>(
    `SELECT count(*) FILTER (WHERE m.status = 'queued')::int AS queued,
            count(*) FILTER (WHERE m.status = 'sending')::int AS sending,
            count(*) FILTER (WHERE m.status IN ('sent', 'delivered', 'read'))::int AS sent,
            count(*) FILTER (WHERE m.status = 'failed')::int AS failed,
            count(*) FILTER (WHERE m.status = 'skipped')::int AS skipped
       FROM campaign_runs r JOIN outbound_messages m ON m.run_id = r.id
      WHERE r.status = 'running'`,
  );
  return rows[0] ?? { queued: 0, sending: 0, sent: 0, failed: 0, skipped: 0 };
}
