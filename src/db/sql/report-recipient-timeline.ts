import type { Queryable } from './queryable.ts';

export interface RecipientEventRow {
  at: Date;
  /** queued | sent | delivered | read | failed | unconfirmed | cancelled | expired | skipped | reply | opt_out | opt_in | imported */
  event: string;
  campaign_id: number | null;
  campaign_name: string | null;
  message_id: string | null;
  /** The message's kind (campaign, auto_reply, opt_out_confirmation, operator_reply) for outbound events. */
  kind: string | null;
  line: string | null;
  channel: string | null;
  /** The text sent or received, a consent note, or a failure's reason. */
  text: string | null;
  detail: string | null;
}

/**
 * Everything that happened with one phone number, newest first: each outbound
 * message's steps (from its own timestamps), the replies it sent, its consent
 * events and the campaigns it was loaded into. One UNION over indexed lookups
 * by phone or contact (outbound_messages (to_phone…), inbound_messages
 * (from_phone, sent_at), consent_events (contact_id, at), campaign_recipients
 * (campaign_id, phone)); bounded by `limit`. Within one campaign (a phone has
 * no index of its own across campaigns' recipients): its messages, its
 * recipient row, the replies tied to it or to none; consent is the person's,
 * whatever the campaign.
 */
export async function recipientTimeline(db: Queryable, p: { phone: string; campaignId: number; limit: number }): Promise<RecipientEventRow[]> {
  const { rows } = await db.query<RecipientEventRow>(
    `WITH om AS (
       SELECT m.*, c.name AS campaign_name,
              -- Why the rules hold it, skipped or expired it: rule (jurisdiction) until when.
              (SELECT string_agg((x->>'rule') || ' (' || (x->>'jurisdiction') || ')' ||
                                 CASE WHEN m.status = 'queued' AND x->>'until' IS NOT NULL THEN ' until ' || (x->>'until') ELSE '' END, '; ')
                 FROM jsonb_array_elements(m.hold_reasons) AS x) AS holds
         FROM outbound_messages m LEFT JOIN campaigns c ON c.id = m.campaign_id
        WHERE m.to_phone = $1 AND m.campaign_id = $2
     ), steps AS (
       SELECT om.id, s.at, s.event, s.detail FROM om, LATERAL (VALUES
         (om.queued_at, 'queued', CASE WHEN om.status = 'queued' THEN NULLIF(concat_ws('; ', 'waiting: ' || om.holds, om.defer_reason), '') END),
         (om.sent_at, 'sent', NULL),
         (om.delivered_at, 'delivered', NULL),
         (om.read_at, 'read', NULL),
         (om.failed_at, CASE WHEN om.status = 'unconfirmed' THEN 'unconfirmed' ELSE 'failed' END, om.last_error),
         (om.cancelled_at, CASE WHEN om.status = 'skipped' THEN 'skipped' ELSE 'cancelled' END, COALESCE(om.last_error, om.holds)),
         (om.expired_at, 'expired', COALESCE(om.last_error, om.holds))
       ) AS s(at, event, detail) WHERE s.at IS NOT NULL
     )
     SELECT * FROM (
       SELECT s.at, s.event, om.campaign_id, om.campaign_name, om.id::text AS message_id, om.kind::text AS kind,
              COALESCE(om.from_line, om.requested_line) AS line, om.channel::text AS channel,
              CASE WHEN s.event IN ('queued', 'sent') THEN om.body END AS text, s.detail
         FROM steps s JOIN om ON om.id = s.id
       UNION ALL
       SELECT i.sent_at, 'reply', i.campaign_id, c.name, i.outbound_message_id::text, NULL, i.to_line, i.channel::text, i.body,
              CASE WHEN i.is_opt_out THEN 'opt-out' WHEN i.is_opt_in THEN 'opt-in' WHEN i.needs_attention THEN 'needs attention' END
         FROM inbound_messages i LEFT JOIN campaigns c ON c.id = i.campaign_id
        WHERE i.from_phone = $1 AND (i.campaign_id = $2 OR i.campaign_id IS NULL)
       UNION ALL
       SELECT e.at, e.kind::text, NULL, NULL, NULL, NULL, NULL, NULL, e.note, concat_ws(', ', e.source, e.keyword)
         FROM consent_events e JOIN contacts ct ON ct.id = e.contact_id WHERE ct.phone = $1
       UNION ALL
       SELECT r.created_at, 'imported', r.campaign_id, c.name, NULL, NULL, NULL, NULL, NULL,
              CASE WHEN r.source_line IS NOT NULL THEN 'line ' || r.source_line END
         FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id
        WHERE r.campaign_id = $2 AND r.phone = $1
     ) t
     ORDER BY at DESC, event
     LIMIT $3`,
    [p.phone, p.campaignId, p.limit],
  );
  return rows;
}

/** The campaign's region: numbers typed without a country code are read in it, as the import reads them. */
export async function campaignRegion(db: Queryable, campaignId: number): Promise<string> {
  const { rows } = await db.query<{ region: string }>(`SELECT default_region AS region FROM campaigns WHERE id = $1`, [campaignId]);
  return rows[0]?.region ?? 'US';
}
