import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { phone, providerClient, seedCampaign, testWorker } from '../dispatch/fixtures.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { eventually } from '../helpers/eventually.ts';
import { SECRET, startReceiver, type Receiver } from './helpers.ts';

const LINE = '+14155550100';

/**
 * Signatures arriving late: the simulator signs its webhooks N seconds in the
 * past (`signatureSkewSeconds`). Within WEBHOOK_TOLERANCE_SECONDS, or with the
 * check off (0), every event is stored. Beyond it, the receiver refuses the
 * event as the SDK's verify does (401), logs and counts it, stores nothing,
 * and never acknowledges it: the provider keeps it, and once the clocks agree
 * its next attempt is stored. Nothing is silently dropped.
 */
describe('receiver: webhook signatures arriving late (clock skew)', () => {
  let db: TestDatabase;
  const closers: (() => Promise<unknown>)[] = [];
  const areas = ['601', '602', '603'];

  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 6 });
  });
  afterAll(async () => {
    for (const c of closers.reverse()) await c();
    await db?.close();
  });

  async function stack(toleranceSeconds: number, skew: number) {
    const refused: string[] = [];
    const rx: Receiver = await startReceiver(db.pool, { toleranceSeconds, onSignatureRefused: (r) => refused.push(r) });
    closers.push(() => rx.close());
    const sim: SimulatorHandle = await startSimulator({
      webhookUrl: `${rx.url}/webhooks/contiguity`,
      secret: SECRET,
      pacing: false,
      imessageRatio: 1,
      replyRatio: 1,
      optOutRatio: 0,
      timing: { deliveryMs: 40, readMs: 40, replyMs: 80 },
      webhook: { maxAttempts: 12, retryDelayMs: 100 },
      faults: { signatureSkewSeconds: skew },
    });
    closers.push(() => sim.stop());
    const area = areas.shift();
    const phones = Array.from({ length: 3 }, (_, i) => phone(i, area));
    await seedCampaign(db.pool, { phones, senderLines: [LINE], newContactsPerHour: 1000, newContactsPerDay: 1000 });
    await testWorker(db.pool, providerClient(sim)).runOnce();
    return { sim, refused, phones };
  }

  const stored = async (ids: string[]) =>
    (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM webhook_events WHERE provider_event_id = ANY($1) AND processed_at IS NOT NULL', [ids])).rows[0]!.n;

  const replies = (sim: SimulatorHandle) => sim.webhooks().filter((r) => r.event.type === 'imessage.incoming');

  it.each([
    [300, 120],
    [0, 3_600],
  ])('tolerance %i s, signed %i s late: accepted and stored, none lost', async (tolerance, skew) => {
    const { sim, refused } = await stack(tolerance, skew);
    const recs = await eventually(() => (replies(sim).length === 3 && replies(sim).every((r) => r.state === 'delivered') ? replies(sim) : undefined), 15_000, 'three replies acknowledged');
    expect(recs.map((r) => r.attempts)).toEqual([1, 1, 1]);
    expect(refused).toEqual([]);
    await eventually(async () => (await stored(recs.map((r) => r.event.id))) === 3, 10_000, 'three replies processed');
  });

  it('beyond the tolerance: refused 401, counted as stale, never acknowledged nor stored; once the clocks agree the retry is stored', async () => {
    const { sim, refused, phones } = await stack(300, 900);
    await eventually(() => (replies(sim).length === 3 && replies(sim).every((r) => r.attempts >= 2) ? true : undefined), 15_000, 'every reply refused at least twice');
    const recs = replies(sim);
    expect(recs.every((r) => r.state !== 'delivered' && r.last === 401)).toBe(true);
    expect(refused.length).toBeGreaterThanOrEqual(6);
    expect(new Set(refused)).toEqual(new Set(['stale']));
    expect(await stored(recs.map((r) => r.event.id))).toBe(0);
    const inbound = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM inbound_messages WHERE from_phone = ANY($1)', [phones]);
    expect(inbound.rows[0]!.n).toBe(0);

    // The clock is fixed: the provider's next attempt goes through.
    sim.setFaults({ signatureSkewSeconds: 0 });
    await eventually(() => (replies(sim).every((r) => r.state === 'delivered') ? true : undefined), 20_000, 'every reply acknowledged after the fix');
    await eventually(async () => (await stored(recs.map((r) => r.event.id))) === 3, 10_000, 'three replies processed');
  });
});
