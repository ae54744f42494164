import type { PrismaClient } from '../../generated/prisma/client.ts';
import type { Queryable } from './queryable.ts';

export interface CampaignListRow {
  id: number;
  name: string;
  status: string;
  schedule_at: Date | null;
  cron_expression: string | null;
  timezone: string;
  recipients: number;
  created_at: Date;
  archived_at: Date | null;
}

/**
 * Every campaign with its recipient count. Correlated counts use the
 * (campaign_id, phone) index, so the listing does not scan recipients of
 * campaigns it does not show. On the pg pool rather than Prisma: `bluecast
 * campaign list` then never pays for the Prisma engine's start (bench/cli).
 */
/** Archived campaigns are left out unless asked for (`bluecast campaign list --archived`, ?archived=true). */
export async function listCampaignRows(db: Queryable, opts: { archived?: boolean } = {}): Promise<CampaignListRow[]> {
  const res = await db.query<CampaignListRow>(
    `SELECT c.id, c.name, c.status::text AS status, c.schedule_at, c.cron_expression, c.timezone, c.created_at, c.archived_at,
            (SELECT count(*) FROM campaign_recipients r WHERE r.campaign_id = c.id)::int AS recipients
       FROM campaigns c
      WHERE $1 OR c.archived_at IS NULL
      ORDER BY c.id`,
    [opts.archived === true],
  );
  return res.rows;
}

export interface RecipientCounts {
  total: number;
  opted_out: number;
  replied: number;
  with_timezone: number;
}

/** A campaign's recipients by state, in one pass over its recipients. */
export async function recipientCounts(prisma: PrismaClient, campaignId: number): Promise<RecipientCounts> {
  const rows = await prisma.$queryRaw<RecipientCounts[]>`
    SELECT count(*)::int AS total,
           count(*) FILTER (WHERE ct.opted_out)::int AS opted_out,
           count(*) FILTER (WHERE r.replied_at IS NOT NULL)::int AS replied,
           count(*) FILTER (WHERE r.timezone IS NOT NULL)::int AS with_timezone
      FROM campaign_recipients r LEFT JOIN contacts ct ON ct.phone = r.phone
     WHERE r.campaign_id = ${campaignId}`;
  return rows[0]!;
}

/** Outbound messages of a campaign by status (only statuses present). */
export async function messageCountsByStatus(prisma: PrismaClient, campaignId: number): Promise<Record<string, number>> {
  const rows = await prisma.$queryRaw<{ status: string; n: number }[]>`
    SELECT status::text AS status, count(*)::int AS n FROM outbound_messages
     WHERE campaign_id = ${campaignId} GROUP BY status ORDER BY status`;
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}
