import type { Queryable } from './queryable.ts';

// The campaign's recipients still to reach, as the planner counts them
// (db/sql/plan-recipients.ts): not opted out, no finished message of this campaign.
const TO_REACH = `r.campaign_id = $1 AND NOT coalesce(ct.opted_out, false)
  AND r.id NOT IN (SELECT m.recipient_id FROM outbound_messages m
                    WHERE m.campaign_id = $1 AND m.recipient_id IS NOT NULL AND m.status NOT IN ('queued', 'sending'))`;

/**
 * The next page of the campaign's recipients (to reach) whose number has no
 * availability answer newer than `freshSince`, after recipient id `afterId`.
 *
 * Why this shape: keyset pages by recipient id (the campaign_recipients
 * primary key), so a long check never holds a cursor or loads the whole list,
 * and a page's answers are written before the next page is read; a number is
 * asked once however many campaigns or rows name it (DISTINCT ON phone).
 */
export async function phonesToCheck(db: Queryable, p: { campaignId: number; freshSince: Date; afterId: string; limit: number }): Promise<{ lastId: string | null; phones: string[] }> {
  const { rows } = await db.query<{ id: string; phone: string; fresh: boolean }>({
    name: 'availability.phones_to_check',
    text: `SELECT r.id::text AS id, r.phone, (a.checked_at IS NOT NULL AND a.checked_at >= $2) AS fresh
             FROM campaign_recipients r
             LEFT JOIN contacts ct ON ct.phone = r.phone
             LEFT JOIN availability_cache a ON a.phone = r.phone
            WHERE ${TO_REACH} AND r.id > $3::bigint
            ORDER BY r.id
            LIMIT $4`,
    values: [p.campaignId, p.freshSince, p.afterId, p.limit],
  });
  return { lastId: rows.at(-1)?.id ?? null, phones: [...new Set(rows.filter((r) => !r.fresh).map((r) => r.phone))] };
}

/**
 * Store answers, many in one statement.
 *
 * Why this shape: one INSERT … SELECT unnest per batch (set-based); a newer
 * answer replaces an older one, never the reverse (two checks racing).
 */
export async function saveAvailability(db: Queryable, answers: { phone: string; available: boolean; checkedAt: Date }[]): Promise<void> {
  if (answers.length === 0) return;
  await db.query({
    name: 'availability.save',
    text: `INSERT INTO availability_cache (phone, available, checked_at)
           SELECT DISTINCT ON (u.phone) u.phone, u.available, u.checked_at
             FROM unnest($1::text[], $2::boolean[], $3::timestamptz[]) AS u(phone, available, checked_at)
            ORDER BY u.phone, u.checked_at DESC
           ON CONFLICT (phone) DO UPDATE SET available = excluded.available, checked_at = excluded.checked_at
            WHERE availability_cache.checked_at <= excluded.checked_at`,
    values: [answers.map((a) => a.phone), answers.map((a) => a.available), answers.map((a) => a.checkedAt)],
  });
}

export interface ChannelCounts {
  imessage: number;
  sms: number;
  unknown: number;
  /** Oldest and newest fresh answer counted, or null when none. */
  oldest: Date | null;
  newest: Date | null;
}

/**
 * The campaign's recipients to reach by their number's fresh answer:
 * iMessage-capable, not (SMS), or unknown (never asked, or the answer is
 * older than `freshSince`). One pass with the cache joined by its key.
 */
export async function channelCounts(db: Queryable, p: { campaignId: number; freshSince: Date }): Promise<ChannelCounts> {
  const { rows } = await db.query<{ imessage: string; sms: string; unknown: string; oldest: Date | null; newest: Date | null }>({
    name: 'availability.channel_counts',
    text: `SELECT count(*) FILTER (WHERE a.checked_at >= $2 AND a.available)::text AS imessage,
                  count(*) FILTER (WHERE a.checked_at >= $2 AND NOT a.available)::text AS sms,
                  count(*) FILTER (WHERE a.checked_at IS NULL OR a.checked_at < $2)::text AS unknown,
                  min(a.checked_at) FILTER (WHERE a.checked_at >= $2) AS oldest,
                  max(a.checked_at) FILTER (WHERE a.checked_at >= $2) AS newest
             FROM campaign_recipients r
             LEFT JOIN contacts ct ON ct.phone = r.phone
             LEFT JOIN availability_cache a ON a.phone = r.phone
            WHERE ${TO_REACH}`,
    values: [p.campaignId, p.freshSince],
  });
  const r = rows[0]!;
  return { imessage: Number(r.imessage), sms: Number(r.sms), unknown: Number(r.unknown), oldest: r.oldest, newest: r.newest };
}

/**
 * Whether any of the campaign's recipients has a cached answer at all.
 *
 * Why this shape: the plan of a list nobody checked (the usual case) must not
 * pay channelCounts' pass over every recipient; this walks the cache (small
 * unless checked) and probes the (campaign_id, phone) unique index per entry.
 */
export async function anyAvailabilityAnswers(db: Queryable, campaignId: number): Promise<boolean> {
  const { rows } = await db.query<{ any: boolean }>({
    name: 'availability.any_answers',
    text: `SELECT EXISTS (SELECT 1 FROM availability_cache a JOIN campaign_recipients r ON r.campaign_id = $1 AND r.phone = a.phone) AS any`,
    values: [campaignId],
  });
  return rows[0]!.any;
}
