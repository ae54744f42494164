import type { Queryable } from './queryable.ts';

/**
 * Campaign messages by status over all campaigns, for /metrics. Read from the report
 * rollups (a few rows per campaign, line and status), never from the messages
 * table, so that a scrape costs the same at a million messages as at ten.
 */
export async function messagesByStatus(db: Queryable): Promise<{ status: string; messages: number }[]> {
  const res = await db.query<{ status: string; messages: number }>(
    `SELECT status::text AS status, sum(messages)::int8 AS messages
       FROM report_counts
      GROUP BY status`,
  );
  return res.rows;
}

/**
 * Queued messages whose time has come: the dispatcher's backlog. A range of
 * the (status, next_attempt_at) index the claims use, counted.
 */
export async function dueQueueDepth(db: Queryable): Promise<number> {
  const res = await db.query<{ n: number }>(
    `SELECT count(*)::int8 AS n FROM outbound_messages WHERE status = 'queued' AND next_attempt_at <= now()`,
  );
  return res.rows[0]?.n ?? 0;
}

/**
 * Stored webhook events not processed yet: how many, and how long the oldest
 * has waited (the processing lag). The (processed_at, received_at) index
 * answers both from its NULL end.
 */
export async function webhookBacklog(db: Queryable): Promise<{ events: number; oldestAgeSeconds: number }> {
  const res = await db.query<{ events: number; age: number | null }>(
    `SELECT count(*)::int8 AS events, extract(epoch FROM now() - min(received_at))::float8 AS age
       FROM webhook_events
      WHERE processed_at IS NULL`,
  );
  const row = res.rows[0];
  return { events: row?.events ?? 0, oldestAgeSeconds: Math.max(0, row?.age ?? 0) };
}
