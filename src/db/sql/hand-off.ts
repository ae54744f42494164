import type { Queryable } from './queryable.ts';

/**
 * The sender's last step before the provider call: mark the message handed
 * off, only while it is still `sending` under this worker's lease and its
 * contact is not opted out. No row: no network call.
 *
 * Why this shape: the contact row is read FOR SHARE, so this statement waits
 * for an opt-out in progress (which holds the row FOR UPDATE, see consent.ts)
 * and then re-reads opted_out as that opt-out committed it. Either the hand-off
 * commits first, and the opt-out sees the message on the wire (and flags it);
 * or the opt-out commits first, and this finds the contact opted out (and the
 * message already skipped). Nothing in between can send. One statement, one
 * round trip per message; the claim's own opt-out check remains the cheap
 * filter for what is already known.
 */
export async function handOff(db: Queryable, p: { workerId: string; id: number; now: Date }): Promise<boolean> {
  const { rowCount } = await db.query({
    name: 'dispatch.hand_off',
    text: `WITH consenting AS (
             SELECT k.id FROM outbound_messages m JOIN contacts k ON k.id = m.contact_id
              WHERE m.id = $1 AND NOT k.opted_out
                FOR SHARE OF k
           )
           UPDATE outbound_messages m
              SET handed_off_at = $3
             FROM consenting
            WHERE m.id = $1 AND m.contact_id = consenting.id
              AND m.status = 'sending' AND m.lease_owner = $2`,
    values: [p.id, p.workerId, p.now],
  });
  return (rowCount ?? 0) > 0;
}
