import type { Queryable } from './queryable.ts';

export interface Conversation {
  contact_id: number;
  /** The contact's state before this reply. */
  opted_out: boolean;
  outbound_message_id: number | null;
  campaign_id: number | null;
  recipient_id: number | null;
  care_read_receipt: boolean | null;
  care_tapback: string | null;
  care_auto_reply: string | null;
  opt_out_confirmation: string | null;
  /** The recipient's CSV columns, for the auto-reply template. */
  variables: Record<string, string> | null;
}

/**
 * Who wrote (the contact, created for a stranger) and what they are answering:
 * the latest message we sent between the same two numbers, with its campaign's
 * conversation-care settings (with its pacing, which care sends follow) and the recipient's variables.
 *
 * Why this shape: one round trip for what each reply needs first (replies
 * arrive by the thousand during a campaign).
 * - A STOP from a number we never imported must still stick, so the contact is
 *   created if missing; INSERT … ON CONFLICT DO NOTHING avoids rewriting the
 *   row on every reply and the UNION reads it when it existed. The rare race
 *   with a concurrent first insert returns no row; the caller asks again.
 * - A reply carries no reference to what it answers; the thread is (person,
 *   our line), so the newest message we sent on it is what the person answers.
 *   A message whose line is not known yet (the provider picked it) still
 *   counts, after exact matches. The (to_phone, from_line, sent_at DESC) index
 *   serves the lateral lookup.
 */
export async function resolveConversation(db: Queryable, person: string, line: string): Promise<Conversation | null> {
  const res = await db.query<Conversation>({
    name: 'webhooks.resolve_conversation',
    text: `WITH ins AS (
             INSERT INTO contacts (phone) VALUES ($1)
             ON CONFLICT (phone) DO NOTHING
             RETURNING id, opted_out
           ), contact AS (
             SELECT id, opted_out FROM ins
             UNION ALL
             SELECT id, opted_out FROM contacts WHERE phone = $1
             LIMIT 1
           )
           SELECT contact.id AS contact_id, contact.opted_out, link.*
             FROM contact
             LEFT JOIN LATERAL (
               SELECT o.id AS outbound_message_id, o.campaign_id, o.recipient_id,
                      c.care_read_receipt, c.care_tapback, c.care_auto_reply, c.opt_out_confirmation, r.variables
                 FROM outbound_messages o
                 LEFT JOIN campaigns c ON c.id = o.campaign_id
                 LEFT JOIN campaign_recipients r ON r.id = o.recipient_id
                WHERE o.to_phone = $1
                  AND (o.from_line = $2 OR o.from_line IS NULL)
                  AND o.sent_at IS NOT NULL
                ORDER BY (o.from_line IS NOT NULL) DESC, o.sent_at DESC, o.id DESC
                LIMIT 1
             ) link ON true`,
    values: [person, line],
  });
  return res.rows[0] ?? null;
}

export interface NewInboundMessage {
  webhookEventId: number;
  fromPhone: string;
  toLine: string;
  body: string;
  channel: 'imessage' | 'sms' | 'mms';
  attachments: string[];
  sentAt: Date;
  contactId: number | null;
  campaignId: number | null;
  recipientId: number | null;
  outboundMessageId: number | null;
  isOptOut: boolean;
  isOptIn: boolean;
  /** A possible opt-out that is not a clear one, or a keyword from an unmatched sender: for a person. */
  needsAttention: boolean;
}

/**
 * Store a reply and mark its recipient as having replied; returns the new row's
 * id (null when this event's reply is already stored) and whether it is the
 * recipient's first reply.
 *
 * Why this shape: one round trip. The unique webhook_event_id makes storing
 * the same event twice harmless even outside the processed_at guard, and the
 * recipient is only touched when the row is new. The earliest reply time wins
 * whatever order events are processed in (LEAST), and the row lock serialises
 * two replies of one person so exactly one sees "first" — which keeps the
 * auto-reply to one per recipient.
 */
export async function recordReply(db: Queryable, m: NewInboundMessage): Promise<{ id: number | null; firstReply: boolean }> {
  const res = await db.query<{ id: number; first_reply: boolean }>({
    name: 'webhooks.record_reply',
    text: `WITH ins AS (
             INSERT INTO inbound_messages
               (webhook_event_id, from_phone, to_line, body, channel, attachments, sent_at,
                contact_id, campaign_id, recipient_id, outbound_message_id, is_opt_out, is_opt_in, needs_attention)
             VALUES ($1, $2, $3, $4, $5::channel, $6::text[], $7, $8, $9, $10, $11, $12, $13, $14)
             ON CONFLICT (webhook_event_id) DO NOTHING
             RETURNING id
           ), prev AS (
             SELECT id, replied_at FROM campaign_recipients
              WHERE id = $10 AND EXISTS (SELECT 1 FROM ins)
                FOR UPDATE
           ), replied AS (
             UPDATE campaign_recipients r
                SET replied_at = LEAST(COALESCE(prev.replied_at, $7), $7)
               FROM prev
              WHERE r.id = prev.id
             RETURNING prev.replied_at IS NULL AS first_reply
           )
           SELECT ins.id, COALESCE((SELECT first_reply FROM replied), false) AS first_reply FROM ins`,
    values: [
      m.webhookEventId, m.fromPhone, m.toLine, m.body, m.channel, m.attachments, m.sentAt,
      m.contactId, m.campaignId, m.recipientId, m.outboundMessageId, m.isOptOut, m.isOptIn, m.needsAttention,
    ],
  });
  const row = res.rows[0];
  return { id: row?.id ?? null, firstReply: row?.first_reply ?? false };
}
