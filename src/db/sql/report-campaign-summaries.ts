import type { Queryable } from './queryable.ts';

export interface CampaignSummaryRow {
  id: number;
  name: string;
  status: string;
  schedule_at: Date | null;
  cron_expression: string | null;
  timezone: string;
  created_at: Date;
  messages: number;
  pending: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  repliers: number;
}

/**
 * One line per campaign for the campaigns list: status and progress from the
 * counters (never from the messages), newest campaigns first. The counters
 * are aggregated per campaign before the join so each campaign costs a few
 * counter rows.
 */
export async function reportCampaignSummaries(db: Queryable, limit: number): Promise<CampaignSummaryRow[]> {
  const res = await db.query<CampaignSummaryRow>(
    `WITH c AS (
       SELECT id, name, status::text AS status, schedule_at, cron_expression, timezone, created_at
         FROM campaigns ORDER BY created_at DESC, id DESC LIMIT $1
     ),
     k AS (
       SELECT campaign_id,
              sum(messages)::int8 AS messages,
              coalesce(sum(messages) FILTER (WHERE status IN ('queued', 'sending')), 0)::int8 AS pending,
              sum(sent)::int8 AS sent, sum(delivered)::int8 AS delivered, sum(read)::int8 AS read,
              coalesce(sum(messages) FILTER (WHERE status = 'failed'), 0)::int8 AS failed
         FROM report_counts WHERE campaign_id IN (SELECT id FROM c) GROUP BY campaign_id
     ),
     r AS (
       SELECT campaign_id, sum(n)::int8 AS repliers
         FROM report_series WHERE campaign_id IN (SELECT id FROM c) AND metric = 'repliers' GROUP BY campaign_id
     )
     SELECT c.*, coalesce(k.messages, 0)::int8 AS messages, coalesce(k.pending, 0)::int8 AS pending,
            coalesce(k.sent, 0)::int8 AS sent, coalesce(k.delivered, 0)::int8 AS delivered,
            coalesce(k.read, 0)::int8 AS read, coalesce(k.failed, 0)::int8 AS failed,
            coalesce(r.repliers, 0)::int8 AS repliers
       FROM c LEFT JOIN k ON k.campaign_id = c.id LEFT JOIN r ON r.campaign_id = c.id
      ORDER BY c.created_at DESC, c.id DESC`,
    [limit],
  );
  return res.rows;
}
