import type { Queryable } from './queryable.ts';

export interface LegalReasonRow {
  /** waiting: queued and held now; skipped: ruled out by a cap; expired: past the send-by deadline. */
  state: 'waiting' | 'skipped' | 'expired';
  rule: string;
  jurisdiction: string;
  messages: number;
  /** For waiting: the latest instant these messages are held to (when the last of them may go); else null. */
  until: Date | null;
}

export type WaitingRow = Omit<LegalReasonRow, 'state'>;

/**
 * A campaign's messages the legal rules hold back or ruled out, one row per
 * state and rule: the reasons are unnested from each message's hold_reasons
 * and counted in the database (a campaign has millions of rows; the report
 * needs a few lines). Waiting counts only holds still in force at `now`; one
 * message held by two rules is counted under each. Skipped messages without
 * reasons are opt-outs (consent), not the rules'. Served by the
 * (campaign_id, status) index.
 */
export async function legalReasonsByRule(db: Queryable, p: { campaignId: number; runId?: number | null; now: Date }): Promise<LegalReasonRow[]> {
  const { rows } = await db.query<LegalReasonRow>(
    `SELECT CASE m.status WHEN 'queued' THEN 'waiting' ELSE m.status::text END AS state,
            r->>'rule' AS rule, r->>'jurisdiction' AS jurisdiction, count(*)::int AS messages,
            CASE WHEN m.status = 'queued' THEN max(m.not_before) END AS until
       FROM outbound_messages m, jsonb_array_elements(m.hold_reasons) AS r
      WHERE m.campaign_id = $1 AND ($3::int IS NULL OR m.run_id = $3) AND m.hold_reasons IS NOT NULL
        AND (m.status IN ('skipped', 'expired') OR (m.status = 'queued' AND m.not_before > $2))
      GROUP BY m.status, 2, 3
      ORDER BY 1 DESC, messages DESC, rule`,
    [p.campaignId, p.now, p.runId ?? null],
  );
  return rows;
}

/** Messages of a campaign that a rule closed (skipped by a cap or expired), each counted once. */
export async function closedByRules(db: Queryable, p: { campaignId: number; runId?: number | null }): Promise<{ skipped: number; expired: number }> {
  const { rows } = await db.query<{ skipped: number; expired: number }>(
    `SELECT count(*) FILTER (WHERE status = 'skipped')::int AS skipped, count(*) FILTER (WHERE status = 'expired')::int AS expired
       FROM outbound_messages
      WHERE campaign_id = $1 AND ($2::int IS NULL OR run_id = $2) AND status IN ('skipped', 'expired') AND hold_reasons IS NOT NULL`,
    [p.campaignId, p.runId ?? null],
  );
  return rows[0] ?? { skipped: 0, expired: 0 };
}
