import { expect, it } from 'vitest';
import { databaseWithout } from '../helpers/db.ts';

const MIGRATION = '20261201190000_care_retrying';

it('moves care messages waiting for a retry ("failed" with a lease deadline) to retrying, and nothing else', async () => {
  // The later one (#13, one sender) takes every row out of retrying again: this test stops before it.
  // This migration rebuilds message_status, so later columns of that type (seed_sends.status, #20) must not exist yet either.
  const { client: db, applyIt, close } = await databaseWithout(MIGRATION, { alsoWithout: ['20261202101300_care_one_sender', '20261204102001_seed_delivery'] });
  try {
    const { rows: [contact] } = await db.query<{ id: number }>(`INSERT INTO contacts (phone) VALUES ('+14155550100') RETURNING id`);
    const insert = (kind: string, status: string, retryable: boolean | null, due: boolean) =>
      db.query<{ id: string }>(
        `INSERT INTO outbound_messages (contact_id, kind, to_phone, body, status, error_retryable, lease_expires_at, failed_at)
         VALUES ($1, $2::message_kind, '+14155550100', 'x', $3::message_status, $4, CASE WHEN $5 THEN now() END, CASE WHEN $3 = 'failed' THEN now() END)
         RETURNING id`,
        [contact!.id, kind, status, retryable, due],
      ).then((r) => r.rows[0]!.id);
    const waiting = await insert('auto_reply', 'failed', true, true);
    const failedForGood = await insert('opt_out_confirmation', 'failed', false, false);
    const sent = await insert('auto_reply', 'sent', null, false);

    await applyIt();
    const { rows } = await db.query(`SELECT id, status::text AS status, failed_at IS NOT NULL AS has_failed_at FROM outbound_messages ORDER BY id`);
    expect(rows).toEqual([
      { id: waiting, status: 'retrying', has_failed_at: false },
      { id: failedForGood, status: 'failed', has_failed_at: true },
      { id: sent, status: 'sent', has_failed_at: false },
    ]);
  } finally {
    await close();
  }
});
