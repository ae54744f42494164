import type { Queryable } from './queryable.ts';

export interface CampaignSummaryRow {
  id: number;
  name: string;
  status: string;
  schedule_at: Date | null;
  cron_expression: string | null;
  timezone: string;
  created_at: Date;
  archived_at: Date | null;
  recipients: number;
  messages: number;
  /** Messages by status, from the same counters as the report. */
  by_status: Record<string, number>;
  sent: number;
  repliers: number;
}

/**
 * One line per campaign for the campaigns list: status and progress from the
 * counters (never from the messages), newest campaigns first. The counters
 * are aggregated per campaign before the join so each campaign costs a few
 * counter rows. Archived campaigns only when asked for (the list hides them by default).
 */
export async function reportCampaignSummaries(db: Queryable, limit: number, archived = false): Promise<CampaignSummaryRow[]> {
  const res = await db.query<CampaignSummaryRow>(
    `WITH c AS (
       SELECT id, name, status::text AS status, schedule_at, cron_expression, timezone, created_at, archived_at
         FROM campaigns WHERE $2 OR archived_at IS NULL ORDER BY created_at DESC, id DESC LIMIT $1
     ),
     k AS (
       SELECT campaign_id, sum(messages)::int8 AS messages, sum(sent)::int8 AS sent,
              jsonb_object_agg(status, messages) AS by_status
         FROM (SELECT campaign_id, status::text AS status, sum(messages)::int8 AS messages, sum(sent) AS sent
                 FROM report_counts WHERE campaign_id IN (SELECT id FROM c) GROUP BY campaign_id, status) s
        GROUP BY campaign_id
     ),
     n AS (
       SELECT campaign_id, count(*)::int8 AS recipients
         FROM campaign_recipients WHERE campaign_id IN (SELECT id FROM c) GROUP BY campaign_id
     ),
     r AS (
       SELECT campaign_id, sum(n)::int8 AS repliers
         FROM report_series WHERE campaign_id IN (SELECT id FROM c) AND metric = 'repliers' GROUP BY campaign_id
     )
     SELECT c.*, coalesce(k.messages, 0)::int8 AS messages, coalesce(k.by_status, '{}') AS by_status,
            coalesce(k.sent, 0)::int8 AS sent, coalesce(r.repliers, 0)::int8 AS repliers,
            coalesce(n.recipients, 0)::int8 AS recipients
       FROM c LEFT JOIN k ON k.campaign_id = c.id LEFT JOIN r ON r.campaign_id = c.id LEFT JOIN n ON n.campaign_id = c.id
      ORDER BY c.created_at DESC, c.id DESC`,
    [limit, archived],
  );
  return res.rows;
}
