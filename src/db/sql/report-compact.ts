import type { Queryable } from './queryable.ts';

/**
 * Fold the counter rows written by backends that no longer exist into shard
 * 0, for report_counts and report_series (report_replies is keyed by
 * recipient and has no shards). One statement per table: the DELETE …
 * RETURNING and the INSERT of the sums commit together, so a report never sees
 * a count twice or not at all. Rows are claimed with SKIP LOCKED, so the
 * compactor never waits on, nor deadlocks with, a writer whose pid happens to
 * be a recycled one; the upserts into shard 0 go in key order, so two
 * compactors at once only queue behind each other.
 */
export async function compactReportCounts(db: Queryable, campaignId: number | null): Promise<number> {
  const res = await db.query(
    `WITH moved AS (
       DELETE FROM report_counts d
        WHERE d.id IN (
          SELECT id FROM report_counts
           WHERE shard <> 0 AND ($1::int IS NULL OR campaign_id = $1)
             AND shard NOT IN (SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL)
             FOR UPDATE SKIP LOCKED)
       RETURNING d.*
     )
     INSERT INTO report_counts AS c
       (campaign_id, run_id, status, channel, line, failure_reason, shard,
        messages, sent, delivered, read, fallback, auto_reported_spam, marked_spam, spam, first_sent_at, last_sent_at)
     SELECT campaign_id, run_id, status, channel, line, failure_reason, 0,
            sum(messages), sum(sent), sum(delivered), sum(read), sum(fallback),
            sum(auto_reported_spam), sum(marked_spam), sum(spam), min(first_sent_at), max(last_sent_at)
       FROM moved
      GROUP BY campaign_id, run_id, status, channel, line, failure_reason
      ORDER BY campaign_id, run_id, status, channel, line, failure_reason
     ON CONFLICT (campaign_id, run_id, status, channel, line, failure_reason, shard) DO UPDATE SET
        messages = c.messages + excluded.messages,
        sent = c.sent + excluded.sent,
        delivered = c.delivered + excluded.delivered,
        read = c.read + excluded.read,
        fallback = c.fallback + excluded.fallback,
        auto_reported_spam = c.auto_reported_spam + excluded.auto_reported_spam,
        marked_spam = c.marked_spam + excluded.marked_spam,
        spam = c.spam + excluded.spam,
        first_sent_at = least(c.first_sent_at, excluded.first_sent_at),
        last_sent_at = greatest(c.last_sent_at, excluded.last_sent_at)`,
    [campaignId],
  );
  return res.rowCount ?? 0;
}

/** The same folding for report_series (see compactReportCounts). */
export async function compactReportSeries(db: Queryable, campaignId: number | null): Promise<number> {
  const res = await db.query(
    `WITH moved AS (
       DELETE FROM report_series d
        WHERE d.id IN (
          SELECT id FROM report_series
           WHERE shard <> 0 AND ($1::int IS NULL OR campaign_id = $1)
             AND shard NOT IN (SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL)
             FOR UPDATE SKIP LOCKED)
       RETURNING d.*
     )
     INSERT INTO report_series AS s (campaign_id, run_id, metric, bucket, shard, n)
     SELECT campaign_id, run_id, metric, bucket, 0, sum(n)
       FROM moved
      GROUP BY campaign_id, run_id, metric, bucket
      ORDER BY campaign_id, run_id, metric, bucket
     ON CONFLICT (campaign_id, run_id, metric, bucket, shard) DO UPDATE SET n = s.n + excluded.n`,
    [campaignId],
  );
  return res.rowCount ?? 0;
}
