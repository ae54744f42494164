import { legalReasonsByRule, type LegalReasonRow, type WaitingRow } from '../db/sql/report-waiting.ts';
import type { Queryable } from '../db/sql/queryable.ts';

export type { LegalReasonRow, WaitingRow };

/** "Waiting because": the campaign's queued messages held by the law now, counted per rule (see db/sql/report-waiting.ts). */
export async function waitingBecause(db: Queryable, campaignId: number, now: Date = new Date()): Promise<WaitingRow[]> {
  return (await legalReasonsByRule(db, { campaignId, now })).filter((r) => r.state === 'waiting').map(({ state: _s, ...rest }) => rest);
}
