import { messageMachine } from '../../lifecycle/message.ts';
import type { Queryable } from './queryable.ts';

// An opt-out stops what waits in the queue and what is claimed but not handed off yet.
const QUEUED_TO_SKIPPED = messageMachine.fromOne('skipped', 'queued');
const SENDING_TO_SKIPPED = messageMachine.fromOne('skipped', 'sending');

export type ConsentKind = 'opt_out' | 'opt_in';

/** One contact's consent change: when it was said, and the reply that said it (if any). */
export interface ConsentInput {
  contactId: number;
  at: Date;
  inboundMessageId: number | null;
}

export interface ConsentOutcome {
  contactId: number;
  /** The contact's state before this change. */
  optedOutBefore: boolean;
  /** The change was applied (no newer consent event overrides it). */
  applied: boolean;
  /** Applied and the state flipped: what the one-time confirmation relies on. */
  changed: boolean;
}

/**
 * Lock the contacts whose consent changes, in id order (two imports touching
 * the same numbers never deadlock), and read their state before the change.
 *
 * Why a statement of its own: under READ COMMITTED the next statement of the
 * transaction then reads every consent event committed before the lock was
 * granted, so "is there a newer word from this person" is exact even when two
 * replies of one person are processed at the same moment. The same lock, taken
 * FOR SHARE by the sender's hand-off (hand-off.ts), orders every send against
 * every opt-out.
 */
export async function lockContacts(db: Queryable, contactIds: number[]): Promise<Map<number, boolean>> {
  const { rows } = await db.query<{ id: string; opted_out: boolean }>({
    name: 'consent.lock_contacts',
    text: `SELECT id, opted_out FROM contacts WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE`,
    values: [contactIds],
  });
  return new Map(rows.map((r) => [Number(r.id), r.opted_out]));
}

/**
 * Record consent changes (append-only history), apply those that are the
 * person's last word, and, for an opt-out, stop that contact's campaign
 * messages in the same statement: every queued one, and every one being sent
 * that its sender has not handed off yet, becomes `skipped` (queued → skipped,
 * sending → skipped in lifecycle/message.ts). A message already handed off is on
 * the wire: it is flagged on_wire_at_opt_out so the reports can say so.
 * The flag skips a row its sender is recording as sent at that moment (it
 * holds the row and waits for this contact's lock to set the sticky line:
 * waiting here would deadlock); markSent sets the flag itself then, as any
 * message recorded sent to an opted-out contact was on the wire.
 *
 * Why this shape: one round trip after lockContacts, set-based so that a STOP
 * and a suppression list of 100 000 numbers take the same path. Events can be
 * processed out of order (a retried STOP after a later START): the NOT EXISTS
 * on a newer event keeps the person's last word. The history insert is in the
 * same statement, so its own rows are not seen by that NOT EXISTS (one
 * snapshot). Inputs must name each contact once.
 */
export async function applyConsentChanges(
  db: Queryable,
  p: { kind: ConsentKind; keyword: string; source: string; note: string | null; changes: ConsentInput[] },
): Promise<{ applied: Set<number>; skippedMessages: number }> {
  if (p.changes.length === 0) return { applied: new Set(), skippedMessages: 0 };
  const optOut = p.kind === 'opt_out';
  const { rows } = await db.query<{ applied: string[] | null; skipped: number }>({
    name: 'consent.apply_changes',
    text: `WITH input AS (
             SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::bigint[]) AS u(contact_id, at, inbound_message_id)
           ), history AS (
             INSERT INTO consent_events (contact_id, kind, keyword, source, inbound_message_id, note, at)
             SELECT contact_id, $4::consent_kind, $5, $6, inbound_message_id, $7, at FROM input
           ), changed AS (
             UPDATE contacts k
                SET opted_out = $8,
                    opted_out_at = CASE WHEN $8 AND NOT k.opted_out THEN i.at ELSE k.opted_out_at END,
                    opted_in_at = CASE WHEN NOT $8 AND k.opted_out THEN i.at ELSE k.opted_in_at END
               FROM input i
              WHERE k.id = i.contact_id
                AND NOT EXISTS (SELECT 1 FROM consent_events e WHERE e.contact_id = i.contact_id AND e.at > i.at)
             RETURNING k.id
           ), stopped AS (
             UPDATE outbound_messages m
                SET status = 'skipped', last_error = 'contact opted out', error_retryable = false,
                    -- skipped for consent, not by the legal rules: a legal hold's reasons go (reports count those as the rules')
                    hold_reasons = NULL, not_before = NULL,
                    lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
              WHERE $8 AND m.contact_id IN (SELECT id FROM changed) AND m.kind = 'campaign'
                AND (m.status = $9::message_status OR (m.status = $10::message_status AND m.handed_off_at IS NULL))
             RETURNING m.id
           ), on_wire AS (
             UPDATE outbound_messages m SET on_wire_at_opt_out = true
              WHERE m.id IN (SELECT w.id FROM outbound_messages w
                              WHERE $8 AND w.contact_id IN (SELECT id FROM changed) AND w.kind = 'campaign'
                                AND w.status = 'sending' AND w.handed_off_at IS NOT NULL
                                FOR UPDATE SKIP LOCKED)
           )
           SELECT (SELECT array_agg(id) FROM changed)::text[] AS applied,
                  (SELECT count(*) FROM stopped)::int AS skipped`,
    values: [
      p.changes.map((c) => c.contactId),
      p.changes.map((c) => c.at),
      p.changes.map((c) => c.inboundMessageId),
      p.kind,
      p.keyword,
      p.source,
      p.note,
      optOut,
      QUEUED_TO_SKIPPED,
      SENDING_TO_SKIPPED,
    ],
  });
  const row = rows[0];
  return { applied: new Set((row?.applied ?? []).map(Number)), skippedMessages: row?.skipped ?? 0 };
}

/**
 * The contacts of these numbers, created when missing (a suppression list or
 * a manual opt-out names people we may never have written to). Why this
 * shape: one statement per chunk; ON CONFLICT DO UPDATE (a no-op write) so
 * RETURNING yields existing rows too.
 */
export async function upsertContacts(db: Queryable, phones: string[]): Promise<Map<string, number>> {
  if (phones.length === 0) return new Map();
  const { rows } = await db.query<{ id: string; phone: string }>({
    name: 'consent.upsert_contacts',
    text: `INSERT INTO contacts (phone) SELECT DISTINCT unnest($1::text[]) ORDER BY 1
           ON CONFLICT (phone) DO UPDATE SET phone = EXCLUDED.phone
           RETURNING id, phone`,
    values: [phones],
  });
  return new Map(rows.map((r) => [r.phone, Number(r.id)]));
}

export interface ConsentRecord {
  id: string;
  phone: string;
  /** The contact's state now. */
  state: 'opted_out' | 'opted_in';
  kind: ConsentKind;
  at: Date;
  keyword: string | null;
  source: string;
  note: string | null;
  message: string | null;
}

/**
 * One page of the consent history, oldest first, with the reply that caused
 * each change. Why this shape: keyset pagination on the primary key, so an
 * export of millions of events streams in constant memory.
 */
export async function consentHistoryPage(db: Queryable, p: { afterId: string; limit: number }): Promise<ConsentRecord[]> {
  const { rows } = await db.query<ConsentRecord>({
    name: 'consent.history_page',
    text: `SELECT e.id::text AS id, k.phone, CASE WHEN k.opted_out THEN 'opted_out' ELSE 'opted_in' END AS state,
                  e.kind::text AS kind, e.at, e.keyword, e.source, e.note, i.body AS message
             FROM consent_events e
             JOIN contacts k ON k.id = e.contact_id
             LEFT JOIN inbound_messages i ON i.id = e.inbound_message_id
            WHERE e.id > $1::bigint
            ORDER BY e.id
            LIMIT $2`,
    values: [p.afterId, p.limit],
  });
  return rows;
}
