import type pg from 'pg';
import type { Queryable } from './queryable.ts';

export interface LineLoad {
  line: string;
  last_hour: number;
  last_day: number;
}

/**
 * New contacts each pool line took on in the last hour and day: contacts whose
 * sticky line was assigned in the window (the (sticky_line,
 * sticky_line_assigned_at) index answers it, one range scan per line for both
 * windows), plus the line's reservations: first-contact messages given the
 * line and not finished, in flight or waiting for a retry or a window, which
 * will become such contacts if they succeed. Counting only those in flight
 * let a retried one go over the cap. Run under the line-assignment lock.
 */
export async function lineNewContactLoad(db: Queryable, p: { lines: string[]; now: Date }): Promise<LineLoad[]> {
  const { rows } = await db.query<LineLoad>({
    name: 'dispatch.line_new_contact_load',
    text: `SELECT p.line, a.last_hour + f.n AS last_hour, a.last_day + f.n AS last_day
       FROM unnest($1::text[]) AS p(line)
       CROSS JOIN LATERAL (
             SELECT count(*) FILTER (WHERE c.sticky_line_assigned_at > $2::timestamptz - interval '1 hour') AS last_hour,
                    count(*) AS last_day
               FROM contacts c
              WHERE c.sticky_line = p.line AND c.sticky_line_assigned_at > $2::timestamptz - interval '1 day') a
       CROSS JOIN LATERAL (
             SELECT count(*) AS n FROM outbound_messages m JOIN contacts c ON c.id = m.contact_id
              WHERE m.status IN ('queued', 'sending') AND m.requested_line = p.line AND c.sticky_line IS NULL) f`,
    values: [p.lines, p.now],
  });
  return rows;
}

// Any constant works as long as every bluecast process uses the same one.
const LINE_ASSIGNMENT_LOCK = 7_264_031_906;

/**
 * Open a transaction and serialise line assignment across workers for the
 * rest of it: counting a line's new contacts and handing it out must be one
 * step, or two workers could both see room for the last slot. BEGIN and the
 * lock go as one simple-protocol round trip (no parameters: the key is a
 * constant), since every worker's assignments queue behind this lock.
 */
export async function beginLineAssignment(db: pg.PoolClient): Promise<void> {
  await db.query(`BEGIN; SELECT pg_advisory_xact_lock(${LINE_ASSIGNMENT_LOCK})`);
}

/**
 * Record the line each claimed message will use, before the send, so that a
 * send interrupted by a crash can be looked up in history(to, from). Many rows
 * in one statement; only rows we still hold.
 */
export async function setRequestedLines(db: Queryable, p: { workerId: string; assignments: { id: number; line: string }[] }): Promise<number> {
  if (p.assignments.length === 0) return 0;
  const { rowCount } = await db.query({
    name: 'dispatch.set_requested_lines',
    text: `UPDATE outbound_messages m SET requested_line = a.line
       FROM unnest($2::bigint[], $3::text[]) AS a(id, line)
      WHERE m.id = a.id AND m.status = 'sending' AND m.lease_owner = $1`,
    values: [p.workerId, p.assignments.map((a) => a.id), p.assignments.map((a) => a.line)],
  });
  return rowCount ?? 0;
}

/**
 * Take one token from a line's shared bucket, or learn how long to wait. One
 * statement: the row lock of FOR UPDATE orders concurrent takers, refill is
 * computed from the database clock (the one clock all workers share), and the
 * bucket row is created full on first use. Returns 0 when a token was taken.
 */
export async function takeLineToken(db: Queryable, p: { line: string; ratePerSecond: number; burst: number }): Promise<number> {
  const { rows } = await db.query<{ wait_ms: number }>({
    name: 'dispatch.take_line_token',
    text: `WITH ensure AS (
       INSERT INTO sender_lines (line, tokens, tokens_updated_at) VALUES ($1, $3, clock_timestamp())
       ON CONFLICT (line) DO NOTHING),
     cur AS (
       SELECT s.line, t.now,
              least($3::float8, s.tokens + $2::float8 * greatest(extract(epoch FROM t.now - s.tokens_updated_at), 0)) AS avail
         FROM sender_lines s, (SELECT clock_timestamp()::timestamptz(3) AS now) t
        WHERE s.line = $1
        FOR UPDATE OF s),
     took AS (
       UPDATE sender_lines s SET tokens = cur.avail - 1, tokens_updated_at = cur.now
         FROM cur WHERE s.line = cur.line AND cur.avail >= 1)
     SELECT CASE WHEN cur.avail >= 1 THEN 0 ELSE ceil((1 - cur.avail) / $2::float8 * 1000)::int END AS wait_ms FROM cur`,
    values: [p.line, p.ratePerSecond, p.burst],
  });
  // No row: the line was created by this very statement (its insert is not
  // visible to the SELECT); ask again, the bucket is full.
  return rows[0]?.wait_ms ?? -1;
}
