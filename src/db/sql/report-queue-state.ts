import type { Queryable } from './queryable.ts';

export interface QueueStateRow {
  /** due | window | caps | pacing | released | unavailable | blocked | retry | later | sending | claimed */
  state: string;
  messages: number;
  /** The earliest and latest instant these messages may be tried again (null for due and sending). */
  first_at: Date | null;
  last_at: Date | null;
}

/**
 * A campaign's unsent messages (queued or being sent) by why they are not out
 * yet, in one pass over its (campaign_id, status) index: messages held by a
 * legal rule are left to waitingByReason (report-waiting.ts), which names the
 * rule; the rest are due now, in flight, or wait for the instant the
 * dispatcher deferred them to, for the reason it recorded (defer_reason), or
 * for another try after a failure. A message being sent is on the wire once
 * handed off (handed_off_at); before that a worker holds it for its line's pace.
 */
export async function queueState(db: Queryable, p: { campaignId: number; now: Date }): Promise<QueueStateRow[]> {
  const { rows } = await db.query<QueueStateRow>(
    `SELECT CASE WHEN m.status = 'sending' AND m.handed_off_at IS NOT NULL THEN 'sending'
                 WHEN m.status = 'sending' THEN 'claimed'
                 WHEN m.next_attempt_at <= $2 THEN 'due'
                 WHEN m.defer_reason IS NOT NULL THEN m.defer_reason
                 WHEN m.attempts > 0 AND m.last_error IS NOT NULL THEN 'retry'
                 ELSE 'later' END AS state,
            count(*)::int AS messages,
            min(m.next_attempt_at) FILTER (WHERE m.status = 'queued' AND m.next_attempt_at > $2) AS first_at,
            max(m.next_attempt_at) FILTER (WHERE m.status = 'queued' AND m.next_attempt_at > $2) AS last_at
       FROM outbound_messages m
      WHERE m.campaign_id = $1 AND m.status IN ('queued', 'sending')
        AND NOT (m.status = 'queued' AND m.hold_reasons IS NOT NULL AND m.not_before > $2)
      GROUP BY 1
      ORDER BY messages DESC, state`,
    [p.campaignId, p.now],
  );
  return rows;
}
