import type { Queryable } from './queryable.ts';

export type SeriesMetric = 'sent' | 'delivered' | 'read' | 'failed' | 'replies' | 'latency';

export interface ReportSeriesRow {
  metric: SeriesMetric;
  bucket: number;
  n: number;
}

/**
 * Buckets of the maintained series (per-minute event counts, or the
 * log-scale histogram of time to delivery), summed over shards. Bounded by
 * the campaign's duration in minutes and by ~1,000 latency buckets, never by
 * its number of messages; ordered so that callers can accumulate in one pass.
 */
export async function reportSeries(db: Queryable, campaignId: number, runId: number | null, metrics: SeriesMetric[]): Promise<ReportSeriesRow[]> {
  const res = await db.query<ReportSeriesRow>(
    `SELECT metric, bucket, sum(n)::int8 AS n
       FROM report_series
      WHERE campaign_id = $1 AND ($2::int IS NULL OR run_id = $2) AND metric = ANY($3::text[])
      GROUP BY metric, bucket
     HAVING sum(n) <> 0
      ORDER BY metric, bucket`,
    [campaignId, runId, metrics],
  );
  return res.rows;
}
