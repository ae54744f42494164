import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimMessages } from '../../src/db/sql/claim-messages.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { applyDeliveryBatch, applyEvent } from '../../src/webhooks/handlers.ts';
import { createEventProcessor } from '../../src/webhooks/processor.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { count, event, incoming, LINE, seedCampaign, seedMessage, seedRecipient, seedRun, startReceiver, type Receiver } from './helpers.ts';
import { eventually } from '../helpers/eventually.ts';

const processedCount = (db: TestDatabase, id: string) =>
  count(db.pool, 'SELECT 1 FROM webhook_events WHERE provider_event_id = $1 AND processed_at IS NOT NULL', [id]);

describe('webhook processing', () => {
  let db: TestDatabase;
  let rx: Receiver;
  /** Post and wait until the processor has committed the event. */
  const deliver = async (ev: { id: string }) => {
    const res = await rx.post(ev);
    expect(res.status).toBe(200);
    await eventually(() => processedCount(db, ev.id), 5_000, `processing of ${ev.id}`);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    rx = await startReceiver(db.pool);
  });
  afterAll(() => rx?.close());

  it('delivery events move a message forward only: delivered, failed with reason, substitution', async () => {
    const campaignId = await seedCampaign(db.pool);
    const a = await seedRecipient(db.pool, campaignId, '+14155550202');
    const b = await seedRecipient(db.pool, campaignId, '+14155550203');
    await seedMessage(db.pool, { campaignId, ...a, to: '+14155550202', providerMessageId: 'imsg_d_1', status: 'read' });
    await seedMessage(db.pool, { campaignId, ...b, to: '+14155550203', providerMessageId: 'text_d_2', from: '+14155550109' });

    // A late "delivered" must not move a read message back.
    await deliver(event('text.delivery.confirmed', { from: LINE, to: '+14155550202', message_id: 'imsg_d_1', timestamp: 1_780_000_000 }));
    expect((await db.pool.query(`SELECT status FROM outbound_messages WHERE provider_message_id = 'imsg_d_1'`)).rows[0]!.status).toBe('read');

    await deliver(event('numbers.substitution', { original_number: '+14155550109', used_number: '+14155550177', reason: 'requested_unavailable_random_used', message_id: 'text_d_2', timestamp: 1_780_000_000 }));
    await deliver(event('text.delivery.failed', { from: '+14155550177', to: '+14155550203', message_id: 'text_d_2', timestamp: 1_780_000_001, error: 'Carrier never provided delivery confirmation.' }));
    let m = (await db.pool.query(`SELECT * FROM outbound_messages WHERE provider_message_id = 'text_d_2'`)).rows[0];
    // "The carrier never confirmed" is not a failure: the person may have it.
    expect(m).toMatchObject({ status: 'unconfirmed', last_error: 'Carrier never provided delivery confirmation.', from_line: '+14155550177', requested_line: '+14155550109', channel: 'sms', fallback_used: true });
    // Later proof of delivery wins over "the carrier never confirmed".
    await deliver(event('text.delivery.confirmed', { from: '+14155550177', to: '+14155550203', message_id: 'text_d_2', timestamp: 1_780_000_002 }));
    m = (await db.pool.query(`SELECT status, delivered_at FROM outbound_messages WHERE provider_message_id = 'text_d_2'`)).rows[0];
    expect(m).toMatchObject({ status: 'delivered', delivered_at: new Date(1_780_000_002_000) });

    // Any other failure report is a failure.
    const c = await seedRecipient(db.pool, campaignId, '+15555550205');
    await seedMessage(db.pool, { campaignId, ...c, to: '+15555550205', providerMessageId: 'text_d_3', from: '+14155550109' });
    await deliver(event('text.delivery.failed', { from: '+14155550109', to: '+15555550205', message_id: 'text_d_3', timestamp: 1_780_000_003, error: 'Number is not reachable' }));
    m = (await db.pool.query(`SELECT status, last_error FROM outbound_messages WHERE provider_message_id = 'text_d_3'`)).rows[0];
    expect(m).toMatchObject({ status: 'failed', last_error: 'Number is not reachable' });
  });

  it('a delivery report for a message not recorded yet waits, then applies once the send is recorded', async () => {
    const ev = event('text.delivery.confirmed', { from: LINE, to: '+14155550204', message_id: 'imsg_late_1', timestamp: 1_780_000_000 });
    expect((await rx.post(ev)).status).toBe(200);
    await eventually(async () => (await db.pool.query('SELECT attempts FROM webhook_events WHERE provider_event_id = $1', [ev.id])).rows[0]?.attempts >= 1, 5_000, 'a first try');
    expect(await processedCount(db, ev.id)).toBe(0);
    const campaignId = await seedCampaign(db.pool);
    const r = await seedRecipient(db.pool, campaignId, '+14155550204');
    await seedMessage(db.pool, { campaignId, ...r, to: '+14155550204', providerMessageId: 'imsg_late_1' });
    await eventually(() => processedCount(db, ev.id), 10_000, 'the retry');
    expect((await db.pool.query(`SELECT status FROM outbound_messages WHERE provider_message_id = 'imsg_late_1'`)).rows[0]!.status).toBe('delivered');
  });

  it('a reply is stored with attachments and linked to the latest message on the same thread', async () => {
    const person = '+14155550205';
    const older = await seedCampaign(db.pool);
    const newer = await seedCampaign(db.pool);
    const other = await seedCampaign(db.pool);
    const o = await seedRecipient(db.pool, older, person);
    const n = await seedRecipient(db.pool, newer, person);
    const x = await seedRecipient(db.pool, other, person);
    await seedMessage(db.pool, { campaignId: older, ...o, to: person, sentAt: new Date(Date.now() - 86_400_000) });
    const latest = await seedMessage(db.pool, { campaignId: newer, ...n, to: person, sentAt: new Date(Date.now() - 3_600_000) });
    // Most recent of all, but from another line: a different thread.
    await seedMessage(db.pool, { campaignId: other, ...x, to: person, from: '+14155550155', sentAt: new Date() });

    const ev = event('text.incoming.mms', {
      from: person,
      to: LINE,
      body: 'Look at this',
      timestamp: 1_780_000_100,
      attachments: [{ url: 'https://api.contiguity.com/attachments/a.jpg', mime: 'image/jpeg', filename: 'a.jpg' }],
    });
    await deliver(ev);
    const reply = (await db.pool.query('SELECT * FROM inbound_messages WHERE body = $1', ['Look at this'])).rows[0];
    expect(reply).toMatchObject({
      from_phone: person,
      to_line: LINE,
      channel: 'mms',
      attachments: ['https://api.contiguity.com/attachments/a.jpg'],
      campaign_id: newer,
      recipient_id: n.recipientId,
      outbound_message_id: latest,
      contact_id: n.contactId,
      is_opt_out: false,
      sent_at: new Date(1_780_000_100_000),
    });
    const rec = await db.pool.query('SELECT id, replied_at FROM campaign_recipients WHERE id = ANY($1) ORDER BY id', [[o.recipientId, n.recipientId]]);
    expect(rec.rows.map((r) => r.replied_at)).toEqual([null, new Date(1_780_000_100_000)]);
  });

  it('a reply from a stranger is stored, with a new contact and no campaign', async () => {
    await deliver(incoming('+14155550299', 'who is this?', { type: 'text.incoming.sms' }));
    const r = (await db.pool.query(`SELECT i.campaign_id, i.channel, c.phone FROM inbound_messages i JOIN contacts c ON c.id = i.contact_id WHERE i.body = 'who is this?'`)).rows[0];
    expect(r).toEqual({ campaign_id: null, channel: 'sms', phone: '+14155550299' });
  });

  it('STOP mid-campaign opts the contact out everywhere: the claim skips their remaining messages', async () => {
    const person = '+14155550206';
    const c1 = await seedCampaign(db.pool);
    const c2 = await seedCampaign(db.pool);
    const run1 = await seedRun(db.pool, c1);
    const run2 = await seedRun(db.pool, c2);
    const r1 = await seedRecipient(db.pool, c1, person);
    const r2 = await seedRecipient(db.pool, c2, person);
    await seedMessage(db.pool, { campaignId: c1, ...r1, to: person, sentAt: new Date(Date.now() - 60_000) });
    const queued = await seedMessage(db.pool, { campaignId: c2, runId: run2, ...r2, to: person, status: 'queued' });
    void run1;

    const stop = incoming(person, '  Stop!! ', { at: 1_780_000_200 });
    await deliver(stop);
    const contact = (await db.pool.query('SELECT opted_out, opted_out_at FROM contacts WHERE phone = $1', [person])).rows[0];
    expect(contact).toEqual({ opted_out: true, opted_out_at: new Date(1_780_000_200_000) });
    const consent = (await db.pool.query(`SELECT kind, keyword, source, inbound_message_id IS NOT NULL AS linked, at FROM consent_events WHERE contact_id = $1`, [r1.contactId])).rows;
    expect(consent).toEqual([{ kind: 'opt_out', keyword: 'STOP', source: 'imessage reply', linked: true, at: new Date(1_780_000_200_000) }]);
    expect((await db.pool.query('SELECT is_opt_out FROM inbound_messages WHERE webhook_event_id = (SELECT id FROM webhook_events WHERE provider_event_id = $1)', [stop.id])).rows[0]!.is_opt_out).toBe(true);

    // No further send: the other campaign's queued message is not handed to a sender.
    const claimed = await claimMessages(db.pool, { workerId: 'test', limit: 100, leaseMs: 60_000, now: new Date() });
    expect(claimed.filter((m) => m.status === 'sending').map((m) => m.id)).not.toContain(queued);
    const q = (await db.pool.query('SELECT status, last_error FROM outbound_messages WHERE id = $1', [queued])).rows[0];
    expect(q.status).toBe('skipped');
  });

  it('START / UNSTOP opt back in, and the last word wins whatever the processing order', async () => {
    const person = '+14155550207';
    const c = await seedCampaign(db.pool);
    const r = await seedRecipient(db.pool, c, person);
    await seedMessage(db.pool, { campaignId: c, ...r, to: person });

    await deliver(incoming(person, 'QUIT', { at: 1_780_000_300 }));
    expect((await db.pool.query('SELECT opted_out FROM contacts WHERE id = $1', [r.contactId])).rows[0]!.opted_out).toBe(true);
    await deliver(incoming(person, 'unstop', { at: 1_780_000_400 }));
    let k = (await db.pool.query('SELECT opted_out, opted_in_at FROM contacts WHERE id = $1', [r.contactId])).rows[0];
    expect(k).toEqual({ opted_out: false, opted_in_at: new Date(1_780_000_400_000) });

    // A STOP sent before that START but processed after it (a retry) does not undo the START.
    await deliver(incoming(person, 'stop', { at: 1_780_000_350 }));
    k = (await db.pool.query('SELECT opted_out FROM contacts WHERE id = $1', [r.contactId])).rows[0];
    expect(k.opted_out).toBe(false);
    const kinds = (await db.pool.query('SELECT kind, keyword FROM consent_events WHERE contact_id = $1 ORDER BY at', [r.contactId])).rows;
    expect(kinds).toEqual([
      { kind: 'opt_out', keyword: 'QUIT' },
      { kind: 'opt_out', keyword: 'STOP' },
      { kind: 'opt_in', keyword: 'UNSTOP' },
    ]);

    await deliver(incoming(person, 'START', { at: 1_780_000_500 }));
    // An FCC word among others revokes consent too (FCC 2025); a negated one only flags the reply.
    await deliver(incoming(person, "don't stop, I love these", { at: 1_780_000_550 }));
    k = (await db.pool.query('SELECT opted_out FROM contacts WHERE id = $1', [r.contactId])).rows[0];
    expect(k.opted_out).toBe(false);
    expect((await db.pool.query(`SELECT needs_attention, is_opt_out FROM inbound_messages WHERE body = $1`, ["don't stop, I love these"])).rows[0]).toEqual({ needs_attention: true, is_opt_out: false });
    await deliver(incoming(person, 'please stop texting me', { at: 1_780_000_600 }));
    k = (await db.pool.query('SELECT opted_out FROM contacts WHERE id = $1', [r.contactId])).rows[0];
    expect(k.opted_out).toBe(true);
  });
});

describe('durable processing (no other processor on this database)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });

  it('events stored while no processor runs are processed by the next one (crash between store and process)', async () => {
    const stopped = await startReceiver(db.pool, { startProcessor: false });
    const campaignId = await seedCampaign(db.pool);
    const { contactId, recipientId } = await seedRecipient(db.pool, campaignId, '+14155550201');
    await seedMessage(db.pool, { campaignId, recipientId, contactId, to: '+14155550201', providerMessageId: 'imsg_crash_1' });
    const evs = [
      incoming('+14155550201', 'stored before the crash'),
      event('text.delivery.confirmed', { from: LINE, to: '+14155550201', message_id: 'imsg_crash_1', timestamp: 1_780_000_000 }),
    ];
    for (const ev of evs) expect((await stopped.post(ev)).status).toBe(200);
    // The process "dies": its server closes and its processor never ran.
    await stopped.app.close();
    expect(await count(db.pool, 'SELECT 1 FROM webhook_events WHERE provider_event_id = ANY($1) AND processed_at IS NULL', [evs.map((e) => e.id)])).toBe(2);

    const fresh = createEventProcessor({ pool: db.pool, logger: createLogger('silent'), handler: applyEvent });
    try {
      expect(await fresh.drain()).toBeGreaterThanOrEqual(2);
    } finally {
      await fresh.stop();
      await stopped.close();
    }
    expect(await count(db.pool, 'SELECT 1 FROM inbound_messages WHERE body = $1 AND recipient_id = $2', ['stored before the crash', recipientId])).toBe(1);
    const msg = await db.pool.query('SELECT status, delivered_at FROM outbound_messages WHERE provider_message_id = $1', ['imsg_crash_1']);
    expect(msg.rows[0]).toMatchObject({ status: 'delivered', delivered_at: new Date(1_780_000_000_000) });
  });

  it('a failing event is retried later, never lost, and does not hold back its batch', async () => {
    let broken = true;
    const proc = createEventProcessor({
      pool: db.pool,
      logger: createLogger('silent'),
      retryBaseMs: 1,
      retryCapMs: 1,
      handler: async (tx, ev) => {
        if (ev.type === 'flaky' && broken) throw new Error('boom');
        return applyEvent(tx, ev);
      },
    });
    const stopped = await startReceiver(db.pool, { startProcessor: false });
    const flaky = event('flaky', {});
    const fine = event('whatever', {});
    await stopped.post(flaky);
    await stopped.post(fine);
    await stopped.close();
    await proc.drain();
    let row = await db.pool.query('SELECT processed_at, attempts, last_error FROM webhook_events WHERE provider_event_id = $1', [flaky.id]);
    expect(row.rows[0]).toMatchObject({ processed_at: null, attempts: 1, last_error: 'boom' });
    expect(await processedCount(db, fine.id)).toBe(1);
    broken = false;
    await eventually(async () => (await proc.drain(), processedCount(db, flaky.id)), 5_000, 'the retry');
    row = await db.pool.query('SELECT attempts FROM webhook_events WHERE provider_event_id = $1', [flaky.id]);
    expect(row.rows[0]!.attempts).toBe(2);
    await proc.stop();
  });

  it('delivery reports in one batch are applied set-wise with the same rules', async () => {
    const campaignId = await seedCampaign(db.pool);
    const a = await seedRecipient(db.pool, campaignId, '+14155550221');
    const b = await seedRecipient(db.pool, campaignId, '+14155550222');
    await seedMessage(db.pool, { campaignId, ...a, to: '+14155550221', providerMessageId: 'text_b_1' });
    await seedMessage(db.pool, { campaignId, ...b, to: '+14155550222', providerMessageId: 'imsg_b_2', status: 'read' });
    const stopped = await startReceiver(db.pool, { startProcessor: false });
    const evs = [
      event('text.delivery.failed', { from: LINE, to: '+14155550221', message_id: 'text_b_1', timestamp: 1_780_000_010, error: 'no confirmation' }),
      event('text.delivery.confirmed', { from: LINE, to: '+14155550221', message_id: 'text_b_1', timestamp: 1_780_000_020 }),
      event('text.delivery.failed', { from: LINE, to: '+14155550222', message_id: 'imsg_b_2', timestamp: 1_780_000_030, error: 'late' }),
      event('text.delivery.confirmed', { from: LINE, to: '+14155550299', message_id: 'imsg_b_unknown', timestamp: 1_780_000_040 }),
    ];
    for (const ev of evs) expect((await stopped.post(ev)).status).toBe(200);
    await stopped.close();
    const proc = createEventProcessor({ pool: db.pool, logger: createLogger('silent'), handler: applyEvent, batchHandler: applyDeliveryBatch, retryBaseMs: 60_000 });
    await proc.drain();
    await proc.stop();
    const rows = (await db.pool.query(`SELECT provider_message_id, status, delivered_at, channel, fallback_used FROM outbound_messages WHERE provider_message_id IN ('text_b_1', 'imsg_b_2') ORDER BY 1`)).rows;
    expect(rows).toEqual([
      { provider_message_id: 'imsg_b_2', status: 'read', delivered_at: null, channel: 'imessage', fallback_used: false },
      { provider_message_id: 'text_b_1', status: 'delivered', delivered_at: new Date(1_780_000_020_000), channel: 'sms', fallback_used: true },
    ]);
    const states = (await db.pool.query('SELECT provider_event_id, processed_at IS NOT NULL AS done, attempts FROM webhook_events WHERE provider_event_id = ANY($1)', [evs.map((e) => e.id)])).rows;
    const byId = new Map(states.map((r) => [r.provider_event_id, r]));
    expect(evs.map((e) => byId.get(e.id)!.done)).toEqual([true, true, true, false]);
    expect(byId.get(evs[3]!.id)!.attempts).toBe(1);
  });
});
