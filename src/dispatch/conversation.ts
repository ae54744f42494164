import { queueConversationMessage, queueConversationMessageOncePer, type QueuedConversationMessage } from '../db/sql/care-messages.ts';
import type { Queryable } from '../db/sql/queryable.ts';

export type ConversationMessage = QueuedConversationMessage & {
  /** At most one such message to the person in this long (the auto-reply's AUTO_REPLY_ONCE_PER_HOURS), `now` by the caller's clock. */
  oncePer?: { ms: number; now: Date };
};

/**
 * The one way to queue a message to a person outside a campaign run (an
 * opt-out's confirmation, an operator's reply, an auto-reply to be retried):
 * it is stored due now and sent through the paced, consent-checked send path,
 * by whichever process is up. Pass the transaction the message belongs with
 * (an opt-out's confirmation is queued in the opt-out's). Consent is checked
 * again right before the send: every kind but opt_out_confirmation is skipped
 * for a person opted out by then. Returns the message's id, or null when the
 * confirmation of that opt-out reply was queued already, or when `oncePer`
 * found one queued to the person within that time.
 */
export function enqueueConversationMessage(db: Queryable, m: ConversationMessage): Promise<number | null> {
  const { oncePer, ...message } = m;
  return oncePer ? queueConversationMessageOncePer(db, message, { oncePerMs: oncePer.ms, now: oncePer.now }) : queueConversationMessage(db, message);
}
