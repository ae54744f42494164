import type pg from 'pg';
import { lockContactForMessage } from '../db/sql/inbox.ts';
import { inTransaction } from '../db/sql/queryable.ts';
import { enqueueConversationMessage } from '../dispatch/conversation.ts';

/**
 * The one place an operator's answer enters the send path: an
 * outbound_messages row of kind operator_reply queued by
 * enqueueConversationMessage (due now), which the dispatcher claims, paces on
 * the line's shared bucket, consent-checks right before the provider call and
 * sends like any conversation message. The contact is locked FOR SHARE in the
 * same transaction, so an answer is never queued past a STOP being applied.
 * Returns the message id, or null when the person is opted out (or unknown:
 * nobody who never wrote can be answered).
 */
export function sendOperatorReply(pool: pg.Pool, m: { phone: string; line: string; body: string }): Promise<number | null> {
  return inTransaction(pool, async (tx) => {
    const contact = await lockContactForMessage(tx, m.phone);
    if (!contact || contact.opted_out) return null;
    return enqueueConversationMessage(tx, { kind: 'operator_reply', contactId: contact.id, toPhone: m.phone, fromLine: m.line, body: m.body });
  });
}
