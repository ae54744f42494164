import type { Queryable } from './queryable.ts';

export interface DeliveryTransition {
  /** Which message: the provider's id (webhooks) or ours (the reconciler, which may have no provider id). */
  providerMessageId?: string | null;
  messageId?: number | null;
  to: 'delivered' | 'read' | 'failed' | 'unconfirmed';
  /** States the message may be in for the move to happen (see src/webhooks/delivery-status.ts). */
  from: readonly string[];
  at: Date;
  error?: string | null;
  /** The news came from the SMS/MMS pipeline (text.delivery.*): the message went out as a text. */
  viaText?: boolean;
}

/** A table of sends whose delivery is followed: outbound_messages, or seed_sends (db/sql/seed-delivery.ts). */
export interface DeliveryTable {
  /** Prefix of the prepared statements' names. */
  name: string;
  table: 'outbound_messages' | 'seed_sends';
  /** Where the failure's reason goes. */
  errorColumn: 'last_error' | 'delivery_error';
  /** Columns only this table has, set as part of the same transition. */
  extraSets: string;
}

export const OUTBOUND_DELIVERY: DeliveryTable = {
  name: 'webhooks',
  table: 'outbound_messages',
  errorColumn: 'last_error',
  extraSets: `error_retryable = CASE WHEN $2 IN ('failed', 'unconfirmed') THEN false ELSE error_retryable END,
              fallback_used = fallback_used OR ($6 AND channel IS DISTINCT FROM 'sms' AND channel IS DISTINCT FROM 'mms'),
              updated_at = now(),`,
};

const transitionText = (t: DeliveryTable) => `UPDATE ${t.table}
      SET status = $2::message_status,
          delivered_at = CASE WHEN $2 IN ('delivered', 'read') THEN COALESCE(delivered_at, $3) ELSE delivered_at END,
          read_at = CASE WHEN $2 = 'read' THEN COALESCE(read_at, $3) ELSE read_at END,
          failed_at = CASE WHEN $2 IN ('failed', 'unconfirmed') THEN COALESCE(failed_at, $3) ELSE failed_at END,
          ${t.errorColumn} = CASE WHEN $2 IN ('failed', 'unconfirmed') THEN $4 ELSE ${t.errorColumn} END,
          ${t.extraSets}
          channel = CASE WHEN $6 AND channel IS DISTINCT FROM 'mms' THEN 'sms'::channel ELSE channel END,
          next_poll_at = CASE WHEN $2 IN ('read', 'failed', 'unconfirmed') THEN NULL ELSE next_poll_at END
    WHERE (provider_message_id = $1 OR id = $7)
      AND status = ANY($5::message_status[])
    RETURNING id`;

/**
 * Move one send forward, found by the provider's message id or ours, in
 * `table` (outbound messages by default; seed sends share the statement).
 *
 * Why this shape: a conditional `UPDATE … WHERE status = ANY(allowed)` is the
 * whole transition (never read-then-write), so webhooks and the reconciler can
 * race and repeat without moving a message backwards. Times are only filled
 * once (COALESCE): the first proof wins. A final state ends polling. A text
 * pipeline event on a message sent through iMessage means the SMS fallback
 * carried it.
 */
export async function transitionDelivery(db: Queryable, t: DeliveryTransition, table: DeliveryTable = OUTBOUND_DELIVERY): Promise<boolean> {
  const res = await db.query({
    name: `${table.name}.transition_delivery`,
    text: transitionText(table),
    values: [t.providerMessageId ?? null, t.to, t.at, t.error ?? null, t.from, t.viaText ?? false, t.messageId ?? null],
  });
  return (res.rowCount ?? 0) > 0;
}

/**
 * The current status of a message by provider id, or null when we have none.
 *
 * Why this shape: only read after a transition matched nothing, to tell "news
 * about a message we do not know (yet)" from "old news"; it decides nothing
 * about the state itself.
 */
export async function findStatusByProviderId(db: Queryable, providerMessageId: string): Promise<string | null> {
  const res = await db.query<{ status: string }>({
    name: 'webhooks.status_by_provider_id',
    text: `SELECT status FROM outbound_messages WHERE provider_message_id = $1`,
    values: [providerMessageId],
  });
  return res.rows[0]?.status ?? null;
}

/**
 * Record the line the provider really used (numbers.substitution).
 *
 * Why this shape: from_line is what replies are matched on (a reply arrives on
 * the line that sent), so it must name the substituted line; requested_line
 * keeps what was asked for when the dispatcher had not recorded it.
 */
export async function recordLineSubstitution(
  db: Queryable,
  s: { providerMessageId: string; originalNumber: string; usedNumber: string },
): Promise<boolean> {
  const res = await db.query({
    name: 'webhooks.record_substitution',
    // The message keeps the line it asked for (requested_line: the unavailable
    // one) and records the one used; the contact's sticky line moves to the
    // used one, since the provider will keep the thread there, unless it was
    // already moved elsewhere (only a sticky line still equal to the
    // unavailable one moves). One statement: both or neither.
    text: `WITH m AS (
             UPDATE outbound_messages
                SET from_line = $2, requested_line = COALESCE(requested_line, $3), updated_at = now()
              WHERE provider_message_id = $1
              RETURNING id, contact_id
           ), moved AS (
             UPDATE contacts c SET sticky_line = $2, sticky_line_assigned_at = now()
               FROM m WHERE c.id = m.contact_id AND c.sticky_line = $3
             RETURNING c.id
           )
           SELECT id FROM m`,
    values: [s.providerMessageId, s.usedNumber, s.originalNumber],
  });
  return (res.rowCount ?? 0) > 0;
}

export interface DeliveryReport {
  providerMessageId: string;
  to: 'delivered' | 'failed' | 'unconfirmed';
  at: Date;
  error: string | null;
}

/**
 * Apply many text.delivery.* reports at once (the webhook processor's batches);
 * returns the provider ids whose message moved.
 *
 * Why this shape: at thousands of reports per second one UPDATE per report is
 * a round trip each; here a batch is one statement. It is the same transition
 * as transitionDelivery — the allowed previous states come in as arrays, per
 * target state — and when a batch holds several reports for one message,
 * DISTINCT ON keeps the one that wins anyway (delivered over failed, then the
 * latest), so the outcome does not depend on which row UPDATE … FROM meets first.
 */
export async function transitionDeliveries(
  db: Queryable,
  reports: DeliveryReport[],
  allowed: { delivered: readonly string[]; failed: readonly string[]; unconfirmed: readonly string[] },
): Promise<Set<string>> {
  if (reports.length === 0) return new Set();
  const res = await db.query<{ provider_message_id: string }>({
    name: 'webhooks.transition_deliveries',
    text: `WITH input AS (
             SELECT DISTINCT ON (u.pid) u.pid, u.st, u.at, u.err
               FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[]) AS u(pid, st, at, err)
              ORDER BY u.pid, (u.st = 'delivered') DESC, u.at DESC)
           UPDATE outbound_messages o
              SET status = input.st::message_status,
                  delivered_at = CASE WHEN input.st = 'delivered' THEN COALESCE(o.delivered_at, input.at) ELSE o.delivered_at END,
                  failed_at = CASE WHEN input.st <> 'delivered' THEN COALESCE(o.failed_at, input.at) ELSE o.failed_at END,
                  last_error = CASE WHEN input.st <> 'delivered' THEN input.err ELSE o.last_error END,
                  error_retryable = CASE WHEN input.st <> 'delivered' THEN false ELSE o.error_retryable END,
                  channel = CASE WHEN o.channel IS DISTINCT FROM 'mms' THEN 'sms'::channel ELSE o.channel END,
                  fallback_used = o.fallback_used OR (o.channel IS DISTINCT FROM 'sms' AND o.channel IS DISTINCT FROM 'mms'),
                  next_poll_at = CASE WHEN input.st <> 'delivered' THEN NULL ELSE o.next_poll_at END,
                  updated_at = now()
             FROM input
            WHERE o.provider_message_id = input.pid
              AND ((input.st = 'delivered' AND o.status = ANY($5::message_status[]))
                OR (input.st = 'failed' AND o.status = ANY($6::message_status[]))
                OR (input.st = 'unconfirmed' AND o.status = ANY($7::message_status[])))
           RETURNING o.provider_message_id`,
    values: [
      reports.map((r) => r.providerMessageId),
      reports.map((r) => r.to),
      reports.map((r) => r.at),
      reports.map((r) => r.error),
      allowed.delivered,
      allowed.failed,
      allowed.unconfirmed,
    ],
  });
  return new Set(res.rows.map((r) => r.provider_message_id));
}

/**
 * Which of these provider ids we have a message for. Why this shape: after a
 * batched transition, tells "not ours (yet)" from "old news" for all the
 * reports that moved nothing, in one round trip.
 */
export async function knownProviderIds(db: Queryable, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const res = await db.query<{ provider_message_id: string }>({
    name: 'webhooks.known_provider_ids',
    text: `SELECT provider_message_id FROM outbound_messages WHERE provider_message_id = ANY($1::text[])`,
    values: [ids],
  });
  return new Set(res.rows.map((r) => r.provider_message_id));
}
