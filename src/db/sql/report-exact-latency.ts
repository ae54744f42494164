import type { Queryable } from './queryable.ts';

export interface ExactLatencyRow {
  samples: number;
  p50_ms: number | null;
  p95_ms: number | null;
}

/**
 * Exact p50/p95 of time to delivery with percentile_cont over the messages
 * themselves. Sorting every delivered message is what the histogram in
 * report_series avoids, so the report calls this only for campaigns small
 * enough to sort in a few milliseconds. Negative spans (clock skew between
 * our send record and the provider's delivery time) count as zero, as in the
 * histogram.
 */
export async function reportExactLatency(db: Queryable, campaignId: number, runId: number | null): Promise<ExactLatencyRow> {
  const res = await db.query<ExactLatencyRow>(
    `SELECT count(*)::int8 AS samples,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50_ms,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) AS p95_ms
       FROM (SELECT greatest(0, extract(epoch FROM delivered_at - sent_at) * 1000)::float8 AS ms
               FROM outbound_messages
              WHERE campaign_id = $1 AND ($2::int IS NULL OR run_id = $2) AND kind = 'campaign'
                AND sent_at IS NOT NULL AND delivered_at IS NOT NULL) t`,
    [campaignId, runId],
  );
  return res.rows[0] ?? { samples: 0, p50_ms: null, p95_ms: null };
}
