import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger.ts';
import { createImessageClient, type ImessageClient } from '../../src/provider/client.ts';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { createDeliveryReconciler, nextPollAt, type DeliveryReconciler } from '../../src/webhooks/delivery-reconciler.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { LINE, seedCampaign, seedMessage, seedRecipient } from './helpers.ts';
import { eventually } from '../helpers/eventually.ts';

describe('delivery reconciler against the simulator', () => {
  let db: TestDatabase;
  let sim: SimulatorHandle;
  let client: ImessageClient;
  let reconciler: DeliveryReconciler;
  let campaignId: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    sim = await startSimulator({
      lines: [LINE],
      imessageRatio: 0.5,
      readRatio: 1,
      spamRatio: 1,
      smsFailureRate: 0,
      pacing: false,
      timing: { deliveryMs: 60, readMs: 150, replyMs: 60_000 },
    });
    client = createImessageClient({ baseUrl: sim.url, apiKey: sim.apiKey });
    reconciler = createDeliveryReconciler({
      pool: db.pool,
      client,
      logger: createLogger('silent'),
      policy: { firstDelayMs: 0, maxDelayMs: 20, maxAttempts: 200 },
    });
    campaignId = await seedCampaign(db.pool);
  });
  afterAll(async () => {
    await reconciler?.stop();
    await sim?.stop();
  });

  /** Numbers the simulator treats as iMessage users (or not). */
  const pick = (imessage: boolean, from: number) => {
    for (let i = from; ; i++) {
      const p = `+1650555${String(i).padStart(4, '0')}`;
      if (sim.hasImessage(p) === imessage) return p;
    }
  };

  async function sendAndRecord(to: string, body: string, o: { keepProviderId?: boolean } = {}) {
    const r = await seedRecipient(db.pool, campaignId, to);
    const sent = await client.send({ to, from: LINE, message: body, fallback: { when: ['imessage_unsupported'] } });
    const id = await seedMessage(db.pool, { campaignId, ...r, to, body, providerMessageId: o.keepProviderId === false ? null : sent.message_id, sentAt: new Date() });
    return id;
  }

  const row = async (id: number) => (await db.pool.query('SELECT * FROM outbound_messages WHERE id = $1', [id])).rows[0];

  it('turns sent iMessages into delivered, then read, with the spam flags; polling then ends', async () => {
    const to = pick(true, 100);
    const id = await sendAndRecord(to, 'Reconcile me');
    expect((await row(id)).status).toBe('sent');

    const seen = new Set<string>();
    await eventually(async () => {
      await reconciler.runOnce();
      const m = await row(id);
      seen.add(m.status);
      return m.status === 'read';
    }, 10_000, 'read');
    expect(seen.has('delivered') || seen.has('read')).toBe(true);
    const m = await row(id);
    expect(m.delivered_at).toBeInstanceOf(Date);
    expect(m.read_at.getTime()).toBeGreaterThanOrEqual(m.delivered_at.getTime());
    expect(m).toMatchObject({ channel: 'imessage', fallback_used: false, auto_reported_spam: true, next_poll_at: null });
    expect(m.poll_attempts).toBeGreaterThan(0);

    // Nothing left to ask about this message.
    const before = m.poll_attempts;
    await reconciler.runOnce();
    expect((await row(id)).poll_attempts).toBe(before);
  });

  it('stops polling a message the provider does not know (404), after one poll', async () => {
    const to = pick(true, 900);
    const r = await seedRecipient(db.pool, campaignId, to);
    const id = await seedMessage(db.pool, { campaignId, ...r, to, body: 'Never sent here', providerMessageId: 'imsg_unknown_to_the_provider', sentAt: new Date() });
    await eventually(async () => {
      await reconciler.runOnce();
      return (await row(id)).poll_attempts > 0;
    }, 10_000, 'a poll');
    const m = await row(id);
    expect(m).toMatchObject({ status: 'sent', poll_attempts: 1, next_poll_at: null });
    await reconciler.runOnce();
    expect((await row(id)).poll_attempts).toBe(1);
  });

  it('records the SMS fallback of a recipient without iMessage', async () => {
    const to = pick(false, 200);
    const id = await sendAndRecord(to, 'Fall back please');
    await eventually(async () => {
      await reconciler.runOnce();
      return (await row(id)).status === 'delivered';
    }, 10_000, 'delivered');
    const m = await row(id);
    expect(m).toMatchObject({ channel: 'sms', fallback_used: true, read_at: null });
    expect(m.next_poll_at).toBeNull(); // an SMS is never read: delivered is final
  });

  it('finds a message confirmed through history (no provider id) by its thread and text', async () => {
    const to = pick(true, 300);
    const id = await sendAndRecord(to, 'Found by history', { keepProviderId: false });
    await eventually(async () => {
      await reconciler.runOnce();
      return (await row(id)).status === 'read';
    }, 10_000, 'read');
    expect((await row(id)).auto_reported_spam).toBe(true);
  });

  it('backs off between polls and gives up after the limit or the age', () => {
    const policy = { firstDelayMs: 1_000, maxDelayMs: 8_000, maxAttempts: 5, maxAgeMs: 60_000 };
    const now = new Date(1_000_000);
    const delays = [0, 1, 2, 3, 4].map((a) => nextPollAt(policy, a, now, now)?.getTime() ?? null).map((t) => (t === null ? null : t - now.getTime()));
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 8_000]);
    expect(nextPollAt(policy, 5, now, now)).toBeNull();
    expect(nextPollAt(policy, 1, new Date(now.getTime() - 61_000), now)).toBeNull();
  });
});
