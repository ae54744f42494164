import type { Queryable } from './queryable.ts';

export interface PreviewRow {
  phone: string;
  id: string;
  variables: Record<string, unknown>;
  opted_out: boolean;
}

/** The named recipients' rows for the plan's preview (the unique (campaign_id, phone) index). */
export async function previewRecipients(db: Queryable, p: { campaignId: number; phones: string[] }): Promise<PreviewRow[]> {
  const { rows } = await db.query<PreviewRow>(
    `SELECT r.phone, r.id::text AS id, r.variables, coalesce(ct.opted_out, false) AS opted_out
       FROM campaign_recipients r LEFT JOIN contacts ct ON ct.phone = r.phone
      WHERE r.campaign_id = $1 AND r.phone = ANY($2::text[])`,
    [p.campaignId, p.phones],
  );
  return rows;
}

/**
 * The id the next campaign_runs row would get: the sequence read without
 * nextval (a preview must not consume ids). Another campaign's run created
 * first takes it; the preview says so.
 */
export async function nextRunId(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ next: string }>(
    `SELECT (CASE WHEN s.is_called THEN s.last_value + 1 ELSE s.last_value END)::text AS next
       FROM (SELECT last_value, is_called FROM campaign_runs_id_seq) s`,
  );
  return Number(rows[0]!.next);
}

/** The first `limit` recipients by id (the import's order): the default rows of a seed send. */
export async function firstRecipients(db: Queryable, p: { campaignId: number; limit: number }): Promise<PreviewRow[]> {
  const { rows } = await db.query<PreviewRow>(
    `SELECT r.phone, r.id::text AS id, r.variables, false AS opted_out
       FROM campaign_recipients r WHERE r.campaign_id = $1 ORDER BY r.id LIMIT $2`,
    [p.campaignId, p.limit],
  );
  return rows;
}

/** Seed phones whose contact has opted out: nothing is sent to them. */
export async function optedOutPhones(db: Queryable, phones: string[]): Promise<Set<string>> {
  const { rows } = await db.query<{ phone: string }>(`SELECT phone FROM contacts WHERE phone = ANY($1::text[]) AND opted_out`, [phones]);
  return new Set(rows.map((r) => r.phone));
}

/** One seed send, in its own table (never outbound_messages: reports and the dispatcher must not see it). */
export async function insertSeedSend(
  db: Queryable,
  s: { campaignId: number; recipientId: string; toPhone: string; fromLine: string | null; body: string; variantIndex: number; providerMessageId: string | null; error: string | null },
): Promise<void> {
  await db.query(
    // Refused by the provider: it never went out (failed); else sent, and the delivery reconciler follows it.
    `INSERT INTO seed_sends (campaign_id, recipient_id, to_phone, from_line, body, variant_index, provider_message_id, error, status)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $7::text IS NULL THEN 'failed' ELSE 'sent' END::message_status)`,
    [s.campaignId, s.recipientId, s.toPhone, s.fromLine, s.body, s.variantIndex, s.providerMessageId, s.error],
  );
}
