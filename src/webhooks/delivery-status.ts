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
export const DELIVERY_STATES = ['sent', 'delivered', 'read', 'failed'] as const;
export type DeliveryState = Exclude<(typeof DELIVERY_STATES)[number], 'sent'>;

export const DELIVERY_TRANSITIONS: Record<DeliveryState, readonly string[]> = {
  delivered: ['sent', 'failed'],
  read: ['sent', 'delivered', 'failed'],
  failed: ['sent'],
};

export function allowedFrom(to: DeliveryState): readonly string[] {
  return DELIVERY_TRANSITIONS[to];
}
