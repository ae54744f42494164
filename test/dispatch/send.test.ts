import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSharedPacer } from '../../src/dispatch/pacing.ts';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { messageStatuses, phone, providerClient, seedCampaign, testWorker } from './fixtures.ts';

describe('dispatch: one run end to end against the simulator', () => {
  let db: TestDatabase;
  let sim: SimulatorHandle;
  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 8 });
    sim = await startSimulator({ pacing: false, imessageRatio: 1, seed: 7 });
  });
  afterAll(() => sim?.stop());

  it('sends one message per eligible recipient, records it, completes the run and the campaign', async () => {
    const phones = Array.from({ length: 40 }, (_, i) => phone(i, '415'));
    await db.pool.query(`INSERT INTO contacts (phone, opted_out, opted_out_at) VALUES ($1, true, now())`, [phones[3]]);
    const c = await seedCampaign(db.pool, { phones, scheduleAt: new Date(Date.now() - 1000) });
    const worker = testWorker(db.pool, providerClient(sim));
    const summary = await worker.runOnce();

    expect(summary).toMatchObject({ runsCreated: 1, runsStarted: 1, sent: 39, failed: 0, runsCompleted: 1 });
    expect(await messageStatuses(db.pool, c.id)).toEqual({ sent: 39, skipped: 1 });
    const sent = sim.sent().filter((s) => phones.includes(s.to));
    expect(sent).toHaveLength(39);
    expect(new Set(sent.map((s) => s.to)).size).toBe(39);
    expect(sent.map((s) => s.to)).not.toContain(phones[3]);

    const { rows } = await db.pool.query(
      `SELECT m.to_phone, m.body, m.provider_message_id, m.from_line, m.requested_line, m.channel, m.sent_at, m.attempts, ct.sticky_line
         FROM outbound_messages m JOIN contacts ct ON ct.id = m.contact_id WHERE m.campaign_id = $1 AND m.status = 'sent'`,
      [c.id],
    );
    // The import left no contacts; enqueueing the run created one per number,
    // and kept the opted-out one it found.
    const contacts = await db.pool.query(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE m.contact_id = ct.id)::int AS linked
         FROM outbound_messages m JOIN contacts ct ON ct.phone = m.to_phone WHERE m.campaign_id = $1`,
      [c.id],
    );
    expect(contacts.rows[0]).toEqual({ n: 40, linked: 40 });
    const byTo = new Map(sent.map((s) => [s.to, s]));
    for (const r of rows) {
      const s = byTo.get(r.to_phone)!;
      expect(r.provider_message_id).toBe(s.id);
      expect(r.body).toBe(s.body);
      expect(r.body).toMatch(/^Hi P\d{4}, (see you|hope to see you) at the fair!$/);
      expect(r.from_line).toBe(s.from);
      expect(r.requested_line).toBe(s.from);
      expect(r.sticky_line).toBe(s.from);
      expect(r.channel).toBe('imessage');
      expect(r.attempts).toBe(1);
      expect(r.sent_at).toBeInstanceOf(Date);
    }
    // New contacts spread over the pool.
    expect(new Set(rows.map((r) => r.from_line)).size).toBe(3);
    const run = await db.pool.query(`SELECT status, enqueued FROM campaign_runs WHERE campaign_id = $1`, [c.id]);
    expect(run.rows).toEqual([{ status: 'completed', enqueued: 40 }]);
    const camp = await db.pool.query(`SELECT status FROM campaigns WHERE id = $1`, [c.id]);
    expect(camp.rows[0].status).toBe('completed');

    // A second pass finds nothing to do: no run twice, no message twice.
    const again = await worker.runOnce();
    expect(again).toMatchObject({ runsCreated: 0, sent: 0 });
    expect(sim.sent().filter((s) => phones.includes(s.to))).toHaveLength(39);
  });

  it('keeps a contact on its sticky line in a later campaign', async () => {
    const phones = [phone(900, '212'), phone(901, '212')];
    await db.pool.query(`INSERT INTO contacts (phone, sticky_line, sticky_line_assigned_at) VALUES ($1, '+14155550102', now())`, [phones[0]]);
    const c = await seedCampaign(db.pool, { phones, senderLines: ['+14155550100'] });
    await testWorker(db.pool, providerClient(sim)).runOnce();
    const sent = sim.sent().filter((s) => phones.includes(s.to));
    expect(Object.fromEntries(sent.map((s) => [s.to, s.from]))).toEqual({ [phones[0]!]: '+14155550102', [phones[1]!]: '+14155550100' });
    expect(await messageStatuses(db.pool, c.id)).toEqual({ sent: 2 });
  });

  it('passes fallback, attachments and fast_track into each send', async () => {
    const phones = [phone(950, '617')];
    const c = await seedCampaign(db.pool, { phones, fastTrack: true, fallbackWhen: ['imessage_unsupported'] });
    await db.pool.query(`UPDATE campaigns SET attachments = ARRAY['https://example.com/flyer.png'], fallback_from = '+14155550199' WHERE id = $1`, [c.id]);
    await testWorker(db.pool, providerClient(sim)).runOnce();
    const [s] = sim.sent().filter((x) => x.to === phones[0]);
    expect(s).toMatchObject({ fast_track: true, attachments: ['https://example.com/flyer.png'] });
    expect(await messageStatuses(db.pool, c.id)).toEqual({ sent: 1 });
  });

  it('feeds a campaign whose concurrency is above half the in-flight budget until every message is out', async () => {
    const phones = Array.from({ length: 60 }, (_, i) => phone(i, '808'));
    const c = await seedCampaign(db.pool, { phones, concurrency: 8 });
    const s = await testWorker(db.pool, providerClient(sim), { options: { maxInFlight: 10, batchSize: 10 } }).runOnce();
    expect(s.sent).toBe(60);
    expect(await messageStatuses(db.pool, c.id)).toEqual({ sent: 60 });
    expect(sim.sent().filter((x) => phones.includes(x.to))).toHaveLength(60);
  });

  it('the shared pacer: of many concurrent takes on a line exactly the burst gets a token; lines are independent', async () => {
    const pacer = createSharedPacer(db.pool);
    const takes = await Promise.all(Array.from({ length: 30 }, (_, i) => pacer.take(i % 2 ? '+14155550901' : '+14155550900', 2, 5)));
    for (const line of [0, 1]) {
      const mine = takes.filter((_, i) => i % 2 === line);
      expect(mine.filter((w) => w === 0)).toHaveLength(5);
      // The others learn when the next token is due: within 1/rate.
      for (const w of mine.filter((x) => x > 0)) expect(w).toBeLessThanOrEqual(500);
    }
  });
});
