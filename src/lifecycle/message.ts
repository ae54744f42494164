import { defineMachine } from './machine.ts';

/**
 * The life of an outbound message (campaign messages and the ones bluecast
 * sends on its own: auto-replies, opt-out confirmations).
 */
export const MessageStatus = {
  queued: 'queued',
  sending: 'sending',
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  failed: 'failed',
  /** The carrier never confirmed a text ("may have delivered"): counted apart, resent only when asked. */
  unconfirmed: 'unconfirmed',
  cancelled: 'cancelled',
  skipped: 'skipped',
  /**
   * Was: a conversation-care message waiting for care's own retry. Care
   * messages are now queued and sent by the dispatcher like any other
   * (migration 20261202101300_care_one_sender re-queued what was left), so no
   * row enters or leaves it; the enum value stays (Postgres cannot drop it).
   */
  retrying: 'retrying',
  /** Not sent by its campaign's send-by deadline: never sent late (src/dispatch/legal.ts). */
  expired: 'expired',
} as const;
export type MessageStatus = (typeof MessageStatus)[keyof typeof MessageStatus];

export const MESSAGE_STATUSES = Object.values(MessageStatus) as readonly MessageStatus[];

/** What a campaign message can be in (the reports count these). */
export const CAMPAIGN_MESSAGE_STATUSES = ['queued', 'sending', 'sent', 'delivered', 'read', 'failed', 'unconfirmed', 'cancelled', 'skipped', 'expired'] as const satisfies readonly MessageStatus[];

/** Statuses a row may be inserted with: by the enqueue (queued, or skipped/failed/expired at once). */
export const INITIAL_MESSAGE_STATUSES = ['queued', 'skipped', 'failed', 'sent', 'expired'] as const satisfies readonly MessageStatus[];

/** Statuses in which a message still counts against the completion of its run. */
export const PENDING_STATUSES = ['queued', 'sending'] as const satisfies readonly MessageStatus[];

/**
 * Keyed by target status: where a message may come from to get there. Webhooks
 * and reconcilers arrive in any order and repeat themselves, so delivery news
 * only moves a message forward (sent < delivered < read), and a later proof of
 * delivery wins over a failure (text.delivery.failed means "may have
 * delivered"; an SMS fallback can deliver after the iMessage attempt failed).
 */
export const messageMachine = defineMachine<MessageStatus>('message', MESSAGE_STATUSES, {
  // A send attempt handed back: retryable refusal, deferral (window, caps,
  // pacing, outage, shutdown), or not found in history after a lost lease
  // (sending); `campaign retry-failed` (failed, never one delivered or read).
  // `retry-failed --include-unconfirmed` (unconfirmed).
  queued: ['sending', 'failed', 'unconfirmed'],
  // The claim.
  sending: ['queued'],
  // Confirmed by the provider or found in its history (sending).
  sent: ['sending'],
  delivered: ['sent', 'failed', 'unconfirmed'],
  read: ['sent', 'delivered', 'failed', 'unconfirmed'],
  // A failure report that only says the carrier never confirmed (sent).
  unconfirmed: ['sent'],
  // Out of attempts or refused for good (sending); a delivery failure (sent).
  failed: ['sending', 'sent'],
  // The campaign's cancel sweeps its queued rows; a row being sent when the
  // campaign was cancelled ends cancelled when it is handed back.
  cancelled: ['queued', 'sending'],
  // The contact opted out: at the claim, or swept by the opt-out (queued); a
  // message claimed but not yet handed off to the provider, swept by the
  // opt-out under the contact's row lock (sending; see db/sql/consent.ts).
  skipped: ['queued', 'sending'],
  // No longer used (see MessageStatus.retrying).
  retrying: [],
  // Past its campaign's send-by deadline when claimed (sending), or when the
  // rules would next allow it (queued: found so by a hold).
  expired: ['queued', 'sending'],
});
