import type { Queryable } from './queryable.ts';

export interface PlanRecipientRow {
  /** The recipient's own zone column, or null. */
  timezone: string | null;
  /** "+1AAA" when the zone is null: the resolver places a number by its prefix. */
  prefix: string | null;
  sample_phone: string;
  sticky_line: string | null;
  n: string;
}

/**
 * A campaign's recipients still to reach, counted by what decides when they
 * can be sent: their zone (own column, else the number's area-code prefix,
 * resolved in JS like the dispatcher does) and their contact's sticky line
 * (null: a new contact, under the pool's caps). One pass over the
 * campaign's recipients; opted-out contacts and recipients already sent in
 * this campaign are left out. A few hundred rows for a million recipients.
 */
export async function planRecipientGroups(db: Queryable, campaignId: number): Promise<PlanRecipientRow[]> {
  const { rows } = await db.query<PlanRecipientRow>({
    name: 'planner.recipient_groups',
    text: `SELECT r.timezone, CASE WHEN r.timezone IS NULL THEN left(r.phone, 5) END AS prefix,
                  min(r.phone) AS sample_phone, c.sticky_line, count(*)::text AS n
             FROM campaign_recipients r
             LEFT JOIN contacts c ON c.phone = r.phone
            WHERE r.campaign_id = $1 AND NOT coalesce(c.opted_out, false)
              AND NOT EXISTS (SELECT 1 FROM outbound_messages m
                               WHERE m.recipient_id = r.id AND m.status NOT IN ('queued', 'sending'))
            GROUP BY 1, 2, c.sticky_line`,
    values: [campaignId],
  });
  return rows;
}

/**
 * Recipients of the campaign whose contact got a message from us (any
 * campaign, or a reply) since `since`. The contact's messages by
 * (contact_id, ...) index; counted, not listed.
 */
export async function recentlyContacted(db: Queryable, p: { campaignId: number; since: Date }): Promise<number> {
  const { rows } = await db.query<{ n: string }>({
    name: 'planner.recently_contacted',
    text: `SELECT count(*)::text AS n FROM campaign_recipients r JOIN contacts c ON c.phone = r.phone
            WHERE r.campaign_id = $1
              AND EXISTS (SELECT 1 FROM outbound_messages m WHERE m.contact_id = c.id AND m.sent_at >= $2)`,
    values: [p.campaignId, p.since],
  });
  return Number(rows[0]!.n);
}

/**
 * An even sample of the campaign's recipients for rendering (every k-th id,
 * k from the count), so a million recipients cost a bounded render.
 */
export async function sampleRecipients(db: Queryable, p: { campaignId: number; total: number; size: number }): Promise<{ id: string; phone: string; variables: Record<string, unknown> }[]> {
  const k = Math.max(1, Math.ceil(p.total / p.size));
  const { rows } = await db.query<{ id: string; phone: string; variables: Record<string, unknown> }>({
    name: 'planner.sample_recipients',
    text: `SELECT id::text, phone, variables FROM campaign_recipients WHERE campaign_id = $1 AND id % $2 = 0 LIMIT $3`,
    values: [p.campaignId, k, p.size],
  });
  return rows;
}
