import { messageMachine } from '../../lifecycle/message.ts';
import type { Queryable } from './queryable.ts';

export type CareKind = 'auto_reply' | 'opt_out_confirmation' | 'operator_reply';

/**
 * What came of one try at a care message:
 * - sent: the provider took it;
 * - retry: not sent, try again after `delayMs` (a retryable refusal, or no
 *   pacing token in time; `attempted` is false when nothing reached the provider);
 * - failed: final (refused for good, outcome unknown, or out of attempts).
 */
export type CareResult =
  | { status: 'sent'; providerMessageId: string }
  | { status: 'retry'; delayMs: number; error: string; attempted: boolean }
  | { status: 'failed'; error: string };

export interface CareMessage {
  kind: CareKind;
  campaignId: number | null;
  recipientId: number | null;
  contactId: number;
  toPhone: string;
  fromLine: string;
  body: string;
  result: CareResult;
}

// How a care message lives in outbound_messages, and why.
//
// The dispatcher claims every `queued` row whatever its kind (and sends it with
// the campaign's attachments and window), and its crash reconciler takes over
// every `sending` row whose lease ran out. Care messages therefore never use
// those two statuses. A care message that must be tried again is
//   status 'retrying', lease_owner NULL,
//   next_attempt_at = lease_expires_at = when it is due;
// one being retried stays 'retrying' and holds lease_owner (its care worker)
// and a lease deadline; it ends 'sent', 'skipped' (the person opted out
// meanwhile) or 'failed'. Only care rows are ever 'retrying', so the
// (status, lease_expires_at) index finds the due ones alone.

/** Care claims: a due retry stays retrying (leased), or ends skipped / failed (abandoned mid-send). */
const CLAIMS = messageMachine.fromOne(['retrying', 'skipped', 'failed'], 'retrying');
/** What a retry records: sent, failed, or retrying again. */
const RETRY_ENDS = messageMachine.from(['sent', 'failed', 'retrying'], ['retrying']);

const retryable = (r: CareResult) => (r.status === 'sent' ? null : r.status === 'retry');
const delaySeconds = (r: CareResult) => (r.status === 'retry' ? Math.max(0, r.delayMs) / 1000 : null);
const errorOf = (r: CareResult) => (r.status === 'sent' ? null : r.error.slice(0, 2000));
const attempted = (r: CareResult) => r.status !== 'retry' || r.attempted;

/**
 * Record a message bluecast sent on its own (auto-reply, opt-out confirmation)
 * after its first try.
 *
 * Why this shape: written once the first try is over, in one statement, in the
 * state that try left it (see above): sent; waiting for a retry; or failed for
 * good. The wait is computed from the database clock, which every care worker
 * reads the due rows by. run_id stays null: such messages belong to no run.
 */
export async function insertCareMessage(db: Queryable, m: CareMessage): Promise<number> {
  const r = m.result;
  const res = await db.query<{ id: number }>({
    name: 'webhooks.insert_care_message',
    text: `INSERT INTO outbound_messages
             (campaign_id, recipient_id, contact_id, kind, to_phone, requested_line, from_line, body,
              channel, status, provider_message_id, attempts, last_error, error_retryable,
              next_attempt_at, lease_expires_at, sent_at, failed_at)
           SELECT $1, $2, $3, $4::message_kind, $5, $6, $6, $7,
                  'imessage', CASE WHEN $8::text IS NOT NULL THEN 'sent' WHEN $11 THEN 'retrying' ELSE 'failed' END::message_status, $8, $9, $10, $11,
                  COALESCE(due.at, now()), due.at,
                  CASE WHEN $8::text IS NOT NULL THEN now() END, CASE WHEN $8::text IS NULL AND NOT $11 THEN now() END
             FROM (SELECT now() + make_interval(secs => $12::float8) AS at) due
           RETURNING id`,
    values: [
      m.campaignId, m.recipientId, m.contactId, m.kind, m.toPhone, m.fromLine, m.body,
      r.status === 'sent' ? r.providerMessageId : null, attempted(r) ? 1 : 0, errorOf(r), retryable(r), delaySeconds(r),
    ],
  });
  return res.rows[0]!.id;
}

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
 * Queue a conversation message, due now: stored in the shape of a care retry
 * (see above), so the care workers send it through their paced, consent-checked
 * path within seconds, whichever process is up. Runs in the caller's
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
              attempts, error_retryable, next_attempt_at, lease_expires_at, confirms_inbound_id)
           VALUES ($1, $2, $3, $4::message_kind, $5, $6, $6, $7, 'imessage', 'retrying', 0, true, now(), now(), $8)
           ON CONFLICT (confirms_inbound_id) WHERE kind = 'opt_out_confirmation' DO NOTHING
           RETURNING id`,
    values: [m.campaignId ?? null, m.recipientId ?? null, m.contactId, m.kind, m.toPhone, m.fromLine, m.body, m.confirmsInboundId ?? null],
  });
  return rows[0] ? Number(rows[0].id) : null;
}

/**
 * Whether a person may get an auto-reply now: right before its provider call.
 * Why this shape: FOR SHARE waits for an opt-out in progress (which holds the
 * contact row FOR UPDATE, see consent.ts) and then reads what it committed,
 * as the dispatcher's hand-off does; a person we have no contact for has
 * never opted out.
 */
export async function personConsents(db: Queryable, phone: string): Promise<boolean> {
  const { rows } = await db.query<{ opted_out: boolean }>({
    name: 'webhooks.person_consents',
    text: `SELECT opted_out FROM contacts WHERE phone = $1 FOR SHARE`,
    values: [phone],
  });
  return !(rows[0]?.opted_out ?? false);
}

/** A care message handed to a care worker for another try, with its campaign's pacing. */
export interface ClaimedCareMessage {
  id: number;
  /** send: ours to try; abandoned: a worker stopped in the middle of a try (outcome unknown, closed as failed); skipped: opted out since. */
  outcome: 'send' | 'abandoned' | 'skipped';
  kind: CareKind;
  to_phone: string;
  from_line: string;
  body: string;
  attempts: number;
  rate_per_line: number;
  burst_per_line: number;
  fast_track: boolean;
  max_attempts: number;
}

/**
 * Take the care messages due for another try, in one statement.
 *
 * Why this shape: FOR UPDATE SKIP LOCKED and the lease set in the same
 * statement make the claim (several care workers never try the same row);
 * ordered by lease_expires_at so the (status, lease_expires_at) index stops
 * after `limit` rows. Decided here as well, under the row lock:
 * - a due row that still has an owner was being tried when its worker died or
 *   stalled past the lease: whether the provider took it is unknown, and care
 *   never sends twice, so it is closed as failed;
 * - a message to a person who opted out since is skipped (an opt-out is
 *   never answered but by its confirmation).
 * The campaign's pacing rides along (LEFT JOIN: defaults if it is gone).
 */
export async function claimDueCareMessages(db: Queryable, p: { owner: string; limit: number; leaseMs: number }): Promise<ClaimedCareMessage[]> {
  const { rows } = await db.query<ClaimedCareMessage>({
    name: 'webhooks.claim_due_care_messages',
    text: `WITH due AS (
       SELECT m.id,
              CASE WHEN m.lease_owner IS NOT NULL THEN 'abandoned'
                   WHEN m.kind <> 'opt_out_confirmation' AND ct.opted_out THEN 'skipped'
                   ELSE 'send' END AS outcome,
              COALESCE(c.rate_per_line, 1) AS rate_per_line, COALESCE(c.burst_per_line, 5) AS burst_per_line,
              COALESCE(c.fast_track, false) AS fast_track, COALESCE(c.max_attempts, 5) AS max_attempts
         FROM outbound_messages m
         JOIN contacts ct ON ct.id = m.contact_id
         LEFT JOIN campaigns c ON c.id = m.campaign_id
        WHERE m.status = $4::message_status AND m.lease_expires_at <= now()
          AND m.kind <> 'campaign'
        ORDER BY m.lease_expires_at
        LIMIT $2
        FOR UPDATE OF m SKIP LOCKED)
     UPDATE outbound_messages m
        SET status = CASE d.outcome WHEN 'skipped' THEN 'skipped' WHEN 'abandoned' THEN 'failed' ELSE 'retrying' END::message_status,
            lease_owner = CASE WHEN d.outcome = 'send' THEN $1 END,
            lease_expires_at = CASE WHEN d.outcome = 'send' THEN now() + make_interval(secs => $3::float8 / 1000) END,
            error_retryable = CASE WHEN d.outcome = 'send' THEN true WHEN d.outcome = 'abandoned' THEN false END,
            last_error = CASE d.outcome WHEN 'abandoned' THEN 'outcome unknown: its care worker stopped during the send; not sent again'
                                        WHEN 'skipped' THEN 'recipient opted out' ELSE m.last_error END,
            failed_at = CASE WHEN d.outcome = 'abandoned' THEN now() END,
            updated_at = now()
       FROM due d
      WHERE m.id = d.id
     RETURNING m.id, d.outcome, m.kind::text AS kind, m.to_phone, COALESCE(m.from_line, m.requested_line) AS from_line, m.body,
               m.attempts, d.rate_per_line, d.burst_per_line, d.fast_track, d.max_attempts`,
    values: [p.owner, p.limit, p.leaseMs, CLAIMS],
  });
  return rows;
}

/**
 * Record what came of a retry of a claimed care message: only while the claim
 * is still ours (status retrying, our lease), so a worker that lost its lease
 * cannot overwrite what another decided. A retry again releases the row until
 * it is due; `attempts` counts tries that reached the provider.
 */
export async function recordCareRetry(db: Queryable, p: { owner: string; id: number; result: CareResult }): Promise<boolean> {
  const r = p.result;
  const { rowCount } = await db.query({
    name: 'webhooks.record_care_retry',
    text: `UPDATE outbound_messages m
        SET status = CASE WHEN $3::text IS NOT NULL THEN 'sent' WHEN $6 THEN 'retrying' ELSE 'failed' END::message_status,
            provider_message_id = $3,
            attempts = m.attempts + $4,
            last_error = $5,
            error_retryable = $6,
            next_attempt_at = COALESCE(due.at, m.next_attempt_at),
            lease_owner = NULL,
            lease_expires_at = due.at,
            sent_at = CASE WHEN $3::text IS NOT NULL THEN now() END,
            failed_at = CASE WHEN $3::text IS NULL AND NOT $6 THEN now() END,
            updated_at = now()
       FROM (SELECT now() + make_interval(secs => $7::float8) AS at) due
      WHERE m.id = $2 AND m.status = ANY($8::message_status[]) AND m.lease_owner = $1`,
    values: [p.owner, p.id, r.status === 'sent' ? r.providerMessageId : null, attempted(r) ? 1 : 0, errorOf(r), retryable(r), delaySeconds(r), RETRY_ENDS],
  });
  return (rowCount ?? 0) > 0;
}
