import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { claimMessages } from '../../src/db/sql/claim-messages.ts';
import { sleep } from '../../src/dispatch/clock.ts';
import type { ImessageClient } from '../../src/provider/client.ts';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { expectExactlyOnce } from '../helpers/sends.ts';
import { messageStatuses, phone, providerClient, seedCampaign, testWorker } from './fixtures.ts';

describe('dispatch: several workers, lost answers', () => {
  let db: TestDatabase;
  let sim: SimulatorHandle;
  const extra: Database[] = [];
  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 6 });
    sim = await startSimulator({ pacing: false, imessageRatio: 1, latencyMs: 3, seed: 11 });
  });
  afterAll(async () => {
    await Promise.all(extra.map((d) => d.close()));
    await sim?.stop();
  });

  it('three workers on one database (separate pools) never send a message twice', async () => {
    const phones = Array.from({ length: 300 }, (_, i) => phone(i, '415'));
    const c = await seedCampaign(db.pool, { phones, concurrency: 8 });
    // One tick freezes the audience; then three workers race over it.
    await testWorker(db.pool, providerClient(sim)).tick();
    const pools = [0, 1, 2].map(() => openDatabase(db.url, { max: 4 }));
    extra.push(...pools);
    const workers = pools.map((p, i) => testWorker(p.pool, providerClient(sim), { workerId: `w${i}`, options: { batchSize: 10 } }));
    const summaries = await Promise.all(workers.map((w) => w.runOnce()));

    expect(summaries.reduce((n, s) => n + s.sent, 0)).toBe(300);
    expect(summaries.every((s) => s.sent > 0)).toBe(true);
    expect(await messageStatuses(db.pool, c.id)).toEqual({ sent: 300 });
    expectExactlyOnce(sim, phones);
  });

  it('a send whose answer is lost is looked up in history, never resent blindly', async () => {
    const phones = Array.from({ length: 60 }, (_, i) => phone(i, '312'));
    const c = await seedCampaign(db.pool, { phones, concurrency: 8, maxAttempts: 30 });
    // 'after': the provider records the send, then the connection drops.
    sim.setFaults({ dropConnections: 0.3, dropPhase: 'after' });
    try {
      const worker = testWorker(db.pool, providerClient(sim, { timeoutMs: 2_000 }));
      const s = await worker.runOnce();
      expect(s.ambiguous).toBeGreaterThan(0);
      expect(s.reconciledSent).toBeGreaterThan(0);
    } finally {
      sim.clearFaults();
    }
    expect(await messageStatuses(db.pool, c.id)).toEqual({ sent: 60 });
    expectExactlyOnce(sim, phones);
  });

  it('a send dropped before the provider acted is found missing in history and sent again, once', async () => {
    const phones = Array.from({ length: 40 }, (_, i) => phone(i, '702'));
    // Every lost answer costs an attempt; leave room so none runs out by bad luck.
    const c = await seedCampaign(db.pool, { phones, concurrency: 8, maxAttempts: 30 });
    sim.setFaults({ dropConnections: 0.3, dropPhase: 'before' });
    let s;
    try {
      s = await testWorker(db.pool, providerClient(sim, { timeoutMs: 2_000 })).runOnce();
    } finally {
      sim.clearFaults();
    }
    // Lost answers stay `sending` until their lease runs out; on a loaded machine some
    // outlive the first pass. Later passes reconcile them (history first, then resend).
    if (s.reconciledRequeued === 0) await testWorker(db.pool, providerClient(sim)).runOnce();
    for (let pass = 0; pass < 5 && (await messageStatuses(db.pool, c.id)).sent !== 40; pass++) {
      await sleep(1_000);
      await testWorker(db.pool, providerClient(sim)).runOnce();
    }
    expect(await messageStatuses(db.pool, c.id)).toEqual({ sent: 40 });
    expectExactlyOnce(sim, phones);
  });

  it('a send still waiting when its lease runs out is cut off first, so the reconciler cannot hand it out twice', async () => {
    const phones = [phone(1, '919')];
    const c = await seedCampaign(db.pool, { phones, maxAttempts: 5 });
    const client = providerClient(sim);
    // The first send sits in the client longer than the lease (as when it waits out a
    // Retry-After), then goes out if nobody stopped it.
    let first: Promise<unknown> | undefined;
    const sender: Pick<ImessageClient, 'send' | 'history' | 'textHistory'> = {
      send(p, o) {
        if (first) return client.send(p, o);
        const r = sleep(1_500, o?.signal).then(() => client.send(p, o));
        first = r;
        return r;
      },
      history: (p, o) => client.history(p, o),
      textHistory: (p, o) => client.textHistory(p, o),
    };
    const s = await testWorker(db.pool, sender, { options: { leaseMs: 1_000 } }).runOnce();
    // Whatever became of the first send (cut off, or gone out late), it is over before counting.
    await first?.catch(() => undefined);
    expect(s).toMatchObject({ ambiguous: 1, reconciledRequeued: 1, sent: 1 });
    expect(await messageStatuses(db.pool, c.id)).toEqual({ sent: 1 });
    expectExactlyOnce(sim, phones);
  });

  it('a worker that died between its claim and the line assignment sent nothing: the message is sent, once', async () => {
    const phones = Array.from({ length: 5 }, (_, i) => phone(i, '951'));
    const ours = await seedCampaign(db.pool, { phones: phones.slice(0, 3), maxAttempts: 5 });
    // Without lines of our own the provider picks one we never learn: that outcome stays unknown.
    const pooled = await seedCampaign(db.pool, { phones: phones.slice(3), senderLines: [], maxAttempts: 5 });
    await testWorker(db.pool, providerClient(sim)).tick();
    const dead = await claimMessages(db.pool, { workerId: 'died-after-claim', limit: 100, leaseMs: 1, now: new Date() });
    expect(dead.filter((r) => r.campaign_id === ours.id || r.campaign_id === pooled.id)).toHaveLength(5);
    await new Promise((r) => setTimeout(r, 5)); // past the 1 ms lease

    const s = await testWorker(db.pool, providerClient(sim)).runOnce();
    expect(s.reconciledRequeued).toBe(3);
    expect(await messageStatuses(db.pool, ours.id)).toEqual({ sent: 3 });
    expectExactlyOnce(sim, phones.slice(0, 3));
    const { rows } = await db.pool.query(`SELECT status, last_error FROM outbound_messages WHERE campaign_id = $1`, [pooled.id]);
    expect(rows).toEqual([
      { status: 'failed', last_error: expect.stringMatching(/outcome unknown/) },
      { status: 'failed', last_error: expect.stringMatching(/outcome unknown/) },
    ]);
    expect(sim.sent().filter((x) => phones.slice(3).includes(x.to))).toEqual([]);
  });
});
