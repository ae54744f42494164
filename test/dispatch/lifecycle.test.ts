import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelCampaign, pauseCampaign, resumeCampaign } from '../../src/campaigns/status.ts';
import type { DispatchEvent } from '../../src/dispatch/worker.ts';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { buildProgram } from '../../src/cli/main.ts';
import { runCli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { messageStatuses, phone, providerClient, seedCampaign, testWorker } from './fixtures.ts';
import { eventually } from '../helpers/eventually.ts';

describe('dispatch: retries, opt-out, pause/resume/cancel, retry-failed', () => {
  let db: TestDatabase;
  let sim: SimulatorHandle;
  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 6 });
    sim = await startSimulator({ pacing: false, imessageRatio: 1, seed: 5 });
  });
  afterAll(() => sim?.stop());
  const sentTo = (phones: string[]) => sim.sent().filter((s) => phones.includes(s.to));

  it('a provider outage (503) pauses sending without spending attempts; after it every recipient gets one message', async () => {
    const phones = Array.from({ length: 20 }, (_, i) => phone(i, '503'));
    // Two attempts only: an outage that spent attempts would fail these messages at once.
    const c = await seedCampaign(db.pool, { phones, concurrency: 4, maxAttempts: 2 });
    sim.setFaults({ outageMs: 60_000 });
    const events: DispatchEvent[] = [];
    const worker = testWorker(db.pool, providerClient(sim), { onEvent: (e) => events.push(e), options: { backoff: { baseMs: 20, maxMs: 200 } } });
    const requestsBefore = sim.requests();
    worker.start();
    let duringOutage = 0;
    try {
      await eventually(() => events.some((e) => e.type === 'deferred' && e.reason === 'unavailable'), 10_000);
      // Over a second of outage: many backoff steps at this policy, yet the worker waits instead of hammering.
      await new Promise((r) => setTimeout(r, 1_200));
      duringOutage = sim.requests() - requestsBefore;
      sim.clearFaults();
      await eventually(async () => (await messageStatuses(db.pool, c.id)).sent === 20, 10_000);
    } finally {
      sim.clearFaults();
      await worker.stop();
    }
    expect(events.some((e) => e.type === 'retry' || e.type === 'failed')).toBe(false);
    // Paused sends: a few probes, and the history look-ups of the sends answered 503 (each with the
    // client's own retries), not 20 messages cycling through their backoff.
    expect(duringOutage).toBeLessThan(160);
    // A send answered 503 is ambiguous: looked up in history, then sent again (its second claim counts).
    const { rows } = await db.pool.query(`SELECT max(attempts)::int AS max FROM outbound_messages WHERE campaign_id = $1`, [c.id]);
    expect(rows[0].max).toBeLessThanOrEqual(2);
    expect(sentTo(phones)).toHaveLength(20);
    expect(new Set(sentTo(phones).map((s) => s.to)).size).toBe(20);
  });

  it('fails with the reason once the attempts are spent; permanent errors fail at once', async () => {
    const phones = [phone(1, '504'), phone(2, '504')];
    const c = await seedCampaign(db.pool, { phones, maxAttempts: 2 });
    // 429s: refused for now, surely not sent (a 5xx would be ambiguous): these spend attempts.
    sim.setFaults({ errorRate: 1, errorStatus: 429 });
    try {
      const w = testWorker(db.pool, providerClient(sim), { options: { backoff: { baseMs: 1, maxMs: 1 } } });
      await w.runOnce();
      await eventually(async () => ((await w.runOnce()).failed > 0 ? true : (await messageStatuses(db.pool, c.id)).failed === 2), 5_000);
    } finally {
      sim.clearFaults();
    }
    const { rows } = await db.pool.query(`SELECT status, attempts, last_error, error_retryable FROM outbound_messages WHERE campaign_id = $1`, [c.id]);
    for (const r of rows) expect(r).toMatchObject({ status: 'failed', attempts: 2, error_retryable: true, last_error: expect.stringMatching(/429/) });

    // An empty body is refused by the client before any request: failed at once, not retried.
    const bad = await seedCampaign(db.pool, { phones: [phone(3, '504')], message: '{{missing}}', maxAttempts: 5 });
    await testWorker(db.pool, providerClient(sim)).runOnce();
    const b = await db.pool.query(`SELECT status, attempts, error_retryable FROM outbound_messages WHERE campaign_id = $1`, [bad.id]);
    expect(b.rows).toEqual([{ status: 'failed', attempts: 1, error_retryable: false }]);
  });

  it('stops sending to a recipient who opts out mid-run', async () => {
    const phones = Array.from({ length: 20 }, (_, i) => phone(i, '602'));
    const c = await seedCampaign(db.pool, { phones, concurrency: 1 });
    sim.setFaults({ latencyMs: 100 });
    const worker = testWorker(db.pool, providerClient(sim));
    worker.start();
    let late: string;
    try {
      await eventually(() => sentTo(phones).length >= 3, 10_000);
      // What the webhook receiver does on STOP, for someone whose message is still queued
      // (a campaign's messages go out in no set order). The message row is locked while
      // the contact is updated, so no claim can take it in between: it is claimed after the
      // opt-out or never.
      const stopped = await db.pool.query<{ phone: string }>(
        `UPDATE contacts SET opted_out = true, opted_out_at = now()
          WHERE id = (SELECT contact_id FROM outbound_messages WHERE campaign_id = $1 AND status = 'queued' LIMIT 1 FOR UPDATE)
          RETURNING phone`,
        [c.id],
      );
      expect(stopped.rows).toHaveLength(1);
      late = stopped.rows[0]!.phone;
      await eventually(async () => (await messageStatuses(db.pool, c.id)).sent === 19, 10_000);
    } finally {
      await worker.stop();
      sim.clearFaults();
    }
    expect(await messageStatuses(db.pool, c.id)).toEqual({ sent: 19, skipped: 1 });
    expect(sentTo(phones).map((s) => s.to)).not.toContain(late);
    const run = await db.pool.query(`SELECT status FROM campaign_runs WHERE campaign_id = $1`, [c.id]);
    expect(run.rows[0].status).toBe('completed');
  });

  it('pause stops claiming at once, resume continues, cancel marks the rest cancelled', async () => {
    const phones = Array.from({ length: 40 }, (_, i) => phone(i, '713'));
    const c = await seedCampaign(db.pool, { phones, concurrency: 2 });
    // 100 ms a send: at 10 ms a loaded machine sent all 40 between resume and cancel.
    sim.setFaults({ latencyMs: 100 });
    const worker = testWorker(db.pool, providerClient(sim));
    worker.start();
    try {
      await eventually(() => sentTo(phones).length >= 5, 10_000);
      await pauseCampaign(db.prisma, c.id);
      // What was already handed to the provider finishes; nothing else is claimed.
      await eventually(async () => !(await messageStatuses(db.pool, c.id)).sending, 5_000);
      const atPause = sentTo(phones).length;
      expect(atPause).toBeLessThan(40);
      await new Promise((r) => setTimeout(r, 300)); // several poll intervals: prove nothing more goes out
      expect(sentTo(phones).length).toBe(atPause);
      expect((await messageStatuses(db.pool, c.id)).queued).toBe(40 - atPause);

      await resumeCampaign(db.prisma, c.id);
      await eventually(() => sentTo(phones).length >= atPause + 5, 10_000);
      const res = await cancelCampaign(db.prisma, c.id);
      expect(res.messages).toBeGreaterThan(0);
      await eventually(async () => !(await messageStatuses(db.pool, c.id)).sending, 5_000);
    } finally {
      await worker.stop();
      sim.clearFaults();
    }
    const st = await messageStatuses(db.pool, c.id);
    expect(st.queued).toBeUndefined();
    expect((st.sent ?? 0) + (st.cancelled ?? 0)).toBe(40);
    expect(sentTo(phones)).toHaveLength(st.sent!);
    const camp = await db.pool.query(`SELECT status FROM campaigns WHERE id = $1`, [c.id]);
    expect(camp.rows[0].status).toBe('cancelled');
  });

  it('`campaign retry-failed` re-queues only failed messages, never a delivered one', async () => {
    const phones = Array.from({ length: 6 }, (_, i) => phone(i, '801'));
    const c = await seedCampaign(db.pool, { phones, maxAttempts: 1 });
    sim.setFaults({ errorRate: 1, errorStatus: 429 });
    try {
      await testWorker(db.pool, providerClient(sim)).runOnce();
    } finally {
      sim.clearFaults();
    }
    expect(await messageStatuses(db.pool, c.id)).toEqual({ failed: 6 });
    // One the provider delivered after all, then reported failed late: must stay as it is.
    await db.pool.query(`UPDATE outbound_messages SET delivered_at = now(), provider_message_id = 'text_late' WHERE campaign_id = $1 AND to_phone = $2`, [c.id, phones[0]]);
    expect((await db.pool.query(`SELECT status FROM campaigns WHERE id = $1`, [c.id])).rows[0].status).toBe('completed');

    // Under `campaign` when that command exists, else top-level.
    const underCampaign = buildProgram().commands.some((x) => x.name() === 'campaign');
    const args = [...(underCampaign ? ['campaign'] : []), 'retry-failed', c.name, '--json'];
    const r = await runCli(args, { env: { DATABASE_URL: db.url, LOG_LEVEL: 'warn' } });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ campaign: c.name, requeued: 5, runsReopened: 1 });

    const s = await testWorker(db.pool, providerClient(sim)).runOnce();
    expect(s.sent).toBe(5);
    expect(await messageStatuses(db.pool, c.id)).toEqual({ sent: 5, failed: 1 });
    expect(sentTo(phones).map((x) => x.to)).not.toContain(phones[0]);
    expect((await db.pool.query(`SELECT status FROM campaigns WHERE id = $1`, [c.id])).rows[0].status).toBe('completed');
  });

  it('`retry-failed` leaves unconfirmed messages alone unless --include-unconfirmed', async () => {
    const phones = Array.from({ length: 4 }, (_, i) => phone(i, '802'));
    const c = await seedCampaign(db.pool, { phones, maxAttempts: 1 });
    sim.setFaults({ errorRate: 1, errorStatus: 429 });
    try {
      await testWorker(db.pool, providerClient(sim)).runOnce();
    } finally {
      sim.clearFaults();
    }
    // Two of them the carrier never confirmed: the person may already have them.
    await db.pool.query(
      `UPDATE outbound_messages SET status = 'unconfirmed', last_error = 'Carrier never provided delivery confirmation.' WHERE campaign_id = $1 AND to_phone = ANY($2::text[])`,
      [c.id, phones.slice(0, 2)],
    );
    const underCampaign = buildProgram().commands.some((x) => x.name() === 'campaign');
    const base = [...(underCampaign ? ['campaign'] : []), 'retry-failed', c.name, '--json'];
    const env = { env: { DATABASE_URL: db.url, LOG_LEVEL: 'warn' } };
    const plain = await runCli(base, env);
    expect(plain.code, plain.stderr).toBe(0);
    expect(JSON.parse(plain.stdout)).toMatchObject({ requeued: 2 });
    expect(await messageStatuses(db.pool, c.id)).toEqual({ queued: 2, unconfirmed: 2 });
    const all = await runCli([...base, '--include-unconfirmed'], env);
    expect(all.code, all.stderr).toBe(0);
    expect(JSON.parse(all.stdout)).toMatchObject({ requeued: 2 });
    expect(await messageStatuses(db.pool, c.id)).toEqual({ queued: 4 });
  });
});
