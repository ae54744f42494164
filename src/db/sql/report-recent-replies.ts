import type { Queryable } from './queryable.ts';

export interface RecentReplyRow {
  id: number;
  sent_at: Date;
  from_phone: string;
  to_line: string;
  body: string;
  channel: string;
  is_opt_out: boolean;
}

/**
 * The latest replies of a campaign (or of one run), newest first. Walks the
 * (campaign_id, sent_at) index backwards and stops after `limit`; the run
 * filter is a primary-key probe of the linked outbound message per row.
 */
export async function reportRecentReplies(db: Queryable, campaignId: number, runId: number | null, limit: number): Promise<RecentReplyRow[]> {
  const res = await db.query<RecentReplyRow>(
    `SELECT i.id, i.sent_at, i.from_phone, i.to_line, i.body, i.channel::text AS channel, i.is_opt_out
       FROM inbound_messages i
      WHERE i.campaign_id = $1
        AND ($2::int IS NULL OR EXISTS (SELECT 1 FROM outbound_messages o WHERE o.id = i.outbound_message_id AND o.run_id = $2))
      ORDER BY i.sent_at DESC, i.id DESC
      LIMIT $3`,
    [campaignId, runId, limit],
  );
  return res.rows;
}
