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

/**
 * The same, for a message a person may get only once per `oncePerMs` (the
 * auto-reply): queued only when the contact had none since `now - oncePerMs`.
 * Why this shape: the check and the claim of the slot are one conditional
 * UPDATE of the contact row, so two replies processed at once (two
 * processors, two processes) wait on that row and only the first passes;
 * the INSERT reads the claimed row, so a refused slot queues nothing. `now`
 * is the caller's clock. Returns the row's id, or null when the slot was taken.
 */
export async function queueConversationMessageOncePer(db: Queryable, m: QueuedConversationMessage, p: { oncePerMs: number; now: Date }): Promise<number | null> {
  const { rows } = await db.query<{ id: string }>({
    name: 'webhooks.queue_conversation_message_once_per',
    text: `WITH slot AS (
             UPDATE contacts SET last_auto_reply_at = $8
              WHERE id = $3 AND (last_auto_reply_at IS NULL OR last_auto_reply_at <= $8::timestamptz - make_interval(secs => $9::float8 / 1000))
             RETURNING id
           )
           INSERT INTO outbound_messages
             (campaign_id, recipient_id, contact_id, kind, to_phone, requested_line, from_line, body, channel, status, attempts, next_attempt_at)
           SELECT $1, $2, slot.id, $4::message_kind, $5, $6, $6, $7, 'imessage', 'queued', 0, now() FROM slot
           RETURNING id`,
    values: [m.campaignId ?? null, m.recipientId ?? null, m.contactId, m.kind, m.toPhone, m.fromLine, m.body, p.now, p.oncePerMs],
  });
  return rows[0] ? Number(rows[0].id) : null;
}

/**
 * Whether the person's once-per slot is free now: a read only, so that care
 * does not show "typing…" for an auto-reply the limit will refuse. The
 * queueing (above) decides for good.
 */
export async function oncePerSlotFree(db: Queryable, p: { contactId: number; oncePerMs: number; now: Date }): Promise<boolean> {
  const { rows } = await db.query<{ free: boolean }>({
    name: 'webhooks.once_per_slot_free',
    text: `SELECT last_auto_reply_at IS NULL OR last_auto_reply_at <= $2::timestamptz - make_interval(secs => $3::float8 / 1000) AS free
             FROM contacts WHERE id = $1`,
    values: [p.contactId, p.now, p.oncePerMs],
  });
  return rows[0]?.free ?? true;
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
