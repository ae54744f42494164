import type { Queryable } from './queryable.ts';
import { RECIPIENT_PLACE_KEYS, recipientStateSql, recipientZipSql } from './recipient-place.ts';

export interface PlanRecipientRow {
  /** The recipient's own zone column, or null. */
  timezone: string | null;
  /** The state as written in the CSV row, or null. */
  state: string | null;
  /** The first three digits of a well-formed ZIP (all the ZIP-to-state map reads), or null. */
  zip3: string | null;
  /** A number of the group: all share its area code ("+1AAA"). */
  sample_phone: string;
  sticky_line: string | null;
  n: string;
}

/**
 * A campaign's recipients still to reach, counted by what decides when they
 * can be sent: what places them for the rules engine (zone column, CSV state,
 * ZIP prefix, the number's area code, as locate() reads them) and their
 * contact's sticky line (null: a new contact, under the pool's caps). One
 * pass over the campaign's recipients, grouped in SQL: a few hundred rows
 * for a million recipients, each turned into an engine policy in JS.
 * Opted-out contacts, recipients already sent in this campaign, and people
 * messaged since `recentSince` (recentRecipients lists them one by one, for
 * the caps) are left out.
 */
export async function planRecipientGroups(db: Queryable, p: { campaignId: number; recentSince: Date }): Promise<PlanRecipientRow[]> {
  const { rows } = await db.query<PlanRecipientRow>({
    name: 'planner.recipient_groups',
    // The CSV's state and ZIP are read from the JSON once per row (the inner
    // select); the ZIP is cut to its first three digits, all the ZIP-to-state
    // map reads, so groups stay few. Rows with none of the keys (most) skip
    // the extraction on one key test. NOT IN over a subquery is one hashed
    // subplan (a scan of this campaign's finished messages, and one of the
    // recent messages), probed per row; NOT EXISTS became a nested loop per
    // recipient, 10x the cost of the count at a million.
    text: `SELECT timezone, state, CASE WHEN zip ~ '^[0-9]{5}(-?[0-9]{4})?$' THEN left(zip, 3) END AS zip3,
                  min(phone) AS sample_phone, sticky_line, count(*)::text AS n
             FROM (SELECT r.timezone, r.phone, c.sticky_line,
                          CASE WHEN r.variables ?| $3::text[] THEN upper(trim(${recipientStateSql('r')})) END AS state,
                          CASE WHEN r.variables ?| $3::text[] THEN trim(${recipientZipSql('r')}) END AS zip
                     FROM campaign_recipients r
                     LEFT JOIN contacts c ON c.phone = r.phone
                    WHERE r.campaign_id = $1 AND NOT coalesce(c.opted_out, false)
                      AND r.id NOT IN (SELECT m.recipient_id FROM outbound_messages m
                                        WHERE m.campaign_id = $1 AND m.recipient_id IS NOT NULL AND m.status NOT IN ('queued', 'sending'))
                      AND (c.id IS NULL OR c.id NOT IN (SELECT m.contact_id FROM outbound_messages m
                                        WHERE m.contact_id IS NOT NULL AND COALESCE(m.sent_at, m.legal_cleared_at) > $2))) x
            GROUP BY timezone, state, 3, left(phone, 5), sticky_line`,
    values: [p.campaignId, p.recentSince, RECIPIENT_PLACE_KEYS],
  });
  return rows;
}

export interface RecentRecipientRow {
  phone: string;
  timezone: string | null;
  state: string | null;
  zip: string | null;
  sticky_line: string | null;
  /** Their messages since the cutoff: when (sent, or cleared by a claim) and whether a transactional campaign's. */
  sent_at: Date[];
  transactional: boolean[];
}

/**
 * The campaign's recipients (still to reach, not opted out) messaged since
 * `since`, the longest cap window: one by one, with those messages, so the
 * engine's caps decide when each may go. A message counts by
 * COALESCE(sent_at, legal_cleared_at) as the claim counts it. By the
 * (contact_id, sent_at) index; few rows unless the list was just messaged.
 */
export async function recentRecipients(db: Queryable, p: { campaignId: number; since: Date }): Promise<RecentRecipientRow[]> {
  const { rows } = await db.query<RecentRecipientRow>({
    name: 'planner.recent_recipients',
    text: `SELECT r.phone, r.timezone, ${recipientStateSql('r')} AS state, ${recipientZipSql('r')} AS zip, c.sticky_line,
                  array_agg(COALESCE(m.sent_at, m.legal_cleared_at) ORDER BY COALESCE(m.sent_at, m.legal_cleared_at), m.id) AS sent_at,
                  array_agg(coalesce(mc.transactional, false) ORDER BY COALESCE(m.sent_at, m.legal_cleared_at), m.id) AS transactional
             FROM campaign_recipients r
             JOIN contacts c ON c.phone = r.phone
             JOIN outbound_messages m ON m.contact_id = c.id AND COALESCE(m.sent_at, m.legal_cleared_at) > $2
             LEFT JOIN campaigns mc ON mc.id = m.campaign_id
            WHERE r.campaign_id = $1 AND NOT c.opted_out
              AND NOT EXISTS (SELECT 1 FROM outbound_messages s
                               WHERE s.campaign_id = $1 AND s.recipient_id = r.id AND s.status NOT IN ('queued', 'sending'))
            GROUP BY r.id, c.sticky_line`,
    values: [p.campaignId, p.since],
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

export interface ExplainRow {
  phone: string;
  timezone: string | null;
  state: string | null;
  zip: string | null;
  sticky_line: string | null;
  opted_out: boolean;
  sent_at: Date[] | null;
  transactional: boolean[] | null;
}

/**
 * The named recipients of a campaign with what the rules read of them, and
 * their messages since `since` (the longest cap window) for the caps. One
 * row per phone found; by the (campaign_id, phone) unique index.
 */
export async function explainRecipients(db: Queryable, p: { campaignId: number; phones: string[]; since: Date }): Promise<ExplainRow[]> {
  const { rows } = await db.query<ExplainRow>({
    name: 'planner.explain_recipients',
    text: `SELECT r.phone, r.timezone, ${recipientStateSql('r')} AS state, ${recipientZipSql('r')} AS zip, c.sticky_line,
                  coalesce(c.opted_out, false) AS opted_out,
                  array_agg(COALESCE(m.sent_at, m.legal_cleared_at) ORDER BY COALESCE(m.sent_at, m.legal_cleared_at), m.id) FILTER (WHERE m.id IS NOT NULL) AS sent_at,
                  array_agg(coalesce(mc.transactional, false) ORDER BY COALESCE(m.sent_at, m.legal_cleared_at), m.id) FILTER (WHERE m.id IS NOT NULL) AS transactional
             FROM campaign_recipients r
             LEFT JOIN contacts c ON c.phone = r.phone
             LEFT JOIN outbound_messages m ON m.contact_id = c.id AND COALESCE(m.sent_at, m.legal_cleared_at) > $3
             LEFT JOIN campaigns mc ON mc.id = m.campaign_id
            WHERE r.campaign_id = $1 AND r.phone = ANY($2::text[])
            GROUP BY r.id, c.sticky_line, c.opted_out`,
    values: [p.campaignId, p.phones, p.since],
  });
  return rows;
}
