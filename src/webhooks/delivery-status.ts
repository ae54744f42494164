import { messageMachine, type MessageStatus } from '../lifecycle/message.ts';

/**
 * Where delivery news (webhooks, the delivery reconciler) may move an outbound
 * message: the message machine's edges into delivered, read and failed,
 * narrowed to what was handed to the provider. A failure report only ends a
 * message that was sent: one still `sending` or `retrying` belongs to its
 * sender, which records its own outcome.
 */
export type DeliveryState = 'delivered' | 'read' | 'failed' | 'unconfirmed';

const DELIVERY_FROM: Record<DeliveryState, readonly MessageStatus[]> = {
  delivered: messageMachine.from('delivered'),
  read: messageMachine.from('read'),
  failed: messageMachine.from('failed', ['sent']),
  unconfirmed: messageMachine.from('unconfirmed'),
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

export function allowedFrom(to: DeliveryState): readonly MessageStatus[] {
  return DELIVERY_FROM[to];
}
