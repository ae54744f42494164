import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger.ts';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { createDeliveryReconciler } from '../../src/webhooks/delivery-reconciler.ts';
import { messageStatuses, phone, providerClient, seedCampaign, testWorker } from '../dispatch/fixtures.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { call } from '../simulator/helpers.ts';

const LINE = '+14155550100';

/**
 * The delivery reconciler against the simulator's harsh answers for what the
 * contract leaves open: `get`'s status in words we never assumed
 * (`getStatus: 'harsh'`) and an off-schema entry first in every history page
 * (`historyOffSchema`). States come from the documented timeline events and
 * history fields only; the odd entry is skipped with a note and counted; the
 * thread is still read; polling ends after the cap whatever the answers.
 */
describe('delivery reconciler: harsh get statuses and off-schema history entries', () => {
  let db: TestDatabase;
  const sims: SimulatorHandle[] = [];

  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 6 });
  });
  afterAll(async () => {
    await Promise.all(sims.map((s) => s.stop()));
    await db?.close();
  });

  async function sentCampaign(area: string, readRatio: number, n: number) {
    const sim = await startSimulator({
      pacing: false,
      imessageRatio: 1,
      replyRatio: 0,
      readRatio,
      spamRatio: 0,
      timing: { deliveryMs: 20, readMs: 20, replyMs: 1_000 },
      faults: { getStatus: 'harsh', historyOffSchema: true },
    });
    sims.push(sim);
    const phones = Array.from({ length: n }, (_, i) => phone(i, area));
    const c = await seedCampaign(db.pool, { phones, senderLines: [LINE], newContactsPerHour: 1000, newContactsPerDay: 1000 });
    await testWorker(db.pool, providerClient(sim)).runOnce();
    expect(await messageStatuses(db.pool, c.id)).toEqual({ sent: n });
    // Every message delivered (and read, when it will be) at the provider.
    await new Promise((r) => setTimeout(r, 150));
    return { sim, c, phones };
  }

  function reconciler(sim: SimulatorHandle, maxAttempts: number) {
    const skipped = { n: 0 };
    const rec = createDeliveryReconciler({
      pool: db.pool,
      client: providerClient(sim),
      logger: createLogger('silent'),
      policy: { firstDelayMs: 0, maxDelayMs: 0, maxAttempts },
      onSkippedEntries: (n) => (skipped.n += n),
    });
    return { rec, skipped };
  }

  it('reads every message to read from the documented fields, skips the odd entry with a note, never stalls', async () => {
    const { sim, c, phones } = await sentCampaign('702', 1, 8);
    // The simulator really answers the harsh way.
    const id = sim.sent()[0]!.id;
    const got = await call(sim.url, 'GET', `/conversations/history/message/${id}?tracking=true`);
    expect((got.json as { data: { status: string } }).data.status).toBe('seen');
    const history = await call(sim.url, 'GET', `/conversations/history/imessage/${encodeURIComponent(phones[0]!)}/${encodeURIComponent(LINE)}/20`);
    const conversation = (history.json as { data: { conversation: { timestamp: unknown }[] } }).data.conversation;
    expect(conversation[0]!.timestamp).toBe('yesterday');
    expect(conversation).toHaveLength(2);

    const { rec, skipped } = reconciler(sim, 12);
    const s = await rec.runOnce();
    await rec.stop();
    expect(s).toMatchObject({ polled: 8, errors: 0 });
    expect(await messageStatuses(db.pool, c.id)).toEqual({ read: 8 });
    expect(skipped.n).toBe(8);
    const rows = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM outbound_messages WHERE campaign_id = $1 AND next_poll_at IS NULL AND read_at IS NOT NULL AND delivered_at IS NOT NULL', [c.id]);
    expect(rows.rows[0]!.n).toBe(8);
  });

  it('a message that is never read is polled at most maxAttempts times, then left alone', async () => {
    const { sim, c } = await sentCampaign('703', 0, 3);
    const { rec, skipped } = reconciler(sim, 3);
    const before = sim.requests();
    for (let round = 0; round < 6; round++) await rec.runOnce();
    await rec.stop();
    expect(await messageStatuses(db.pool, c.id)).toEqual({ delivered: 3 });
    const rows = await db.pool.query<{ poll_attempts: number; next_poll_at: Date | null }>('SELECT poll_attempts, next_poll_at FROM outbound_messages WHERE campaign_id = $1', [c.id]);
    expect(rows.rows).toEqual([0, 1, 2].map(() => ({ poll_attempts: 3, next_poll_at: null })));
    // get + history per poll, 3 polls each: nothing more after the cap.
    expect(sim.requests() - before).toBe(3 * 3 * 2);
    expect(skipped.n).toBe(9);
  });
});
