import { waitingByReason, type WaitingRow } from '../db/sql/report-waiting.ts';
import type { Queryable } from '../db/sql/queryable.ts';

export type { WaitingRow };

/** "Waiting because": the campaign's queued messages held by the law, counted per rule (see db/sql/report-waiting.ts). */
export function waitingBecause(db: Queryable, campaignId: number, now: Date = new Date()): Promise<WaitingRow[]> {
  return waitingByReason(db, { campaignId, now });
}
