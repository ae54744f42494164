import { expect, it } from 'vitest';
import { databaseWithout } from '../helpers/db.ts';

const MIGRATION = '20261202101300_care_one_sender';

it('re-queues the care messages an older version left waiting for a retry, fails the ones held mid-send, and touches nothing else', async () => {
  const { client: db, applyIt, close } = await databaseWithout(MIGRATION);
  try {
    const { rows: [contact] } = await db.query<{ id: number }>(`INSERT INTO contacts (phone) VALUES ('+14155550100') RETURNING id`);
    const insert = (status: string, owner: string | null, dueInSeconds: number | null) =>
      db.query<{ id: string }>(
        `INSERT INTO outbound_messages (contact_id, kind, to_phone, body, status, attempts, error_retryable, lease_owner, lease_expires_at)
         VALUES ($1, 'auto_reply', '+14155550100', 'x', $2::message_status, 1, true, $3, now() + make_interval(secs => $4::float8))
         RETURNING id`,
        [contact!.id, status, owner, dueInSeconds],
      ).then((r) => r.rows[0]!.id);
    const waiting = await insert('retrying', null, 60);
    const held = await insert('retrying', 'care:host:1:abc', 60);
    const sent = await insert('sent', null, null);

    await applyIt();
    const { rows } = await db.query(
      `SELECT id, status::text AS status, attempts, lease_owner, lease_expires_at, next_attempt_at > now() + interval '30 seconds' AS due_later, failed_at IS NOT NULL AS has_failed_at
         FROM outbound_messages ORDER BY id`,
    );
    expect(rows).toEqual([
      { id: waiting, status: 'queued', attempts: 1, lease_owner: null, lease_expires_at: null, due_later: true, has_failed_at: false },
      { id: held, status: 'failed', attempts: 1, lease_owner: null, lease_expires_at: null, due_later: expect.any(Boolean), has_failed_at: true },
      { id: sent, status: 'sent', attempts: 1, lease_owner: null, lease_expires_at: null, due_later: expect.any(Boolean), has_failed_at: false },
    ]);
  } finally {
    await close();
  }
});
