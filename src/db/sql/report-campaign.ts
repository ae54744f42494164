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
}

/** The campaign a report is about, by id (digits) or name: campaignKey's rule. */
export async function reportCampaign(db: Queryable, nameOrId: string | number): Promise<ReportCampaignRow | undefined> {
  const key = campaignKey(nameOrId);
  if (!key) return undefined;
  const res = await db.query<ReportCampaignRow>(
    `SELECT id, name, status::text AS status, timezone, cron_expression, schedule_at, created_at
       FROM campaigns
      WHERE ${'id' in key ? 'id = $1::int' : 'name = $1'}`,
    ['id' in key ? key.id : key.name],
  );
  return res.rows[0];
}
