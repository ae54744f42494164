/**
 * Where delivery news may move an outbound message, in one place. Webhooks and
 * the reconciler arrive in any order and repeat themselves, so a state is only
 * ever moved forward:
 *
 *   sent < delivered < read
 *
 * `failed` ends a message, except that later proof of delivery wins: the
 * provider sends text.delivery.failed when a carrier never confirmed ("may have
 * delivered"), and an SMS fallback can deliver after the iMessage attempt failed.
 * Nothing moves a message that was never handed to the provider (queued,
 * sending, cancelled, skipped): those belong to the dispatcher.
 */
export const DELIVERY_STATES = ['sent', 'delivered', 'read', 'failed', 'unconfirmed'] as const;
export type DeliveryState = Exclude<(typeof DELIVERY_STATES)[number], 'sent'>;

export const DELIVERY_TRANSITIONS: Record<DeliveryState, readonly string[]> = {
  delivered: ['sent', 'failed', 'unconfirmed'],
  read: ['sent', 'delivered', 'failed', 'unconfirmed'],
  failed: ['sent'],
  unconfirmed: ['sent'],
};

/**
 * A failure report that only says the carrier never confirmed: the provider's
 * text ("Carrier never provided delivery confirmation. Your message may have
 * delivered, but Contiguity has no idea if it did.") means the person may have
 * the message. Such a message is `unconfirmed`, not `failed`: counted apart and
 * not resent by retry-failed unless asked. Matched on the wording because the
 * contract gives this case no code of its own.
 */
const UNCONFIRMED = /never provided delivery confirmation|may have (been )?delivered/i;

export function failureOutcome(error: string | null | undefined): 'failed' | 'unconfirmed' {
  return error && UNCONFIRMED.test(error) ? 'unconfirmed' : 'failed';
}

export function allowedFrom(to: DeliveryState): readonly string[] {
  return DELIVERY_TRANSITIONS[to];
}
