import { messageMachine, type MessageStatus } from '../lifecycle/message.ts';

/**
 * Where delivery news (webhooks, the delivery reconciler) may move an outbound
 * message: the message machine's edges into delivered, read and failed,
 * narrowed to what was handed to the provider. A failure report only ends a
 * message that was sent: one still `sending` or `retrying` belongs to its
 * sender, which records its own outcome.
 */
export type DeliveryState = 'delivered' | 'read' | 'failed';

const DELIVERY_FROM: Record<DeliveryState, readonly MessageStatus[]> = {
  delivered: messageMachine.from('delivered'),
  read: messageMachine.from('read'),
  failed: messageMachine.from('failed', ['sent']),
};

export function allowedFrom(to: DeliveryState): readonly MessageStatus[] {
  return DELIVERY_FROM[to];
}
