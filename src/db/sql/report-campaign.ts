import { campaignKey } from './campaign-lookup.sql.ts';
import type { Queryable } from './queryable.ts';

export interface ReportCampaignRow {
  id: number;
  name: string;
  status: string;
  timezone: string;
  cron_expression: string | null;
  schedule_at: Date | null;
  created_at: Date;
  /** When its first run really started. */
  started_at: Date | null;
  /** When its last run finished, null while a run is open or none ran. */
  completed_at: Date | null;
  transactional: boolean;
  send_by: Date | null;
  recent_contact_hours: number | null;
  on_cap: string;
}

/**
 * The campaign a report is about, by id (digits) or name: campaignKey's rule.
 * The real start and end come from the runs (the schedule only says when it
 * was meant to start); a campaign is complete only when no run is open.
 */
export async function reportCampaign(db: Queryable, nameOrId: string | number): Promise<ReportCampaignRow | undefined> {
  const key = campaignKey(nameOrId);
  if (!key) return undefined;
  const res = await db.query<ReportCampaignRow>(
    `SELECT c.id, c.name, c.status::text AS status, c.timezone, c.cron_expression, c.schedule_at, c.created_at,
            c.transactional, c.send_by, c.recent_contact_hours, c.on_cap,
            r.started_at, CASE WHEN r.open = 0 THEN r.completed_at END AS completed_at
       FROM campaigns c
       LEFT JOIN LATERAL (
         SELECT min(started_at) AS started_at, max(completed_at) AS completed_at,
                count(*) FILTER (WHERE status IN ('pending', 'running')) AS open
           FROM campaign_runs WHERE campaign_id = c.id) r ON true
      WHERE ${'id' in key ? 'c.id = $1::int' : 'c.name = $1'}`,
    ['id' in key ? key.id : key.name],
  );
  return res.rows[0];
}
