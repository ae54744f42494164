import type { Queryable } from './report-queryable.ts';

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
}

/**
 * The campaign a report is about, by name or by id. Names win: a campaign may
 * be called "42", so the name is tried first and the id only when no campaign
 * has that name; one statement, ordered so that a name match comes first.
 * The real start and end come from the runs (the schedule only says when it
 * was meant to start); a campaign is complete only when no run is open.
 */
export async function reportCampaign(db: Queryable, nameOrId: string | number): Promise<ReportCampaignRow | undefined> {
  const text = String(nameOrId);
  const id = /^\d{1,9}$/.test(text) ? Number(text) : null;
  const res = await db.query<ReportCampaignRow>(
    `SELECT c.id, c.name, c.status::text AS status, c.timezone, c.cron_expression, c.schedule_at, c.created_at,
            r.started_at, CASE WHEN r.open = 0 THEN r.completed_at END AS completed_at
       FROM campaigns c
       LEFT JOIN LATERAL (
         SELECT min(started_at) AS started_at, max(completed_at) AS completed_at,
                count(*) FILTER (WHERE status IN ('pending', 'running')) AS open
           FROM campaign_runs WHERE campaign_id = c.id) r ON true
      WHERE name = $1 OR id = $2
      ORDER BY (name = $1) DESC
      LIMIT 1`,
    [text, id],
  );
  return res.rows[0];
}
