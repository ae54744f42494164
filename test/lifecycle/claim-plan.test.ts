import type pg from 'pg';
import { expect, it } from 'vitest';
import { claimMessages } from '../../src/db/sql/claim-messages.ts';
import type { Queryable } from '../../src/db/sql/queryable.ts';
import { createTestDatabase } from '../helpers/db.ts';

/** Runs nothing: keeps the statement a function would run, to EXPLAIN it. */
function capture(): { db: Queryable; last(): { text: string; values: unknown[] } } {
  let last: { text: string; values: unknown[] } | undefined;
  const db = {
    query(q: string | pg.QueryConfig, values?: unknown[]) {
      last = typeof q === 'string' ? { text: q, values: values ?? [] } : { text: q.text, values: q.values ?? [] };
      return Promise.resolve({ rows: [], rowCount: 0 });
    },
  } as unknown as Queryable;
  return { db, last: () => last! };
}

// The allowed-from sets come from the lifecycle as parameters; for the claims
// the parameter must still let the planner walk the (status, …) index in order
// and stop after LIMIT rows, rather than read and sort every queued row.
it('the claims, with their from-status as a parameter, stay ordered index scans', async () => {
  const db = await createTestDatabase();
  await db.pool.query(`INSERT INTO campaigns (name, message, status, updated_at) VALUES ('c', 'hi', 'running', now())`);
  await db.pool.query(`INSERT INTO contacts (phone) SELECT '+1415' || lpad(g::text, 7, '0') FROM generate_series(1, 20000) g`);
  await db.pool.query(
    `INSERT INTO outbound_messages (campaign_id, contact_id, to_phone, body, status, next_attempt_at)
     SELECT 1, id, phone, 'x', CASE WHEN id % 3 = 0 THEN 'sent' ELSE 'queued' END::message_status, now() - (id || ' seconds')::interval FROM contacts`,
  );
  await db.pool.query('ANALYZE');
  const plan = async (text: string, values: unknown[]) =>
    (await db.pool.query(`EXPLAIN ${text}`, values)).rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');

  const c = capture();
  await claimMessages(c.db, { workerId: 'w', limit: 100, leaseMs: 60_000, now: new Date() });
  const claim = await plan(c.last().text, c.last().values);
  expect(claim).toMatch(/Index Scan using outbound_messages_status_next_attempt_at_idx/);
  expect(claim).not.toMatch(/Sort\b/);
});
