import { messageMachine } from '../../lifecycle/message.ts';
import type { Queryable } from './queryable.ts';

// The edges these statements make, checked against the message machine when
// this module loads; passed as parameters so the SQL names no status pair.
const SENDING_TO_SENT = messageMachine.from('sent', ['sending']);
const SENDING_TO_RETRY_FAILED_OR_CANCELLED = messageMachine.from(['queued', 'failed', 'cancelled'], ['sending']);
const SENDING_TO_FAILED = messageMachine.from('failed', ['sending']);
const SENDING_TO_QUEUED_OR_CANCELLED = messageMachine.from(['queued', 'cancelled'], ['sending']);

// Every statement here is conditioned on `status = sending AND lease_owner = $me`:
// a worker whose lease was taken over (it stalled, the reconciler moved on)
// can no longer write over the newer truth. The row counts they return say
// whether the write happened.

// A campaign message of a campaign cancelled meanwhile ends `cancelled` when
// handed back. A conversation message (auto-reply, opt-out confirmation) is
// not the campaign's broadcast, and may have no campaign: it stays queued.
const CANCELLED_CAMPAIGN = `(m.kind = 'campaign' AND EXISTS (SELECT 1 FROM campaigns c WHERE c.id = m.campaign_id AND c.status = 'cancelled'))`;

export interface SentResult {
  id: number;
  providerMessageId: string;
  fromLine: string | null;
  channel: 'imessage' | 'sms' | 'mms';
}

/**
 * Record confirmed sends, several at once (parallel arrays through unnest), and
 * give each contact its sticky line if it had none, in the same statement so
 * that the line of a first contact is never lost between two writes. Progress
 * is only ever recorded here, per message, after the provider said yes.
 */
export async function markSent(db: Queryable, p: { workerId: string; now: Date; results: SentResult[] }): Promise<number> {
  if (p.results.length === 0) return 0;
  const r = p.results;
  const { rows } = await db.query<{ n: number }>({
    name: 'dispatch.mark_sent',
    text: `WITH input AS (
       SELECT * FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[]) AS u(id, provider_message_id, from_line, channel)),
     done AS (
       UPDATE outbound_messages m
          SET status = 'sent', provider_message_id = input.provider_message_id,
              from_line = COALESCE(input.from_line, m.requested_line), channel = input.channel::channel,
              sent_at = $2, lease_owner = NULL, lease_expires_at = NULL,
              -- Handed off before the person's opt-out (or it would not have gone): on the wire then.
              on_wire_at_opt_out = m.on_wire_at_opt_out OR EXISTS (SELECT 1 FROM contacts k WHERE k.id = m.contact_id AND k.opted_out),
              last_error = NULL, error_retryable = NULL, updated_at = $2
         FROM input
        WHERE m.id = input.id AND m.status = ANY($7::message_status[]) AND m.lease_owner = $1
       RETURNING m.contact_id, m.from_line),
     sticky AS (
       UPDATE contacts c SET sticky_line = d.from_line, sticky_line_assigned_at = $2
         FROM (SELECT DISTINCT ON (contact_id) contact_id, from_line FROM done WHERE from_line IS NOT NULL) d
        WHERE c.id = d.contact_id AND c.sticky_line IS NULL)
     SELECT count(*)::int AS n FROM done`,
    values: [p.workerId, p.now, r.map((x) => x.id), r.map((x) => x.providerMessageId), r.map((x) => x.fromLine), r.map((x) => x.channel), SENDING_TO_SENT],
  });
  return rows[0]?.n ?? 0;
}

/**
 * A retryable failure: back to `queued` for a later attempt, or `failed` with
 * the reason once the campaign's attempt budget is spent. One statement decides
 * from the row's own attempt count and the campaign's status: a message handed
 * back after its campaign was cancelled becomes `cancelled`, not `queued`
 * (cancel only sweeps the queued rows it sees, and this one was sending then).
 */
export async function markRetryOrFail(
  db: Queryable,
  p: { workerId: string; id: number; now: Date; retryAt: Date; maxAttempts: number; error: string },
): Promise<'queued' | 'failed' | 'cancelled' | null> {
  const { rows } = await db.query<{ status: 'queued' | 'failed' | 'cancelled' }>(
    `UPDATE outbound_messages m
        SET status = CASE WHEN m.attempts >= $5 THEN 'failed'::message_status
                          WHEN ${CANCELLED_CAMPAIGN} THEN 'cancelled'::message_status
                          ELSE 'queued'::message_status END,
            next_attempt_at = $4,
            failed_at = CASE WHEN m.attempts >= $5 THEN $3::timestamptz END,
            cancelled_at = CASE WHEN m.attempts < $5 AND ${CANCELLED_CAMPAIGN} THEN $3::timestamptz END,
            last_error = $6, error_retryable = true, lease_owner = NULL, lease_expires_at = NULL, updated_at = $3
      WHERE m.id = $2 AND m.status = ANY($7::message_status[]) AND m.lease_owner = $1
     RETURNING m.status::text AS status`,
    [p.workerId, p.id, p.now, p.retryAt, p.maxAttempts, p.error, SENDING_TO_RETRY_FAILED_OR_CANCELLED],
  );
  return rows[0]?.status ?? null;
}

/** A permanent failure (4xx, invalid input): `failed` at once, with the reason. */
export async function markFailed(db: Queryable, p: { workerId: string; id: number; now: Date; error: string }): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE outbound_messages
        SET status = 'failed', failed_at = $3, last_error = $4, error_retryable = false,
            lease_owner = NULL, lease_expires_at = NULL, updated_at = $3
      WHERE id = $2 AND status = ANY($5::message_status[]) AND lease_owner = $1`,
    [p.workerId, p.id, p.now, p.error, SENDING_TO_FAILED],
  );
  return (rowCount ?? 0) > 0;
}

/**
 * The send may or may not have reached the provider (timeout after writing,
 * connection dropped). Keep the row `sending` and let its lease run out soon:
 * the crash reconciler then asks the provider's history before any resend,
 * exactly as for a worker that died at that moment.
 */
export async function markAmbiguous(db: Queryable, p: { workerId: string; id: number; settleUntil: Date; error: string }): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE outbound_messages SET lease_expires_at = $3, last_error = $4
      WHERE id = $2 AND status = 'sending' AND lease_owner = $1`,
    [p.workerId, p.id, p.settleUntil, p.error],
  );
  return (rowCount ?? 0) > 0;
}

export interface Deferral {
  id: number;
  at: Date;
}

/**
 * Give claimed messages back without a send: outside the send window, line caps
 * reached, pacing wait too long, or shutdown (at = now). The claim's attempt is
 * taken back, since nothing was attempted. Several rows in one statement. As
 * for retries, a row of a campaign cancelled meanwhile ends `cancelled`.
 */
export async function deferMessages(db: Queryable, p: { workerId: string; now: Date; deferrals: Deferral[]; reason?: string }): Promise<number> {
  if (p.deferrals.length === 0) return 0;
  const { rowCount } = await db.query({
    name: 'dispatch.defer_messages',
    text: `UPDATE outbound_messages m
        SET status = CASE WHEN ${CANCELLED_CAMPAIGN} THEN 'cancelled'::message_status ELSE 'queued'::message_status END,
            cancelled_at = CASE WHEN ${CANCELLED_CAMPAIGN} THEN $2::timestamptz END,
            next_attempt_at = d.at, attempts = greatest(m.attempts - 1, 0),
            lease_owner = NULL, lease_expires_at = NULL, updated_at = $2, defer_reason = $6
       FROM unnest($3::bigint[], $4::timestamptz[]) AS d(id, at)
      WHERE m.id = d.id AND m.status = ANY($5::message_status[]) AND m.lease_owner = $1`,
    values: [p.workerId, p.now, p.deferrals.map((d) => d.id), p.deferrals.map((d) => d.at), SENDING_TO_QUEUED_OR_CANCELLED, p.reason ?? null],
  });
  return rowCount ?? 0;
}
