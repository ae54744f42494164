/**
 * The life of an outbound message. Every status change the dispatcher makes is
 * a conditional UPDATE whose WHERE clause matches an edge of this map (and,
 * for a message being sent, the lease owner), never a read-then-write.
 */
export const MessageStatus = {
  queued: 'queued',
  sending: 'sending',
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  failed: 'failed',
  unconfirmed: 'unconfirmed',
  cancelled: 'cancelled',
  skipped: 'skipped',
} as const;
export type MessageStatus = (typeof MessageStatus)[keyof typeof MessageStatus];

export const messageTransitions: Readonly<Record<MessageStatus, readonly MessageStatus[]>> = {
  // claim → sending (or skipped when the contact opted out); cancel → cancelled
  queued: ['sending', 'skipped', 'cancelled'],
  // confirmed → sent; retryable/deferred/released/not found in history → queued;
  // out of attempts or permanent → failed; (the lease is the owner's right to decide)
  // the contact opted out before the sender handed it off → skipped (opt-out
  // processing, under the contact's row lock; see db/sql/consent.ts)
  sending: ['sent', 'queued', 'failed', 'skipped'],
  // delivery reports and the delivery reconciler
  sent: ['delivered', 'read', 'failed', 'unconfirmed'],
  delivered: ['read'],
  read: [],
  // `campaign retry-failed` (never for a message delivered or read)
  failed: ['queued'],
  // the carrier never confirmed a text ("may have delivered"): later proof of
  // delivery wins; retry-failed re-queues it only with --include-unconfirmed
  unconfirmed: ['delivered', 'read', 'queued'],
  cancelled: [],
  skipped: [],
};

/** Statuses in which a message still counts against the completion of its run. */
export const PENDING_STATUSES: readonly MessageStatus[] = ['queued', 'sending'];

export function canTransition(from: MessageStatus, to: MessageStatus): boolean {
  return messageTransitions[from].includes(to);
}
