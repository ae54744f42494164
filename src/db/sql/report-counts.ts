import type { Queryable } from './queryable.ts';

export interface ReportCountRow {
  run_id: number | null;
  status: 'queued' | 'sending' | 'sent' | 'delivered' | 'read' | 'failed' | 'unconfirmed' | 'cancelled' | 'skipped' | 'expired';
  channel: 'imessage' | 'sms' | 'mms' | null;
  line: string | null;
  failure_reason: string | null;
  messages: number;
  sent: number;
  delivered: number;
  read: number;
  fallback: number;
  auto_reported_spam: number;
  marked_spam: number;
  spam: number;
  first_sent_at: Date | null;
  last_sent_at: Date | null;
}

/**
 * Every counter of a campaign (or of one run), summed over the writers'
 * shards, at the finest grain the report needs: run × status × channel × line
 * × failure reason. That is a few hundred rows even for a million messages
 * (the counters, not the messages, are read: see the report_rollups
 * migration), and the report folds them into its sections in memory, so one
 * pass over the index on campaign_id serves counts, lines, reasons and runs.
 * Rows that sum to nothing (every message moved on to another status) are
 * dropped here rather than in every consumer.
 */
export async function reportCounts(db: Queryable, campaignId: number, runId: number | null): Promise<ReportCountRow[]> {
  const res = await db.query<ReportCountRow>(
    `SELECT run_id, status::text AS status, channel::text AS channel, line, failure_reason,
            sum(messages)::int8 AS messages, sum(sent)::int8 AS sent, sum(delivered)::int8 AS delivered,
            sum(read)::int8 AS read, sum(fallback)::int8 AS fallback,
            sum(auto_reported_spam)::int8 AS auto_reported_spam, sum(marked_spam)::int8 AS marked_spam,
            sum(spam)::int8 AS spam, min(first_sent_at) AS first_sent_at, max(last_sent_at) AS last_sent_at
       FROM report_counts
      WHERE campaign_id = $1 AND ($2::int IS NULL OR run_id = $2)
      GROUP BY run_id, status, channel, line, failure_reason
     HAVING sum(messages) <> 0 OR sum(sent) <> 0 OR sum(delivered) <> 0 OR sum(read) <> 0
         OR sum(fallback) <> 0 OR sum(spam) <> 0 OR min(first_sent_at) IS NOT NULL`,
    [campaignId, runId],
  );
  return res.rows;
}
