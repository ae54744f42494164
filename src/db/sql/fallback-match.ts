import type { Queryable } from './queryable.ts';

/**
 * How far before its carrier receipt an SMS fallback may have been sent. The
 * fallback goes out after the iMessage attempt fails (seconds to minutes) and
 * carriers may confirm hours later; a day bounds the search without missing
 * late receipts. Five minutes after covers clock skew between us and the provider.
 */
export const FALLBACK_MATCH_WINDOW = { beforeSeconds: 24 * 3600, afterSeconds: 300 } as const;

/**
 * The one send an SMS delivery report is about when the fallback SMS carries
 * an id of its own (the contract does not say it keeps the iMessage's): a
 * campaign message or a seed send (`plan --seed`, which carry the campaign's
 * fallback) to the same recipient, sent on the reported line (the line used,
 * the line asked for, or the campaign's fallback line), within the window
 * before the report, with a fallback requested and in a state the report may
 * move. Null unless exactly one send fits across both tables: two candidates
 * are ambiguous, and guessing would put news on the wrong one (a seed to a
 * number that is also a recipient on the line is never booked on either).
 *
 * Why this shape: one UNION ALL with LIMIT 2 tells "one" from "several" over
 * both tables in one round trip; it only runs for reports whose id we do not
 * know, so no index is added.
 */
export async function findFallbackSend(
  db: Queryable,
  r: { to: string; line: string; at: Date; allowed: readonly string[] },
): Promise<{ table: 'outbound_messages' | 'seed_sends'; id: number } | null> {
  const res = await db.query<{ table: 'outbound_messages' | 'seed_sends'; id: number }>({
    name: 'webhooks.find_fallback_send',
    text: `SELECT 'outbound_messages' AS "table", o.id::int AS id
             FROM outbound_messages o
             LEFT JOIN campaigns c ON c.id = o.campaign_id
            WHERE o.to_phone = $1
              AND (o.from_line = $2 OR o.requested_line = $2 OR c.fallback_from = $2)
              AND (o.channel IS NULL OR o.channel = 'imessage')
              AND cardinality(COALESCE(c.fallback_when, '{}'::text[])) > 0
              AND o.sent_at BETWEEN $3::timestamptz - make_interval(secs => $5::float8)
                                AND $3::timestamptz + make_interval(secs => $6::float8)
              AND o.status = ANY($4::message_status[])
           UNION ALL
           SELECT 'seed_sends', s.id::int
             FROM seed_sends s
             JOIN campaigns c ON c.id = s.campaign_id
            WHERE s.to_phone = $1
              AND (s.from_line = $2 OR c.fallback_from = $2)
              AND (s.channel IS NULL OR s.channel = 'imessage')
              AND cardinality(COALESCE(c.fallback_when, '{}'::text[])) > 0
              AND s.sent_at BETWEEN $3::timestamptz - make_interval(secs => $5::float8)
                                AND $3::timestamptz + make_interval(secs => $6::float8)
              AND s.status = ANY($4::message_status[])
            LIMIT 2`,
    values: [r.to, r.line, r.at, r.allowed, FALLBACK_MATCH_WINDOW.beforeSeconds, FALLBACK_MATCH_WINDOW.afterSeconds],
  });
  return res.rows.length === 1 ? res.rows[0]! : null;
}
