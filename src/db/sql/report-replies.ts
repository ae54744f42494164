import type { Queryable } from './queryable.ts';

export interface ReportRepliesRow {
  run_id: number | null;
  /** Inbound messages linked to the campaign. */
  replies: number;
  /** (run, recipient) pairs with at least one reply. */
  repliers: number;
  /** (run, recipient) pairs that sent an opt-out word. */
  opted_out: number;
  /** Opt-out messages that could not be tied to a recipient. */
  unlinked_opt_outs: number;
}

/**
 * Reply figures per run from the totals the inbound trigger keeps in
 * report_series (bucket 0 of 'repliers', 'opted_out', 'unlinked_opt_outs';
 * replies summed over their per-minute buckets). Distinct repliers are
 * maintained as a counter when a recipient's reply count leaves or returns to
 * zero, so this reads a few rows per run instead of one per replier.
 */
export async function reportReplies(db: Queryable, campaignId: number, runId: number | null): Promise<ReportRepliesRow[]> {
  const res = await db.query<ReportRepliesRow>(
    `SELECT run_id,
            coalesce(sum(n) FILTER (WHERE metric = 'replies'), 0)::int8 AS replies,
            coalesce(sum(n) FILTER (WHERE metric = 'repliers'), 0)::int8 AS repliers,
            coalesce(sum(n) FILTER (WHERE metric = 'opted_out'), 0)::int8 AS opted_out,
            coalesce(sum(n) FILTER (WHERE metric = 'unlinked_opt_outs'), 0)::int8 AS unlinked_opt_outs
       FROM report_series
      WHERE campaign_id = $1 AND ($2::int IS NULL OR run_id = $2)
        AND metric IN ('replies', 'repliers', 'opted_out', 'unlinked_opt_outs')
      GROUP BY run_id`,
    [campaignId, runId],
  );
  return res.rows;
}
