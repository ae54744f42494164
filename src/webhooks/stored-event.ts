import type { CareTask } from './care-plan.ts';

/** An event as the processor reads it back from webhook_events. */
export interface StoredEvent {
  id: number;
  providerEventId: string;
  type: string;
  payload: unknown;
  attempts: number;
  /** When bluecast stored it: the fallback time of an event whose own timestamp cannot be right. */
  receivedAt: Date;
}

/**
 * What applying an event came to:
 * - done: its effects are applied (or there is nothing to apply); `note` says
 *   why it was dropped when it was, `care` is work for after the commit;
 * - wait: it cannot be applied yet (a delivery report for a message whose send
 *   the dispatcher has not recorded yet); retried later, dropped with the note
 *   after a few tries.
 */
export type EventOutcome = { kind: 'done'; note?: string; care?: CareTask } | { kind: 'wait'; reason: string };
