import { messageMachine } from '../../lifecycle/message.ts';
import type { Queryable } from './queryable.ts';

const QUEUED_TO_SKIPPED = messageMachine.from('skipped', ['queued']);

/**
 * Opt a contact out (or back in) everywhere at once, unless a newer consent
 * change is already recorded. Returns whether the contact's state changed.
 *
 * Why this shape: contacts.opted_out is the one flag every send checks at
 * claim time, so one UPDATE covers every campaign. Events can be processed out
 * of order (a retried STOP after a later START): the NOT EXISTS on a newer
 * consent event keeps the person's last word. The CTE reads the previous value
 * under the row lock so "changed" is exact, which the one-time opt-out
 * confirmation relies on.
 */
export async function applyConsent(
  db: Queryable,
  c: { contactId: number; kind: 'opt_out' | 'opt_in'; at: Date },
): Promise<{ changed: boolean; applied: boolean }> {
  const optedOut = c.kind === 'opt_out';
  const res = await db.query<{ changed: boolean }>({
    name: 'webhooks.apply_consent',
    text: `WITH prev AS (SELECT id, opted_out FROM contacts WHERE id = $1 FOR UPDATE)
           UPDATE contacts k
              SET opted_out = $2,
                  opted_out_at = CASE WHEN $2 AND NOT prev.opted_out THEN $3 ELSE k.opted_out_at END,
                  opted_in_at = CASE WHEN NOT $2 AND prev.opted_out THEN $3 ELSE k.opted_in_at END
             FROM prev
            WHERE k.id = prev.id
              AND NOT EXISTS (SELECT 1 FROM consent_events e WHERE e.contact_id = $1 AND e.at > $3)
           RETURNING prev.opted_out <> $2 AS changed`,
    values: [c.contactId, optedOut, c.at],
  });
  const row = res.rows[0];
  return { applied: Boolean(row), changed: row?.changed ?? false };
}

/**
 * Record a consent change with its time and source message. Why this shape:
 * the history is append-only (every STOP/START is kept, also repeated ones) so
 * that "when and why was this person opted out" always has an answer.
 */
export async function insertConsentEvent(
  db: Queryable,
  e: { contactId: number; kind: 'opt_out' | 'opt_in'; keyword: string; source: string; inboundMessageId: number | null; at: Date },
): Promise<void> {
  await db.query({
    name: 'webhooks.insert_consent',
    text: `INSERT INTO consent_events (contact_id, kind, keyword, source, inbound_message_id, at)
           VALUES ($1, $2::consent_kind, $3, $4, $5, $6)`,
    values: [e.contactId, e.kind, e.keyword, e.source, e.inboundMessageId, e.at],
  });
}

/**
 * Skip the contact's campaign messages still waiting to be sent.
 *
 * Why this shape: the dispatcher re-checks opted_out when it claims, which is
 * what guarantees no send after a STOP; this only makes the outcome visible at
 * once (reports show "skipped", not "queued"). queued → skipped is the only
 * transition allowed here; a message being sent is left to the dispatcher.
 */
export async function skipQueuedForContact(db: Queryable, contactId: number): Promise<number> {
  const res = await db.query({
    name: 'webhooks.skip_queued_for_contact',
    text: `UPDATE outbound_messages
              SET status = 'skipped', last_error = 'contact opted out', error_retryable = false, updated_at = now()
            WHERE contact_id = $1 AND status = ANY($2::message_status[]) AND kind = 'campaign'`,
    values: [contactId, QUEUED_TO_SKIPPED],
  });
  return res.rowCount ?? 0;
}
