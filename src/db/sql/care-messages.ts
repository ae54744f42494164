import type { Queryable } from './queryable.ts';

export type CareKind = 'auto_reply' | 'opt_out_confirmation' | 'operator_reply';

/** A conversation message to queue: bluecast's own words to one person on one line. */
export interface QueuedConversationMessage {
  kind: CareKind;
  contactId: number;
  toPhone: string;
  fromLine: string;
  body: string;
  campaignId?: number | null;
  recipientId?: number | null;
  /** The opt-out reply an opt_out_confirmation confirms: at most one confirmation per such reply. */
  confirmsInboundId?: number | null;
}

/**
 * Queue a conversation message, due now: a `queued` row like a campaign's, so
 * the dispatcher claims it and sends it through its one paced,
 * consent-checked path (claim-messages.ts, hand-off.ts), whichever process is up. Runs in the caller's
 * transaction (an opt-out's confirmation is queued with the opt-out).
 * Why this shape: ON CONFLICT on the partial unique index of
 * confirms_inbound_id makes it one confirmation per opt-out reply, whatever
 * retries or reprocessing happen; rows without it never conflict. Returns the
 * row's id, or null when that confirmation was queued already.
 */
export async function queueConversationMessage(db: Queryable, m: QueuedConversationMessage): Promise<number | null> {
  const { rows } = await db.query<{ id: string }>({
    name: 'webhooks.queue_conversation_message',
    text: `INSERT INTO outbound_messages
             (campaign_id, recipient_id, contact_id, kind, to_phone, requested_line, from_line, body, channel, status,
              attempts, next_attempt_at, confirms_inbound_id)
           VALUES ($1, $2, $3, $4::message_kind, $5, $6, $6, $7, 'imessage', 'queued', 0, now(), $8)
           ON CONFLICT (confirms_inbound_id) WHERE kind = 'opt_out_confirmation' DO NOTHING
           RETURNING id`,
    values: [m.campaignId ?? null, m.recipientId ?? null, m.contactId, m.kind, m.toPhone, m.fromLine, m.body, m.confirmsInboundId ?? null],
  });
  return rows[0] ? Number(rows[0].id) : null;
}

/** Where a queued message stands: null once it is gone. */
export async function messageStatus(db: Queryable, id: number): Promise<string | null> {
  const { rows } = await db.query<{ status: string }>({
    name: 'webhooks.message_status',
    text: `SELECT status::text AS status FROM outbound_messages WHERE id = $1`,
    values: [id],
  });
  return rows[0]?.status ?? null;
}
