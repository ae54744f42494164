import { messageMachine } from '../../lifecycle/message.ts';
import type { Queryable } from './queryable.ts';

/** A claimed message the rules hold back: queued again until `at` (or cancelled with its campaign). */
const HELD = messageMachine.from(['queued', 'cancelled'], ['sending']);
/** A claimed message the rules rule out: skipped (capped, onCap "skip"; no allowed time) or expired (send-by). */
const CLOSED = messageMachine.from(['skipped', 'expired'], ['sending']);
/** A queued message whose campaign's send-by deadline has passed. */
const OVERDUE = messageMachine.from('expired', ['queued']);

/** One of a person's messages that caps count. */
export interface RecentSendRow {
  contact_id: number;
  at: Date;
  transactional: boolean;
}

/**
 * Serialise the cap checks of these contacts until the transaction ends:
 * transaction-scoped advisory locks, taken in id order (two workers locking
 * overlapping sets never deadlock). Advisory rather than the contacts' row
 * locks, which the opt-out path takes (db/sql/consent.ts): a cap check must
 * never hold up an opt-out. Key space 19 is bluecast's cap locks.
 */
export async function lockContactsForCaps(db: Queryable, contactIds: number[]): Promise<void> {
  if (contactIds.length === 0) return;
  await db.query(
    `SELECT pg_advisory_xact_lock(19, (k % 2147483647)::int) FROM (SELECT DISTINCT unnest($1::bigint[]) AS k) s ORDER BY k`,
    [contactIds],
  );
}

/**
 * The campaign messages of these contacts that caps count since `since`: sent
 * ones by their send time, and ones a claim has cleared and not yet recorded
 * (by the clearing time), so that a message cleared by one worker counts at
 * once against the same person's next message at another. `exclude`: the
 * batch being checked. Read under lockContactsForCaps; the
 * (contact_id, sent_at) index serves it.
 */
export async function recentSends(db: Queryable, p: { contactIds: number[]; since: Date; exclude: number[] }): Promise<RecentSendRow[]> {
  if (p.contactIds.length === 0) return [];
  const { rows } = await db.query<RecentSendRow>(
    `SELECT m.contact_id::int AS contact_id, COALESCE(m.sent_at, m.legal_cleared_at) AS at, COALESCE(c.transactional, false) AS transactional
       FROM outbound_messages m
       LEFT JOIN campaigns c ON c.id = m.campaign_id
      WHERE m.contact_id = ANY($1::bigint[]) AND m.kind = 'campaign'
        AND (m.sent_at > $2 OR (m.sent_at IS NULL AND m.status = 'sending' AND m.legal_cleared_at > $2))
        AND m.id <> ALL($3::bigint[])`,
    [p.contactIds, p.since, p.exclude],
  );
  return rows;
}

/**
 * Claimed messages the rules allow now: the clearing time counts them for caps
 * until their send is recorded; their hold, if any, is over.
 */
export async function markCleared(db: Queryable, p: { workerId: string; now: Date; ids: number[] }): Promise<number> {
  if (p.ids.length === 0) return 0;
  const { rowCount } = await db.query(
    `UPDATE outbound_messages SET legal_cleared_at = $2, not_before = NULL, hold_reasons = NULL
      WHERE id = ANY($3::bigint[]) AND lease_owner = $1`,
    [p.workerId, p.now, p.ids],
  );
  return rowCount ?? 0;
}

export interface Hold {
  id: number;
  at: Date;
  reasons: unknown[];
}

/**
 * Claimed messages the rules hold back: queued again with not_before and
 * next_attempt_at at the first allowed instant, and why. The attempt the claim
 * counted is given back (a hold is not a try). One statement per batch.
 */
export async function holdMessages(db: Queryable, p: { workerId: string; now: Date; holds: Hold[] }): Promise<number> {
  if (p.holds.length === 0) return 0;
  const { rowCount } = await db.query(
    `UPDATE outbound_messages m
        SET status = CASE WHEN c.status = 'cancelled' THEN 'cancelled'::message_status ELSE 'queued'::message_status END,
            cancelled_at = CASE WHEN c.status = 'cancelled' THEN $2::timestamptz END,
            next_attempt_at = d.at, not_before = d.at, hold_reasons = d.reasons,
            attempts = greatest(m.attempts - 1, 0), lease_owner = NULL, lease_expires_at = NULL, updated_at = $2
       FROM unnest($3::bigint[], $4::timestamptz[], $5::jsonb[]) AS d(id, at, reasons), campaigns c
      WHERE m.id = d.id AND m.status = ANY($6::message_status[]) AND m.lease_owner = $1 AND c.id = m.campaign_id`,
    [p.workerId, p.now, p.holds.map((h) => h.id), p.holds.map((h) => h.at), p.holds.map((h) => JSON.stringify(h.reasons)), HELD],
  );
  return rowCount ?? 0;
}

export interface Closure {
  id: number;
  status: 'skipped' | 'expired';
  /** last_error: the reasons in words. */
  why: string;
  reasons: unknown[];
}

/**
 * Claimed messages the rules rule out for good: skipped or expired, with why.
 * Never sent. Returns how many were expired among those closed (the rest skipped).
 */
export async function closeMessages(db: Queryable, p: { workerId: string; now: Date; closures: Closure[] }): Promise<{ closed: number; expired: number }> {
  if (p.closures.length === 0) return { closed: 0, expired: 0 };
  const { rows } = await db.query<{ status: string }>(
    `UPDATE outbound_messages m
        SET status = CASE WHEN d.status = 'expired' THEN 'expired'::message_status ELSE 'skipped'::message_status END,
            expired_at = CASE WHEN d.status = 'expired' THEN $2::timestamptz END,
            last_error = d.why, hold_reasons = d.reasons, not_before = NULL,
            attempts = greatest(m.attempts - 1, 0), lease_owner = NULL, lease_expires_at = NULL, updated_at = $2
       FROM unnest($3::bigint[], $4::text[], $5::text[], $6::jsonb[]) AS d(id, status, why, reasons)
      WHERE m.id = d.id AND m.status = ANY($7::message_status[]) AND m.lease_owner = $1
     RETURNING m.status::text AS status`,
    [
      p.workerId,
      p.now,
      p.closures.map((c) => c.id),
      p.closures.map((c) => c.status),
      p.closures.map((c) => c.why),
      p.closures.map((c) => JSON.stringify(c.reasons)),
      CLOSED,
    ],
  );
  return { closed: rows.length, expired: rows.filter((r) => r.status === 'expired').length };
}

/**
 * Queued messages of campaigns whose send-by deadline has passed: expired, set
 * based, so the report says so at the deadline rather than when a claim would
 * next reach them (a held message may not be claimable until long after).
 * The campaigns are few: their send_by is read first, then their queued rows
 * by the (campaign_id, status) index.
 */
export async function expireOverdue(db: Queryable, now: Date): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE outbound_messages m
        SET status = 'expired'::message_status, expired_at = $1, not_before = NULL, updated_at = $1,
            last_error = 'not sent by the campaign''s send-by deadline',
            hold_reasons = jsonb_build_array(jsonb_build_object('rule', 'campaign.send-by', 'jurisdiction', 'campaign', 'kind', 'send-by', 'until', NULL))
       FROM campaigns c
      WHERE c.send_by <= $1 AND m.campaign_id = c.id AND m.status = ANY($2::message_status[])`,
    [now, OVERDUE],
  );
  return rowCount ?? 0;
}
