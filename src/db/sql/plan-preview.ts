import type { Queryable } from './queryable.ts';

export interface PreviewRow {
  phone: string;
  id: string;
  variables: Record<string, unknown>;
  opted_out: boolean;
}

/** The named recipients' rows for the plan's preview (the unique (campaign_id, phone) index). */
export async function previewRecipients(db: Queryable, p: { campaignId: number; phones: string[] }): Promise<PreviewRow[]> {
  const { rows } = await db.query<PreviewRow>(
    `SELECT r.phone, r.id::text AS id, r.variables, coalesce(ct.opted_out, false) AS opted_out
       FROM campaign_recipients r LEFT JOIN contacts ct ON ct.phone = r.phone
      WHERE r.campaign_id = $1 AND r.phone = ANY($2::text[])`,
    [p.campaignId, p.phones],
  );
  return rows;
}

/**
 * The id the next campaign_runs row would get: the sequence read without
 * nextval (a preview must not consume ids). Another campaign's run created
 * first takes it; the preview says so.
 */
export async function nextRunId(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ next: string }>(
    `SELECT (CASE WHEN s.is_called THEN s.last_value + 1 ELSE s.last_value END)::text AS next
       FROM (SELECT last_value, is_called FROM campaign_runs_id_seq) s`,
  );
  return Number(rows[0]!.next);
}
