import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDatabase } from '../../src/db/connection.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded.ts';
import { migrate } from '../../src/db/migrate.ts';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { messageStatuses, phone, seedCampaign } from '../dispatch/fixtures.ts';
import { spawnCli } from '../helpers/cli.ts';
import { freePort } from '../helpers/net.ts';
import { pgCtl } from '../helpers/pg-ctl.ts';
import { seededPrng } from '../helpers/prng.ts';
import { expectExactlyOnce, perRecipient } from '../helpers/sends.ts';
import { eventually } from '../helpers/eventually.ts';

/**
 * PostgreSQL stopped (fast shutdown: every connection cut) in the middle of a
 * run and started again a few seconds later on the same port and data: the
 * `bluecast run` process keeps running, reconnects, and finishes the run with
 * every recipient sent exactly once.
 */
describe('faults: PostgreSQL restarted mid-run', () => {
  const rnd = seededPrng('postgres-restart');
  const N = 300;
  const DOWN_MS = 3_000;
  let dir: string;
  let port: number;
  let server: EmbeddedPostgres | undefined;
  let url: string;
  let db: Database;
  let sim: SimulatorHandle;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bluecast-faults-pg-'));
    // mkdtemp makes it 0700; as root the postgres user must reach the data dir inside (else it is kept elsewhere).
    await chmod(dir, 0o755);
    port = await freePort();
    server = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port, ephemeral: true });
    await ensureDatabase(server.adminUrl, 'faults');
    url = server.urlFor('faults');
    await migrate(url);
    db = openDatabase(url, { max: 3 });
    sim = await startSimulator({ pacing: false, imessageRatio: 1, replyRatio: 0, latencyMs: 25, seed: rnd.seed });
  });
  afterAll(async () => {
    await sim?.stop();
    await db?.close();
    await pgCtl(server!.dataDir, ['stop', '-m', 'immediate', '-w']).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  /** Statuses, or null while the database cannot answer. */
  const statuses = (campaignId: number) => messageStatuses(db.pool, campaignId).catch(() => null);

  it('the worker survives a PostgreSQL restart, reconnects, and finishes the run exactly once', async () => {
    const phones = Array.from({ length: N }, (_, i) => phone(i, '617'));
    const c = await seedCampaign(db.pool, { phones, concurrency: 8, maxAttempts: 50 });
    const worker = spawnCli(['run', '--poll-ms', '100', '--lease-ms', '4000'], {
      DATABASE_URL: url,
      CONTIGUITY_BASE_URL: sim.url,
      CONTIGUITY_API_KEY: sim.apiKey,
      WORKER_ID: 'survivor',
    });
    let sentBeforeStop = 0;
    let sentWhileDown = 0;
    try {
      await eventually(() => perRecipient(sim, phones).size >= N / 4 || worker.child.exitCode !== null, 30_000);
      expect(worker.child.exitCode, worker.stderr()).toBeNull();

      sentBeforeStop = perRecipient(sim, phones).size;
      await pgCtl(server!.dataDir, ['stop', '-m', 'fast', '-w']);
      const stoppedAt = Date.now();
      await new Promise((r) => setTimeout(r, DOWN_MS)); // the outage itself: a duration, not an event to await
      sentWhileDown = perRecipient(sim, phones).size - sentBeforeStop;
      expect(worker.child.exitCode, `the worker died while PostgreSQL was down:\n${worker.stderr()}`).toBeNull();
      server = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port, ephemeral: true });
      expect(server.startedHere).toBe(true);
      console.log(`[postgres-restart] down for ${Date.now() - stoppedAt} ms; ${sentBeforeStop} sent before, ${sentWhileDown} while down`);

      await eventually(async () => (await statuses(c.id))?.sent === N || worker.child.exitCode !== null, 60_000, 'every message sent (or the worker gone)', 200);
      expect(worker.child.exitCode, `the worker died after the restart:\n${worker.stderr()}`).toBeNull();
      worker.child.kill('SIGTERM');
      expect(await worker.exit, worker.stderr()).toBe(0);
    } finally {
      worker.child.kill('SIGKILL');
    }
    expect(sentBeforeStop).toBeLessThan(N);
    expect(await messageStatuses(db.pool, c.id)).toEqual({ sent: N });
    expectExactlyOnce(sim, phones);
    const runs = await db.pool.query(`SELECT status FROM campaign_runs WHERE campaign_id = $1`, [c.id]);
    expect(runs.rows).toEqual([{ status: 'completed' }]);
  });
});
