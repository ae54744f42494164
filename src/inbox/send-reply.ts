import type { Queryable } from '../db/sql/queryable.ts';
import { queueOperatorReply } from '../db/sql/inbox.ts';

/**
 * The one place an operator's answer enters the send path. Today: an
 * outbound_messages row of kind operator_reply, due now, which the care
 * workers (src/webhooks/care.ts) claim, pace on the line's shared bucket,
 * consent-check right before the provider call and send with reply(event).
 * When the dispatcher queues conversation messages (#13), this becomes that
 * one call. Returns the message id, or null when the person is opted out.
 */
export function sendOperatorReply(db: Queryable, m: { phone: string; line: string; body: string }): Promise<number | null> {
  return queueOperatorReply(db, m);
}
