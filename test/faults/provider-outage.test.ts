import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { messageStatuses, phone, seedCampaign } from '../dispatch/fixtures.ts';
import { spawnCli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seededPrng } from '../helpers/prng.ts';
import { expectExactlyOnce, perRecipient } from '../helpers/sends.ts';
import { eventually } from '../helpers/eventually.ts';

/**
 * The provider answers 503 to everything for 30 s in the middle of a run (the
 * figure of the issue). A `bluecast run` worker with its default settings
 * rides it out: nothing is accepted during the outage, the run finishes after
 * recovery, no message fails because of it, and none is sent twice.
 */
describe('faults: a 30 s provider outage mid-run', () => {
  const rnd = seededPrng('provider-outage');
  const OUTAGE_MS = 30_000;
  const N = 20;
  let db: TestDatabase;
  let sim: SimulatorHandle;

  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 4 });
    // Answers slow enough that the outage surely starts with part of the campaign unsent.
    sim = await startSimulator({ pacing: false, imessageRatio: 1, replyRatio: 0, latencyMs: 100, seed: rnd.seed });
  });
  afterAll(() => sim?.stop());

  it('503s for 30 s: the run completes after recovery, no message failed, none doubled', async () => {
    const phones = Array.from({ length: N }, (_, i) => phone(i, '646'));
    // The defaults of a campaign definition: concurrency 8, 5 attempts. The outage must not spend them.
    const c = await seedCampaign(db.pool, { phones, concurrency: 8, maxAttempts: 5 });
    const worker = spawnCli(['run', '--poll-ms', '100'], { DATABASE_URL: db.url, CONTIGUITY_BASE_URL: sim.url, CONTIGUITY_API_KEY: sim.apiKey, WORKER_ID: 'outage' });
    let outage: { from: number; until: number };
    let requestsBefore = 0;
    try {
      // The outage starts once half the campaign went out: the rest is in flight or about to be.
      await eventually(() => perRecipient(sim, phones).size >= N / 2 || worker.child.exitCode !== null, 30_000);
      const now = Date.now();
      outage = { from: now, until: now + OUTAGE_MS };
      requestsBefore = sim.requests();
      sim.setFaults({ outage });
      const sentAtStart = perRecipient(sim, phones).size;
      expect(sentAtStart).toBeLessThan(N);

      // Until every message is final, sent or failed.
      await eventually(async () => {
        const st = await messageStatuses(db.pool, c.id);
        return (st.sent ?? 0) + (st.failed ?? 0) === N || worker.child.exitCode !== null;
      }, OUTAGE_MS + 60_000, 'every message final (or the worker gone)', 200);
      expect(worker.child.exitCode, worker.stderr()).toBeNull();
      worker.child.kill('SIGTERM');
      expect(await worker.exit, worker.stderr()).toBe(0);
    } finally {
      worker.child.kill('SIGKILL');
      sim.clearFaults();
    }

    // The worker kept trying during the outage and was refused every time: nothing was accepted inside the window.
    expect(sim.requests()).toBeGreaterThan(requestsBefore);
    const sends = sim.sent().filter((s) => phones.includes(s.to));
    // (A request that passed the simulator's check just before the outage is recorded a moment later: 100 ms of grace.)
    const inWindow = sends.filter((s) => Date.parse(s.at) >= outage.from + 100 && Date.parse(s.at) < outage.until);
    expect(inWindow).toEqual([]);
    // The rest went out after recovery.
    expect(sends.filter((s) => Date.parse(s.at) >= outage.until).length).toBeGreaterThan(0);

    const failed = await db.pool.query(`SELECT to_phone, attempts, last_error FROM outbound_messages WHERE campaign_id = $1 AND status <> 'sent'`, [c.id]);
    expect(failed.rows).toEqual([]);
    expect(await messageStatuses(db.pool, c.id)).toEqual({ sent: N });
    // The outage spent at most one attempt: a send answered 503 is ambiguous, looked up in history
    // and sent again once it is known missing (that second claim counts); paused ones spent none.
    const attempts = await db.pool.query<{ max: number }>(`SELECT max(attempts)::int AS max FROM outbound_messages WHERE campaign_id = $1`, [c.id]);
    expect(attempts.rows[0]!.max).toBeLessThanOrEqual(2);
    expectExactlyOnce(sim, phones);
    const runs = await db.pool.query(`SELECT status FROM campaign_runs WHERE campaign_id = $1`, [c.id]);
    expect(runs.rows).toEqual([{ status: 'completed' }]);
  });
});
