import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { runCli, spawnCli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { expectExactlyOnce, perRecipient } from '../helpers/sends.ts';
import { messageStatuses, phone, seedCampaign } from './fixtures.ts';
import { eventually } from '../helpers/eventually.ts';

describe('`bluecast run` processes: several at once, kill -9, SIGTERM', () => {
  let db: TestDatabase;
  let sim: SimulatorHandle;
  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 4 });
    sim = await startSimulator({ pacing: false, imessageRatio: 1, latencyMs: 3, seed: 13 });
  });
  afterAll(() => sim?.stop());
  const cliEnv = () => ({ DATABASE_URL: db.url, CONTIGUITY_BASE_URL: sim.url, CONTIGUITY_API_KEY: sim.apiKey, LOG_LEVEL: 'warn' });

  const startRun = (args: string[], workerId: string) => spawnCli(['run', ...args], { ...cliEnv(), WORKER_ID: workerId });

  it('three `bluecast run --once` processes send every message exactly once', async () => {
    const phones = Array.from({ length: 150 }, (_, i) => phone(i, '646'));
    const c = await seedCampaign(db.pool, { phones, concurrency: 4 });
    const results = await Promise.all([0, 1, 2].map((i) => runCli(['run', '--once', '--batch-size', '5'], { env: { ...cliEnv(), WORKER_ID: `cli-${i}` } })));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const summaries = results.map((r) => JSON.parse(r.stdout.trim().split('\n').pop()!) as { sent: number; runsCreated: number });
    expect(summaries.reduce((n, s) => n + s.sent, 0)).toBe(150);
    expect(summaries.reduce((n, s) => n + s.runsCreated, 0)).toBe(1);
    expect(await messageStatuses(db.pool, c.id)).toEqual({ sent: 150 });
    expectExactlyOnce(sim, phones);
  });

  it('after kill -9 mid-run and a restart, every recipient has exactly one message at the provider', async () => {
    const phones = Array.from({ length: 120 }, (_, i) => phone(i, '305'));
    // Short leases on a busy machine can expire under a live worker too; that is
    // safe (history decides) but costs attempts, which are not what this test is about.
    const c = await seedCampaign(db.pool, { phones, concurrency: 16, maxAttempts: 50 });
    sim.setFaults({ latencyMs: 40 });
    const run = startRun(['--lease-ms', '3000', '--poll-ms', '50'], 'doomed');
    try {
      // Kill it while sends are in flight: some reached the provider, some not, some unrecorded.
      await eventually(() => perRecipient(sim, phones).size >= 40, 20_000);
      run.child.kill('SIGKILL');
      await run.exit;
      const mid = await messageStatuses(db.pool, c.id);
      expect(mid.sending ?? 0, run.stderr()).toBeGreaterThan(0);
    } finally {
      run.child.kill('SIGKILL');
      sim.clearFaults();
    }
    // The dead worker's leases run out; a new worker reconciles them through history first.
    await eventually(async () => {
      const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM outbound_messages WHERE campaign_id = $1 AND status = 'sending' AND lease_expires_at > now()`, [c.id]);
      return rows[0].n === 0;
    }, 8_000);
    const r = await runCli(['run', '--once', '--lease-ms', '3000'], { env: { ...cliEnv(), WORKER_ID: 'phoenix' } });
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as { reconciledSent: number; reconciledRequeued: number; sent: number };
    expect(summary.reconciledSent + summary.reconciledRequeued).toBeGreaterThan(0);
    const errors = await db.pool.query(`SELECT status, attempts, last_error FROM outbound_messages WHERE campaign_id = $1 AND status <> 'sent' LIMIT 3`, [c.id]);
    expect(await messageStatuses(db.pool, c.id), JSON.stringify(errors.rows)).toEqual({ sent: 120 });
    expectExactlyOnce(sim, phones);
    const runs = await db.pool.query(`SELECT status FROM campaign_runs WHERE campaign_id = $1`, [c.id]);
    expect(runs.rows).toEqual([{ status: 'completed' }]);
  });

  it('SIGTERM: stops claiming, finishes or releases in-flight work, exits within 10 s', async () => {
    const phones = Array.from({ length: 60 }, (_, i) => phone(i, '615'));
    const c = await seedCampaign(db.pool, { phones, concurrency: 4 });
    sim.setFaults({ latencyMs: 300 });
    const run = startRun(['--poll-ms', '50'], 'polite');
    let elapsed = 0;
    try {
      await eventually(() => perRecipient(sim, phones).size >= 4, 20_000);
      const t0 = Date.now();
      run.child.kill('SIGTERM');
      const code = await run.exit;
      elapsed = Date.now() - t0;
      expect(code, run.stderr()).toBe(0);
    } finally {
      run.child.kill('SIGKILL');
      sim.clearFaults();
    }
    expect(elapsed).toBeLessThan(10_000);
    const st = await messageStatuses(db.pool, c.id);
    // Nothing left leased: sends in flight were recorded, the rest handed back.
    expect(st.sending).toBeUndefined();
    expect(st.sent).toBe(perRecipient(sim, phones).size);
    expect(st.sent).toBeLessThan(60);
    expect(st.queued).toBe(60 - st.sent!);
    const leased = await db.pool.query(`SELECT count(*)::int AS n FROM outbound_messages WHERE campaign_id = $1 AND lease_owner IS NOT NULL`, [c.id]);
    expect(leased.rows[0].n).toBe(0);
  });
});
