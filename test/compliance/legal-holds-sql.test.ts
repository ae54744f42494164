import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/sql/queryable.ts';
import { closeMessages, expireOverdue, holdMessages, lockContactsForCaps, markCleared, recentSends } from '../../src/db/sql/legal-holds.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ poolSize: 4 });
});
afterAll(async () => {
  await db?.close();
});

const T0 = new Date('2026-03-02T15:00:00Z');

async function seed(name: string, opts: { sendBy?: Date } = {}) {
  const { rows: [c] } = await db.pool.query<{ id: number }>(`INSERT INTO campaigns (name, message, send_by, status) VALUES ($1, 'hi', $2, 'running') RETURNING id`, [name, opts.sendBy ?? null]);
  const { rows: [ct] } = await db.pool.query<{ id: number }>(`INSERT INTO contacts (phone) VALUES ($1) RETURNING id::int AS id`, [`+1305555${String(c!.id).padStart(4, '0')}`]);
  const msg = async (status: string, extra: { sentAt?: Date; cleared?: Date; lease?: string } = {}) =>
    (
      await db.pool.query<{ id: number }>(
        `INSERT INTO outbound_messages (campaign_id, contact_id, to_phone, body, status, sent_at, legal_cleared_at, lease_owner, lease_expires_at)
         VALUES ($1, $2, '+13055550000', 'hi', $3::message_status, $4, $5, $6, CASE WHEN $6::text IS NULL THEN NULL ELSE now() + interval '1 hour' END) RETURNING id::int AS id`,
        [c!.id, ct!.id, status, extra.sentAt ?? null, extra.cleared ?? null, extra.lease ?? null],
      )
    ).rows[0]!.id;
  return { campaignId: c!.id, contactId: ct!.id, msg };
}

describe('legal-holds SQL', () => {
  it('counts sent messages and ones cleared but not yet recorded; not held or queued ones', async () => {
    const s = await seed('caps-count');
    await s.msg('sent', { sentAt: new Date(T0.getTime() - 3_600_000) });
    await s.msg('sending', { cleared: new Date(T0.getTime() - 60_000), lease: 'w1' });
    await s.msg('sending', { lease: 'w2' }); // claimed, not cleared: not counted
    await s.msg('queued');
    await s.msg('sent', { sentAt: new Date(T0.getTime() - 25 * 3_600_000) }); // before the window
    const rows = await recentSends(db.pool, { contactIds: [s.contactId], since: new Date(T0.getTime() - 24 * 3_600_000), exclude: [] });
    expect(rows).toHaveLength(2);
  });

  it('a second worker checking the same person waits for the first one\'s cleared message', async () => {
    const s = await seed('caps-race');
    const a = await s.msg('sending', { lease: 'wa' });
    const order: string[] = [];
    let releaseA!: () => void;
    const aHolds = new Promise<void>((r) => (releaseA = r));
    const first = inTransaction(db.pool, async (tx) => {
      await lockContactsForCaps(tx, [s.contactId]);
      order.push('a locked');
      await markCleared(tx, { workerId: 'wa', now: T0, ids: [a] });
      await aHolds;
      order.push('a commits');
    });
    await new Promise((r) => setTimeout(r, 100));
    const second = inTransaction(db.pool, async (tx) => {
      await lockContactsForCaps(tx, [s.contactId]);
      order.push('b locked');
      return recentSends(tx, { contactIds: [s.contactId], since: new Date(T0.getTime() - 86_400_000), exclude: [] });
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(order).toEqual(['a locked']);
    releaseA();
    await first;
    expect(await second).toHaveLength(1);
    expect(order).toEqual(['a locked', 'a commits', 'b locked']);
  });

  it('holds, closes and expires with the reasons stored', async () => {
    const s = await seed('holds', { sendBy: T0 });
    const held = await s.msg('sending', { lease: 'w' });
    const skipped = await s.msg('sending', { lease: 'w' });
    const overdue = await s.msg('queued');
    const until = new Date(T0.getTime() + 3_600_000);
    expect(await holdMessages(db.pool, { workerId: 'w', now: T0, holds: [{ id: held, at: until, reasons: [{ rule: 'us-fl.hours', jurisdiction: 'US-FL' }] }] })).toBe(1);
    expect(await closeMessages(db.pool, { workerId: 'w', now: T0, closures: [{ id: skipped, status: 'skipped', why: 'capped', reasons: [{ rule: 'us-fl.cap' }] }] })).toEqual({ closed: 1, expired: 0 });
    expect(await expireOverdue(db.pool, T0)).toBe(2); // the overdue one and the one just held
    const { rows } = await db.pool.query(`SELECT id::int AS id, status::text AS status, hold_reasons->0->>'rule' AS rule FROM outbound_messages WHERE id = ANY($1) ORDER BY id`, [[held, skipped, overdue]]);
    expect(rows).toEqual([
      { id: held, status: 'expired', rule: 'campaign.send-by' },
      { id: skipped, status: 'skipped', rule: 'us-fl.cap' },
      { id: overdue, status: 'expired', rule: 'campaign.send-by' },
    ]);
  });
});
