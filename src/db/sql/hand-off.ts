import type { Queryable } from './queryable.ts';

/**
 * The sender's last step before the provider call: mark messages handed off,
 * each only while it is still `sending` under this worker's lease and its
 * contact is not opted out (but for an opt-out's own confirmation). An id not returned: no network call for it.
 *
 * Why this shape: the contact rows are read FOR SHARE, so this statement waits
 * for an opt-out in progress (which holds the row FOR UPDATE, see consent.ts)
 * and then re-reads opted_out as that opt-out committed it. Either the hand-off
 * commits first, and the opt-out sees the message on the wire (and flags it);
 * or the opt-out commits first, and this finds the contact opted out (and the
 * message already skipped). Nothing in between can send. Several messages per
 * statement (the store gathers the hand-offs of one turn, as markSent's
 * confirmations are gathered), their contacts locked in id order so that two
 * such statements, or one and an opt-out of many contacts, never deadlock.
 * The claim's own opt-out check remains the cheap filter for what is known.
 */
export async function handOff(db: Queryable, p: { workerId: string; ids: number[]; now: Date }): Promise<Set<number>> {
  if (p.ids.length === 0) return new Set();
  const { rows } = await db.query<{ id: string }>({
    name: 'dispatch.hand_off',
    text: `WITH consenting AS (
             SELECT m.id FROM outbound_messages m JOIN contacts k ON k.id = m.contact_id
              WHERE m.id = ANY($1::bigint[]) AND (NOT k.opted_out OR m.kind = 'opt_out_confirmation')
              ORDER BY k.id
                FOR SHARE OF k
           )
           UPDATE outbound_messages m
              SET handed_off_at = $3
             FROM consenting
            WHERE m.id = consenting.id
              AND m.status = 'sending' AND m.lease_owner = $2
           RETURNING m.id`,
    values: [p.ids, p.workerId, p.now],
  });
  return new Set(rows.map((r) => Number(r.id)));
}
