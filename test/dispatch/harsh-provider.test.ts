import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { expectExactlyOnce, perRecipient } from '../helpers/sends.ts';
import { messageStatuses, phone, providerClient, seedCampaign, testWorker } from './fixtures.ts';

/** The dispatcher against the simulator's harsh switches. */
describe('dispatch: harsh provider answers', () => {
  let db: TestDatabase;
  let sim: SimulatorHandle;
  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 6 });
    sim = await startSimulator({ pacing: false, imessageRatio: 1, replyRatio: 0, latencyMs: 2, seed: 14 });
  });
  afterAll(() => sim?.stop());

  it('a gateway 502 after the provider accepted every send: each recipient gets the message once (history checked before any resend)', async () => {
    const phones = Array.from({ length: 20 }, (_, i) => phone(i, '646'));
    const c = await seedCampaign(db.pool, { phones, concurrency: 8, maxAttempts: 5 });
    sim.setFaults({ gatewayErrorAfter: 1 });
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
});
