import type { Queryable } from './queryable.ts';

export interface ReplyRow {
  id: number;
  from_phone: string;
  to_line: string;
  body: string;
  channel: string;
  attachments: string[];
  sent_at: Date;
  is_opt_out: boolean;
  is_opt_in: boolean;
  /** A possible opt-out that is not a clear one ("don't stop"): for a person to read. */
  needs_attention: boolean;
  /** The contact's state now (a later START clears an earlier STOP). */
  opted_out: boolean;
}

/**
 * The replies to one campaign, oldest first, with each person's current
 * consent state.
 *
 * Why this shape: served by the (campaign_id, sent_at) index; the join on
 * contacts answers "is this person still reachable" next to each reply.
 */
export async function listReplies(db: Queryable, campaignId: number, limit: number): Promise<ReplyRow[]> {
  const res = await db.query<ReplyRow>({
    name: 'replies.list',
    text: `SELECT i.id, i.from_phone, i.to_line, i.body, i.channel, i.attachments, i.sent_at,
                  i.is_opt_out, i.is_opt_in, i.needs_attention, COALESCE(k.opted_out, false) AS opted_out
             FROM inbound_messages i
             LEFT JOIN contacts k ON k.id = i.contact_id
            WHERE i.campaign_id = $1
            ORDER BY i.sent_at, i.id
            LIMIT $2`,
    values: [campaignId, limit],
  });
  return res.rows;
}
