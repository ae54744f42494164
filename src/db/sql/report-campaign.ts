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

/**
 * The campaign a report is about, by name or by id. Names win: a campaign may
 * be called "42", so the name is tried first and the id only when no campaign
 * has that name; one statement, ordered so that a name match comes first.
 */
export async function reportCampaign(db: Queryable, nameOrId: string | number): Promise<ReportCampaignRow | undefined> {
  const text = String(nameOrId);
  const id = /^\d{1,9}$/.test(text) ? Number(text) : null;
  const res = await db.query<ReportCampaignRow>(
    `SELECT id, name, status::text AS status, timezone, cron_expression, schedule_at, created_at
       FROM campaigns
      WHERE name = $1 OR id = $2
      ORDER BY (name = $1) DESC
      LIMIT 1`,
    [text, id],
  );
  return res.rows[0];
}
