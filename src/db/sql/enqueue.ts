import type { Queryable } from './queryable.ts';

export interface RecipientRow {
  id: number;
  contact_id: number;
  phone: string;
  variables: Record<string, unknown>;
  timezone: string | null;
  opted_out: boolean;
}

/**
 * One chunk of a campaign's audience in id order (keyset pagination: each chunk
 * costs the same however far in we are), with each number's contact and its
 * opt-out state, so that opted-out recipients are recorded as skipped rather
 * than left out. Numbers written to for the first time get their contact here
 * (imports do not create contacts); the CTE's new rows are not visible to the
 * outer scan of contacts, hence the coalesce over both.
 */
export async function readRecipientChunk(db: Queryable, campaignId: number, afterId: number, limit: number): Promise<RecipientRow[]> {
  for (;;) {
    const rows = await readChunkOnce(db, campaignId, afterId, limit);
    // A contact committed by another transaction after this statement's
    // snapshot was taken is neither created nor seen: read again, with a
    // newer snapshot (READ COMMITTED), which sees it.
    if (rows.every((r) => r.contact_id !== null)) return rows;
  }
}

async function readChunkOnce(db: Queryable, campaignId: number, afterId: number, limit: number): Promise<RecipientRow[]> {
  const { rows } = await db.query<RecipientRow>(
    `WITH chunk AS (
       SELECT r.id, r.phone, r.variables, r.timezone FROM campaign_recipients r
        WHERE r.campaign_id = $1 AND r.id > $2
        ORDER BY r.id
        LIMIT $3
     ), created AS (
       INSERT INTO contacts (phone)
       SELECT phone FROM chunk ORDER BY phone
       ON CONFLICT (phone) DO NOTHING
       RETURNING id, phone, opted_out
     )
     SELECT ch.id, coalesce(n.id, c.id) AS contact_id, ch.phone, ch.variables, ch.timezone,
            coalesce(n.opted_out, c.opted_out) AS opted_out
       FROM chunk ch
       LEFT JOIN created n ON n.phone = ch.phone
       LEFT JOIN contacts c ON c.phone = ch.phone
      ORDER BY ch.id`,
    [campaignId, afterId, limit],
  );
  return rows;
}

export interface NewMessage {
  recipientId: number;
  contactId: number;
  toPhone: string;
  body: string;
  variantIndex: number | null;
  status: 'queued' | 'skipped' | 'failed';
  nextAttemptAt: Date;
  lastError: string | null;
}

/**
 * Insert a chunk of messages in one statement: parallel arrays through unnest
 * keep it one round trip and one plan for any chunk size. The unique
 * (run_id, recipient_id) makes a repeated enqueue a no-op, so a retried chunk
 * can never give a recipient two messages.
 */
export async function insertRunMessages(db: Queryable, p: { campaignId: number; runId: number; now: Date; messages: NewMessage[] }): Promise<number> {
  if (p.messages.length === 0) return 0;
  const m = p.messages;
  const { rowCount } = await db.query(
    `INSERT INTO outbound_messages
            (campaign_id, run_id, recipient_id, contact_id, to_phone, body, variant_index, status,
             next_attempt_at, last_error, queued_at, cancelled_at, failed_at, updated_at)
     SELECT $1, $2, u.recipient_id, u.contact_id, u.to_phone, u.body, u.variant_index, u.status::message_status,
            u.next_attempt_at, u.last_error, $3, NULL, CASE WHEN u.status = 'failed' THEN $3::timestamptz END, $3
       FROM unnest($4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::int[], $9::text[], $10::timestamptz[], $11::text[])
            AS u(recipient_id, contact_id, to_phone, body, variant_index, status, next_attempt_at, last_error)
     ON CONFLICT (run_id, recipient_id) DO NOTHING`,
    [
      p.campaignId,
      p.runId,
      p.now,
      m.map((x) => x.recipientId),
      m.map((x) => x.contactId),
      m.map((x) => x.toPhone),
      m.map((x) => x.body),
      m.map((x) => x.variantIndex),
      m.map((x) => x.status),
      m.map((x) => x.nextAttemptAt),
      m.map((x) => x.lastError),
    ],
  );
  return rowCount ?? 0;
}
