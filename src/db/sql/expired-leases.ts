import { messageMachine } from '../../lifecycle/message.ts';
import type { Queryable } from './queryable.ts';

const SENDING_TO_SENT = messageMachine.from('sent', ['sending']);

export interface ExpiredLease {
  id: number;
  to_phone: string;
  requested_line: string | null;
  sticky_line: string | null;
  body: string;
  attempts: number;
  max_attempts: number;
  /** When the message was claimed for the send that may have happened. */
  claimed_at: Date;
  /** The campaign's SMS fallback: when set, the send may have gone out as SMS (text history). */
  fallback_when: string[];
  /** The line an SMS fallback goes out on; null: the iMessage line. */
  fallback_from: string | null;
  /** The campaign sends from lines of its own (a line is recorded before any send), not the provider's pool. */
  own_lines: boolean;
}

/**
 * Take over `sending` rows whose lease ran out (the worker died, stalled, or
 * got no answer). The takeover is a lease of our own, so two reconcilers never
 * ask about the same row. The CTE returns the *old* claim time (updated_at
 * before this statement), which the history check needs; updated_at itself is
 * left alone so that a reconciler that dies mid-way hands the same claim time
 * to the next one.
 */
export async function claimExpiredLeases(db: Queryable, p: { workerId: string; limit: number; leaseMs: number; now: Date }): Promise<ExpiredLease[]> {
  const { rows } = await db.query<ExpiredLease>(
    `WITH expired AS (
       SELECT m.id, m.campaign_id, m.updated_at AS claimed_at
         FROM outbound_messages m
        WHERE m.status = 'sending' AND m.lease_expires_at < $4
        ORDER BY m.lease_expires_at
        LIMIT $2
        FOR UPDATE SKIP LOCKED)
     UPDATE outbound_messages m
        SET lease_owner = $1, lease_expires_at = $4::timestamptz + make_interval(secs => $3::float8 / 1000)
       FROM expired LEFT JOIN campaigns c ON c.id = expired.campaign_id, contacts ct
      WHERE m.id = expired.id AND ct.id = m.contact_id
     RETURNING m.id, m.to_phone, m.requested_line, ct.sticky_line, m.body, m.attempts, COALESCE(c.max_attempts, 5) AS max_attempts,
               expired.claimed_at,
               CASE WHEN m.kind = 'campaign' THEN c.fallback_when ELSE '{}' END AS fallback_when,
               CASE WHEN m.kind = 'campaign' THEN c.fallback_from END AS fallback_from,
               -- a conversation message goes out on the line it was queued for (requested_line)
               m.kind <> 'campaign' OR cardinality(c.sender_lines) > 0 AS own_lines`,
    [p.workerId, p.limit, p.leaseMs, p.now],
  );
  return rows;
}

/**
 * The provider has the message: record it as sent with what the provider
 * reported (the line it went out on, its time, its channel: an SMS fallback is
 * found in the text history). History answers carry no message id, so
 * provider_message_id stays empty; the delivery reconciler can still find the
 * message by (to, from) through history. The contact's sticky line is the
 * iMessage line we asked for (`stickyLine`), never an SMS fallback line, so a
 * later iMessage keeps its thread; null leaves the contact as it is.
 */
export async function markReconciledSent(
  db: Queryable,
  p: { workerId: string; id: number; fromLine: string; sentAt: Date; now: Date; channel: 'imessage' | 'sms'; fallbackUsed: boolean; stickyLine: string | null },
): Promise<boolean> {
  const { rows } = await db.query<{ n: number }>(
    `WITH done AS (
       UPDATE outbound_messages
          SET status = 'sent', from_line = $3, channel = $6::channel, fallback_used = $7, sent_at = $4,
              lease_owner = NULL, lease_expires_at = NULL, last_error = NULL, error_retryable = NULL, updated_at = $5
        WHERE id = $2 AND status = ANY($9::message_status[]) AND lease_owner = $1
       RETURNING contact_id),
     sticky AS (
       UPDATE contacts c SET sticky_line = $8, sticky_line_assigned_at = $5
         FROM done WHERE c.id = done.contact_id AND c.sticky_line IS NULL AND $8::text IS NOT NULL)
     SELECT count(*)::int AS n FROM done`,
    [p.workerId, p.id, p.fromLine, p.sentAt, p.now, p.channel, p.fallbackUsed, p.stickyLine, SENDING_TO_SENT],
  );
  return (rows[0]?.n ?? 0) > 0;
}
