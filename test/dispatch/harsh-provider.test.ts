import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { expectExactlyOnce, perRecipient } from '../helpers/sends.ts';
import { messageStatuses, phone, providerClient, seedCampaign, testWorker } from './fixtures.ts';
import type { DispatchEvent } from '../../src/dispatch/worker-types.ts';
import { resumeCampaign } from '../../src/campaigns/status.ts';

/** The dispatcher against the simulator's harsh switches. */
describe('dispatch: harsh provider answers', () => {
  let db: TestDatabase;
  let sim: SimulatorHandle;
  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 6 });
    sim = await startSimulator({ pacing: false, imessageRatio: 1, replyRatio: 0, latencyMs: 2, seed: 14 });
  });
  afterAll(() => sim?.stop());

  it('a gateway 502 after the provider accepted every send, history pages with an off-schema entry: each recipient gets the message once (history checked before any resend)', async () => {
    const phones = Array.from({ length: 20 }, (_, i) => phone(i, '646'));
    const c = await seedCampaign(db.pool, { phones, concurrency: 8, maxAttempts: 5 });
    // And every history page starts with an off-schema entry: the check before a resend still reads the thread.
    sim.setFaults({ gatewayErrorAfter: 1, historyOffSchema: true });
    let s;
    try {
      s = await testWorker(db.pool, providerClient(sim, { timeoutMs: 2_000 })).runOnce();
    } finally {
      sim.clearFaults();
    }
    expect(s.ambiguous).toBeGreaterThan(0);
    expect(s.reconciledSent).toBe(20);
    expect(perRecipient(sim, phones).size).toBe(20);
    expectExactlyOnce(sim, phones);
    expect(await messageStatuses(db.pool, c.id)).toEqual({ sent: 20 });
  });

  it.each([
    [403, /agreement has not been accepted/, 'https://contiguity.com/agreements/imessage', '347'],
    [401, /invalid or revoked API key/, null, '718'],
    // A 400 whose words name the account's setup, not this recipient.
    ['line-not-leased', /line \+1\d+ is not leased to this account/, null, '917'],
    ['fast-track', /fast track is not allowed/, null, '929'],
  ] as const)('an account-level refusal (%s) blocks the campaign after a handful of attempts: nothing failed, the rest stays queued, resume carries on', async (status, reason, url, area) => {
    const phones = Array.from({ length: 30 }, (_, i) => phone(i, area));
    // The fast-track refusal only meets campaigns that send with fast_track.
    const c = await seedCampaign(db.pool, { phones, concurrency: 4, maxAttempts: 5, fastTrack: status === 'fast-track' });
    const attemptsBefore = sim.requests();
    sim.setFaults({ accountRefusal: status });
    const events: DispatchEvent[] = [];
    try {
      await testWorker(db.pool, providerClient(sim), { onEvent: (e) => events.push(e) }).runOnce();
    } finally {
      sim.clearFaults();
    }
    // A handful: the sends already in flight when the first refusal came back, never the 30.
    expect(sim.requests() - attemptsBefore).toBeLessThanOrEqual(8);
    expect(events.filter((e) => e.type === 'failed')).toEqual([]);
    expect(events.filter((e) => e.type === 'blocked')).toHaveLength(1);
    expect(await messageStatuses(db.pool, c.id)).toEqual({ queued: 30 });
    const camp = await db.pool.query(`SELECT status, blocked_reason, blocked_url, blocked_at FROM campaigns WHERE id = $1`, [c.id]);
    expect(camp.rows[0]).toMatchObject({ status: 'blocked', blocked_reason: expect.stringMatching(reason), blocked_url: url, blocked_at: expect.any(Date) });
    const attempts = await db.pool.query(`SELECT max(attempts)::int AS max FROM outbound_messages WHERE campaign_id = $1`, [c.id]);
    expect(attempts.rows[0].max).toBe(0);
    // A worker tick while blocked sends nothing.
    const idle = await testWorker(db.pool, providerClient(sim)).runOnce();
    expect(idle.sent).toBe(0);

    // The user fixed the account: resume, and every recipient gets the message once.
    expect(await resumeCampaign(db.prisma, c.id)).toMatch(/running|scheduled/);
    const after = await db.pool.query(`SELECT blocked_reason FROM campaigns WHERE id = $1`, [c.id]);
    expect(after.rows[0].blocked_reason).toBeNull();
    await testWorker(db.pool, providerClient(sim)).runOnce();
    expect(await messageStatuses(db.pool, c.id)).toEqual({ sent: 30 });
    expectExactlyOnce(sim, phones);
  });
});
