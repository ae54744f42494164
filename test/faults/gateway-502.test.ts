import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { messageStatuses, phone, seedCampaign } from '../dispatch/fixtures.ts';
import { spawnCli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { eventually } from '../helpers/eventually.ts';
import { seededPrng } from '../helpers/prng.ts';
import { expectExactlyOnce } from '../helpers/sends.ts';

/**
 * A gateway in front of the provider answers 502 after the provider accepted
 * every send (the figure of the issue: 20 of 20 recipients got the message
 * twice when a 5xx was read as "not sent"). A `bluecast run` worker with its
 * default settings looks each one up in history instead: all sent, once.
 */
describe('faults: gateway 502 after the provider accepted the send', () => {
  const rnd = seededPrng('gateway-502');
  const N = 20;
  let db: TestDatabase;
  let sim: SimulatorHandle;

  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 4 });
    sim = await startSimulator({ pacing: false, imessageRatio: 1, replyRatio: 0, seed: rnd.seed, faults: { gatewayErrorAfter: 1 } });
  });
  afterAll(() => sim?.stop());

  it('every send answered 502: each recipient gets exactly one message, all recorded sent', async () => {
    const phones = Array.from({ length: N }, (_, i) => phone(i, '628'));
    const c = await seedCampaign(db.pool, { phones, concurrency: 8, maxAttempts: 5 });
    const worker = spawnCli(['run', '--poll-ms', '100'], { DATABASE_URL: db.url, CONTIGUITY_BASE_URL: sim.url, CONTIGUITY_API_KEY: sim.apiKey, WORKER_ID: 'gateway' });
    try {
      await eventually(async () => (await messageStatuses(db.pool, c.id)).sent === N || worker.child.exitCode !== null, 90_000, 'every message recorded sent', 200);
      expect(worker.child.exitCode, worker.stderr()).toBeNull();
      worker.child.kill('SIGTERM');
      expect(await worker.exit, worker.stderr()).toBe(0);
    } finally {
      worker.child.kill('SIGKILL');
    }
    expect(await messageStatuses(db.pool, c.id)).toEqual({ sent: N });
    expectExactlyOnce(sim, phones);
  });
});
