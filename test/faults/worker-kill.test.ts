import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { messageStatuses, phone, seedCampaign } from '../dispatch/fixtures.ts';
import { runCli, spawnCli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seededPrng } from '../helpers/prng.ts';
import { expectExactlyOnce, perRecipient } from '../helpers/sends.ts';
import { eventually } from '../helpers/eventually.ts';

/**
 * kill -9 of a `bluecast run` process mid-run, at several points of the run,
 * then restarts (`--once`, short lease) until nothing is left: the simulator
 * saw every recipient exactly once, and the database records every message as
 * sent with what the provider said.
 */
describe('faults: kill -9 of a worker, then restart', () => {
  const rnd = seededPrng('worker-kill');
  let db: TestDatabase;
  let sim: SimulatorHandle;
  const LEASE_MS = 2_000;
  const N = 200;

  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 4 });
    // Slow enough answers that the kill lands with sends in flight.
    sim = await startSimulator({ pacing: false, imessageRatio: 1, replyRatio: 0, latencyMs: 100, seed: rnd.seed });
  });
  afterAll(() => sim?.stop());

  const env = (workerId: string) => ({ DATABASE_URL: db.url, CONTIGUITY_BASE_URL: sim.url, CONTIGUITY_API_KEY: sim.apiKey, WORKER_ID: workerId });

  /** `bluecast run --once` until every message of the campaign is final; returns how many restarts it took. */
  async function restartUntilDone(campaignId: number): Promise<number> {
    for (let i = 1; i <= 8; i++) {
      // The dead worker's leases must run out before anyone may look them up.
      // The wait is generous: on a loaded machine the killed run's last lease
      // renewal lands late; this waits for a fact, it does not measure speed.
      await eventually(async () => {
        const { rows } = await db.pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM outbound_messages WHERE campaign_id = $1 AND status = 'sending' AND lease_expires_at > now()`,
          [campaignId],
        );
        return rows[0]!.n === 0;
      }, LEASE_MS * 15);
      const r = await runCli(['run', '--once', '--lease-ms', String(LEASE_MS), '--poll-ms', '50'], { env: env(`phoenix-${i}`), timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
      const st = await messageStatuses(db.pool, campaignId);
      if (Object.keys(st).every((s) => s === 'sent' || s === 'failed')) return i;
    }
    throw new Error(`not done after 8 restarts: ${JSON.stringify(await messageStatuses(db.pool, campaignId))}`);
  }

  /** The database and the provider agree: every row sent, and every provider id we recorded is one the simulator issued to that number. */
  async function expectDbMatchesProvider(campaignId: number, phones: string[]): Promise<void> {
    expect(await messageStatuses(db.pool, campaignId)).toEqual({ sent: phones.length });
    const { rows } = await db.pool.query<{ to_phone: string; provider_message_id: string | null }>(
      `SELECT to_phone, provider_message_id FROM outbound_messages WHERE campaign_id = $1`,
      [campaignId],
    );
    expect(rows.map((r) => r.to_phone).sort()).toEqual([...phones].sort());
    const issued = new Map(sim.sent().map((s) => [s.id, s.to]));
    // Sends recovered from history carry no id (history has none); the others must be the provider's own.
    for (const r of rows) if (r.provider_message_id !== null) expect(issued.get(r.provider_message_id), r.to_phone).toBe(r.to_phone);
    const runs = await db.pool.query(`SELECT status FROM campaign_runs WHERE campaign_id = $1`, [campaignId]);
    expect(runs.rows).toEqual([{ status: 'completed' }]);
  }

  // Each point: kill once the simulator has seen that share of the campaign.
  it.each([
    ['~10%', 0.1, '212'],
    ['~50%', 0.5, '305'],
    ['~90%', 0.9, '415'],
  ])('killed at %s of the sends: after restarts every recipient is sent exactly once, none lost', async (label, share, area) => {
    const t0 = Date.now();
    const lap = (what: string) => console.log(`[worker-kill ${label}] ${what} at ${Date.now() - t0} ms`);
    const phones = Array.from({ length: N }, (_, i) => phone(i, area));
    // Leases this short can also lapse under a live, busy worker; that is safe
    // (history decides) but costs attempts, which are not what is tested here.
    const c = await seedCampaign(db.pool, { phones, concurrency: 8, maxAttempts: 50 });
    const doomed = spawnCli(['run', '--lease-ms', String(LEASE_MS), '--poll-ms', '50'], env(`doomed-${share}`));
    const target = Math.max(1, Math.floor(N * share));
    try {
      await eventually(() => perRecipient(sim, phones).size >= target || doomed.child.exitCode !== null, 30_000);
      lap(`kill after ${perRecipient(sim, phones).size} sends`);
      doomed.child.kill('SIGKILL');
      const code = await doomed.exit;
      expect(code, `the worker must have been killed, not have exited: ${doomed.stderr()}`).toBeNull();
    } finally {
      doomed.child.kill('SIGKILL');
    }
    // The kill landed mid-run: the provider has not seen everyone, and the database still holds claimed or queued rows.
    const seen = perRecipient(sim, phones).size;
    expect(seen).toBeGreaterThanOrEqual(target);
    expect(seen).toBeLessThan(N);
    const mid = await messageStatuses(db.pool, c.id);
    expect((mid.sending ?? 0) + (mid.queued ?? 0), JSON.stringify(mid)).toBeGreaterThan(0);

    const restarts = await restartUntilDone(c.id);
    lap(`done after ${restarts} restart(s)`);
    expectExactlyOnce(sim, phones);
    await expectDbMatchesProvider(c.id, phones);
  });

  it('killed three times in one run (≈10%, 50%, 90%): still every recipient exactly once', async () => {
    const phones = Array.from({ length: N }, (_, i) => phone(i, '480'));
    const c = await seedCampaign(db.pool, { phones, concurrency: 8, maxAttempts: 50 });
    for (const [k, share] of [0.1, 0.5, 0.9].entries()) {
      const target = Math.floor(N * share);
      const w = spawnCli(['run', '--lease-ms', String(LEASE_MS), '--poll-ms', '50'], env(`serial-${k}`));
      try {
        await eventually(() => perRecipient(sim, phones).size >= target || w.child.exitCode !== null, 30_000);
        w.child.kill('SIGKILL');
        expect(await w.exit, w.stderr()).toBeNull();
      } finally {
        w.child.kill('SIGKILL');
      }
      expect(perRecipient(sim, phones).size).toBeLessThan(N);
    }
    await restartUntilDone(c.id);
    expectExactlyOnce(sim, phones);
    await expectDbMatchesProvider(c.id, phones);
  });
});
