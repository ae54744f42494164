import type { Queryable } from './queryable.ts';

/**
 * Give newly sent iMessages their first poll time.
 *
 * Why this shape: the dispatcher records a send without knowing about polling;
 * one set-based UPDATE schedules every new one at sent_at + delay, served by
 * the (status, next_poll_at) index. poll_attempts = 0 marks "never scheduled",
 * so a message whose polling ended (next_poll_at back to NULL) is not revived.
 * SMS/MMS messages are left out: their delivery news is pushed by webhooks.
 */
export async function scheduleNewPolls(db: Queryable, firstDelaySeconds: number): Promise<number> {
  const res = await db.query({
    name: 'reconciler.schedule_new',
    text: `UPDATE outbound_messages
              SET next_poll_at = COALESCE(sent_at, now()) + make_interval(secs => $1::float8)
            WHERE status IN ('sent', 'delivered')
              AND next_poll_at IS NULL
              AND poll_attempts = 0
              AND (provider_message_id IS NOT NULL OR from_line IS NOT NULL)
              AND (channel IS NULL OR channel = 'imessage')`,
    values: [firstDelaySeconds],
  });
  return res.rowCount ?? 0;
}

export interface DuePoll {
  id: number;
  /** null when the send was confirmed through history (the crash reconciler): found by thread and text then. */
  provider_message_id: string | null;
  to_phone: string;
  from_line: string | null;
  body: string;
  channel: string | null;
  poll_attempts: number;
  sent_at: Date | null;
  status: string;
}

/**
 * Take the messages whose poll is due, pushing their next poll out by a lease.
 *
 * Why this shape: moving next_poll_at forward in the same statement that picks
 * the rows is the claim — another reconciler (or this one after a crash) will
 * not poll them again before the lease ends, and no lock is held during the
 * slow HTTP calls. SKIP LOCKED keeps concurrent reconcilers off each other.
 */
export async function claimDuePolls(db: Queryable, opts: { limit: number; leaseSeconds: number }): Promise<DuePoll[]> {
  const res = await db.query<DuePoll>({
    name: 'reconciler.claim_due',
    text: `UPDATE outbound_messages o
              SET next_poll_at = now() + make_interval(secs => $2::float8)
             FROM (SELECT id FROM outbound_messages
                    WHERE status IN ('sent', 'delivered')
                      AND next_poll_at <= now()
                    ORDER BY next_poll_at
                    LIMIT $1
                      FOR UPDATE SKIP LOCKED) due
            WHERE o.id = due.id
           RETURNING o.id, o.provider_message_id, o.to_phone, o.from_line, o.body, o.channel::text AS channel,
                     o.poll_attempts, o.sent_at, o.status::text AS status`,
    values: [opts.limit, opts.leaseSeconds],
  });
  return res.rows;
}

export interface PollRecord {
  id: number;
  /** null ends polling. */
  nextPollAt: Date | null;
  channel: 'imessage' | 'sms' | null;
  fallbackUsed: boolean;
  autoReportedSpam: boolean;
  markedSpam: boolean;
  fromLine: string | null;
}

/**
 * Record what a poll learned besides the status (which moves through
 * transitionDelivery): the next poll time and the sticky facts.
 *
 * Why this shape: flags only ever turn on (OR), the line is only filled when
 * unknown, the channel only changes when the provider says so — so a poll that
 * learned less than an earlier one cannot erase anything.
 */
export async function recordPoll(db: Queryable, p: PollRecord): Promise<void> {
  await db.query({
    name: 'reconciler.record_poll',
    text: `UPDATE outbound_messages
              SET poll_attempts = poll_attempts + 1,
                  next_poll_at = CASE WHEN status IN ('sent', 'delivered') THEN $2::timestamptz ELSE NULL END,
                  channel = COALESCE($3::channel, channel),
                  fallback_used = fallback_used OR $4,
                  auto_reported_spam = auto_reported_spam OR $5,
                  marked_spam = marked_spam OR $6,
                  from_line = COALESCE(from_line, $7),
                  updated_at = now()
            WHERE id = $1`,
    values: [p.id, p.nextPollAt, p.channel, p.fallbackUsed, p.autoReportedSpam, p.markedSpam, p.fromLine],
  });
}
