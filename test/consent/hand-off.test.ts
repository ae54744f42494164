import { beforeAll, describe, expect, it } from 'vitest';
import { changeConsent } from '../../src/consent/change.ts';
import { handOff as handOffMany } from '../../src/db/sql/hand-off.ts';
import type { Queryable } from '../../src/db/sql/queryable.ts';
import { markSent } from '../../src/db/sql/message-results.ts';
import { inTransaction } from '../../src/db/sql/queryable.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedCampaign, seedMessage, seedRecipient, seedRun } from '../webhooks/helpers.ts';

/** The hand-off and opt-out statements against each other, step by step. */
describe('consent: the hand-off against an opt-out', () => {
  let db: TestDatabase;
  let n = 0;
  beforeAll(async () => {
    db = await createTestDatabase();
  });

  /** A message claimed by worker w1 (sending, its lease). */
  async function claimed(): Promise<{ id: number; contactId: number }> {
    const phone = `+1650555${String(900 + ++n).padStart(4, '0')}`;
    const campaignId = await seedCampaign(db.pool);
    const run = await seedRun(db.pool, campaignId);
    const r = await seedRecipient(db.pool, campaignId, phone);
    const id = await seedMessage(db.pool, { campaignId, runId: run, ...r, to: phone, status: 'queued' });
    await db.pool.query(`UPDATE outbound_messages SET status = 'sending', lease_owner = 'w1', lease_expires_at = now() + interval '1 minute', attempts = 1 WHERE id = $1`, [id]);
    return { id, contactId: r.contactId };
  }
  const optOut = (contactId: number) =>
    inTransaction(db.pool, (tx) => changeConsent(tx, { kind: 'opt_out', keyword: 'STOP', source: 'test', note: null, changes: [{ contactId, at: new Date(), inboundMessageId: null }] }));
  const handOff = async (db: Queryable, p: { workerId: string; id: number; now: Date }) => (await handOffMany(db, { workerId: p.workerId, ids: [p.id], now: p.now })).has(p.id);
  const row = async (id: number) => (await db.pool.query('SELECT status, on_wire_at_opt_out, lease_owner FROM outbound_messages WHERE id = $1', [id])).rows[0];

  it('claimed but not handed off: the opt-out skips it and the hand-off then refuses (no provider call)', async () => {
    const m = await claimed();
    expect((await optOut(m.contactId)).skippedMessages).toBe(1);
    expect(await row(m.id)).toEqual({ status: 'skipped', on_wire_at_opt_out: false, lease_owner: null });
    expect(await handOff(db.pool, { workerId: 'w1', id: m.id, now: new Date() })).toBe(false);
  });

  it('handed off before the opt-out: it is on the wire, flagged, and its send is recorded', async () => {
    const m = await claimed();
    expect(await handOff(db.pool, { workerId: 'w1', id: m.id, now: new Date() })).toBe(true);
    expect((await optOut(m.contactId)).skippedMessages).toBe(0);
    expect(await row(m.id)).toEqual({ status: 'sending', on_wire_at_opt_out: true, lease_owner: 'w1' });
    expect(await markSent(db.pool, { workerId: 'w1', now: new Date(), results: [{ id: m.id, providerMessageId: `imsg_wire_${m.id}`, fromLine: null, channel: 'imessage' }] })).toBe(1);
    expect(await row(m.id)).toMatchObject({ status: 'sent', on_wire_at_opt_out: true });
  });

  it('a hand-off during an opt-out waits for it, then refuses', async () => {
    const m = await claimed();
    const tx = await db.pool.connect();
    try {
      await tx.query('BEGIN');
      const r = changeConsent(tx, { kind: 'opt_out', keyword: 'STOP', source: 'test', note: null, changes: [{ contactId: m.contactId, at: new Date(), inboundMessageId: null }] });
      await r;
      let settled = false;
      const attempt = handOff(db.pool, { workerId: 'w1', id: m.id, now: new Date() }).then((ok) => ((settled = true), ok));
      await new Promise((res) => setTimeout(res, 300));
      expect(settled, 'the hand-off waits for the opt-out to commit').toBe(false);
      await tx.query('COMMIT');
      expect(await attempt).toBe(false);
    } finally {
      tx.release();
    }
    expect((await row(m.id)).status).toBe('skipped');
  });

  it('an opt-out during a hand-off (its lock held) waits, then sees the message on the wire', async () => {
    const m = await claimed();
    const tx = await db.pool.connect();
    try {
      await tx.query('BEGIN');
      expect(await handOff(tx, { workerId: 'w1', id: m.id, now: new Date() })).toBe(true);
      let settled = false;
      const stop = optOut(m.contactId).then((r) => ((settled = true), r));
      await new Promise((res) => setTimeout(res, 300));
      expect(settled, 'the opt-out waits for the hand-off').toBe(false);
      await tx.query('COMMIT');
      expect((await stop).skippedMessages).toBe(0);
    } finally {
      tx.release();
    }
    expect(await row(m.id)).toMatchObject({ status: 'sending', on_wire_at_opt_out: true });
  });
  it('several hand-offs in one statement: each decided for its own contact and lease', async () => {
    const [a, b, c] = [await claimed(), await claimed(), await claimed()];
    await optOut(b.contactId);
    const ok = await handOffMany(db.pool, { workerId: 'w1', ids: [a.id, b.id, c.id], now: new Date() });
    expect([...ok].sort()).toEqual([a.id, c.id].sort());
    expect((await handOffMany(db.pool, { workerId: 'someone-else', ids: [a.id], now: new Date() })).size).toBe(0);
  });
  it('an opt-out does not wait for a sender recording its send (no deadlock); the send, recorded after, is flagged on the wire', async () => {
    const m = await claimed();
    expect(await handOff(db.pool, { workerId: 'w1', id: m.id, now: new Date() })).toBe(true);
    const sender = await db.pool.connect();
    try {
      // The sender holds the message row, as markSent does while it waits for the contact (sticky line).
      await sender.query('BEGIN');
      await sender.query('SELECT id FROM outbound_messages WHERE id = $1 FOR UPDATE', [m.id]);
      const r = await Promise.race([optOut(m.contactId), new Promise<'blocked'>((res) => setTimeout(() => res('blocked'), 2_000))]);
      expect(r).not.toBe('blocked');
      await sender.query('ROLLBACK');
    } finally {
      sender.release();
    }
    expect(await markSent(db.pool, { workerId: 'w1', now: new Date(), results: [{ id: m.id, providerMessageId: `imsg_wire_${m.id}`, fromLine: null, channel: 'imessage' }] })).toBe(1);
    expect(await row(m.id)).toMatchObject({ status: 'sent', on_wire_at_opt_out: true });
  });
});
