import type { MessageStatus } from './world.ts';

/**
 * `get`'s `status`: the contract types it as a string with the example
 * "delivered" and lists no values. 'contract' (default) answers in the
 * history's delivery vocabulary plus the obvious ones (sent, delivered, read,
 * failed, received); 'harsh' answers words we never assumed, so that only the
 * documented timeline events and history fields can move a message on.
 */
export type GetStatusMode = 'contract' | 'harsh';

const HARSH_STATUS: Record<MessageStatus, string> = {
  sent: 'queued_for_delivery',
  delivered: 'sent_to_device',
  read: 'seen',
  failed: 'undeliverable',
  received: 'inbound',
};

export function getStatusValue(mode: GetStatusMode, status: MessageStatus): string {
  return mode === 'harsh' ? HARSH_STATUS[status] : status;
}

/**
 * An entry off the documented history schema (no delivery, no read, a
 * timestamp that is not a number), put first in every history page by the
 * `historyOffSchema` fault: one bad entry must not hide the rest of the thread.
 */
export function offSchemaHistoryEntry(to: string, from: string): Record<string, unknown> {
  return { to, from, message: '(an entry off the schema)', timestamp: 'yesterday', attachments: null };
}
