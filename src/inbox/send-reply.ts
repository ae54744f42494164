import type { Queryable } from '../db/sql/queryable.ts';
import { queueOperatorReply } from '../db/sql/inbox.ts';

/**
 * The one place an operator's answer enters the send path. An
 * outbound_messages row of kind operator_reply, queued due now, which the
 * dispatcher claims, paces on the line's shared bucket, consent-checks right
 * before the provider call and sends like any conversation message. The
 * phone lookup and the opt-out refusal are one statement under the contact's
 * row lock, which enqueueConversationMessage (it takes a contact id) lacks. Returns the message id, or null when the person is opted out.
 */
export function sendOperatorReply(db: Queryable, m: { phone: string; line: string; body: string }): Promise<number | null> {
  return queueOperatorReply(db, m);
}
