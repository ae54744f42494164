import { messageMachine } from '../../lifecycle/message.ts';
import type { Queryable } from './queryable.ts';

/** A claimed message its recipient's law does not allow now: back to queued until `at`. */
export interface LegalHold {
  id: number;
  at: Date;
  reasons: { rule: string; jurisdiction: string; until: string | null }[];
}

const RELEASABLE = messageMachine.from(['queued'], ['sending']);

/**
 * Release held rows in one statement (unnest of ids, instants and reasons):
 * queued again, the attempt the claim counted given back, the lease dropped,
 * and not_before / next_attempt_at set to when the rules next allow it, so no
 * claim picks it up before then. Only rows still leased by this worker.
 */
export async function holdMessages(db: Queryable, p: { workerId: string; now: Date; holds: LegalHold[] }): Promise<number> {
  if (p.holds.length === 0) return 0;
  const { rowCount } = await db.query({
    name: 'dispatch.legal_hold',
    text: `UPDATE outbound_messages m
        SET status = 'queued'::message_status, not_before = h.at, next_attempt_at = h.at,
            hold_reasons = h.reasons, attempts = greatest(m.attempts - 1, 0),
            lease_owner = NULL, lease_expires_at = NULL, updated_at = $2
       FROM unnest($3::bigint[], $4::timestamptz[], $5::jsonb[]) AS h(id, at, reasons)
      WHERE m.id = h.id AND m.status = ANY($6::message_status[]) AND m.lease_owner = $1`,
    values: [p.workerId, p.now, p.holds.map((h) => h.id), p.holds.map((h) => h.at), p.holds.map((h) => JSON.stringify(h.reasons)), RELEASABLE],
  });
  return rowCount ?? 0;
}
