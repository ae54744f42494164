import type { Queryable } from './queryable.ts';

export interface WaitingRow {
  rule: string;
  jurisdiction: string;
  messages: number;
  /** The latest instant these messages are held to (when the last of them may go). */
  until: Date | null;
}

/**
 * Queued messages of a campaign held by a legal rule, one row per rule: the
 * hold reasons are unnested from each message's jsonb and counted in the
 * database (a campaign has millions of rows; the report needs a few lines).
 * Only holds still in force at `now` count; one message held by two rules is
 * counted under each.
 */
export async function waitingByReason(db: Queryable, p: { campaignId: number; now: Date }): Promise<WaitingRow[]> {
  const { rows } = await db.query<WaitingRow>(
    `SELECT r->>'rule' AS rule, r->>'jurisdiction' AS jurisdiction, count(*)::int AS messages, max(m.not_before) AS until
       FROM outbound_messages m, jsonb_array_elements(m.hold_reasons) AS r
      WHERE m.campaign_id = $1 AND m.status = 'queued' AND m.not_before > $2 AND m.hold_reasons IS NOT NULL
      GROUP BY 1, 2
      ORDER BY messages DESC, rule`,
    [p.campaignId, p.now],
  );
  return rows;
}
