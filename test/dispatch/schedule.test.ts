import { liveState } from '../../src/reports/live-state.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.ts';
import { dueCronOccurrence } from '../../src/dispatch/schedule.ts';
import { createDueRuns } from '../../src/dispatch/scheduler.ts';
import { createPgDispatchStore } from '../../src/dispatch/store.ts';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { manualClock, messageStatuses, phone, providerClient, seedCampaign, testWorker } from './fixtures.ts';

describe('cron occurrences (pure)', () => {
  const ny = 'America/New_York';
  it('owes the latest occurrence since the last run, in the campaign zone', () => {
    // 09:00 New York is 14:00Z in winter.
    expect(dueCronOccurrence('0 9 * * *', ny, new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T13:59:59Z'))).toBeNull();
    expect(dueCronOccurrence('0 9 * * *', ny, new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T14:00:00Z'))).toEqual({ scheduledFor: new Date('2026-01-01T14:00:00Z'), catchUp: false });
    expect(dueCronOccurrence('0 9 * * *', ny, new Date('2026-01-01T14:00:00Z'), new Date('2026-01-01T20:00:00Z'))).toBeNull();
  });
  it('several missed occurrences make one catch-up', () => {
    expect(dueCronOccurrence('0 9 * * *', ny, new Date('2026-01-01T14:00:00Z'), new Date('2026-01-05T15:00:00Z'))).toEqual({ scheduledFor: new Date('2026-01-05T14:00:00Z'), catchUp: true });
  });
  it('follows daylight saving time (09:00 New York is 13:00Z in summer)', () => {
    expect(dueCronOccurrence('0 9 * * *', ny, new Date('2026-07-01T00:00:00Z'), new Date('2026-07-01T13:30:00Z'))?.scheduledFor).toEqual(new Date('2026-07-01T13:00:00Z'));
  });
});

describe('scheduler and send window against the database', () => {
  let db: TestDatabase;
  let sim: SimulatorHandle;
  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 6 });
    sim = await startSimulator({ pacing: false, imessageRatio: 1, seed: 3 });
  });
  afterAll(() => sim?.stop());

  it('two schedulers racing on the same tick create the run once; a long outage gives one catch-up run', async () => {
    const c = await seedCampaign(db.pool, { cron: '0 9 * * *', timezone: 'America/New_York', createdAt: new Date('2026-01-01T00:00:00Z'), recipients: 3 });
    const other = openDatabase(db.url, { max: 2 });
    try {
      const stores = [createPgDispatchStore(db.pool), createPgDispatchStore(other.pool)];
      const tick = new Date('2026-01-01T14:00:00.200Z');
      for (let round = 0; round < 3; round++) {
        const created = await Promise.all(stores.map((s) => createDueRuns(s, tick)));
        expect(created.flat().filter((r) => r.campaignId === c.id)).toHaveLength(round === 0 ? 1 : 0);
      }
      // Nothing ran for four days: one catch-up run for the latest occurrence, not four.
      const later = new Date('2026-01-05T15:00:00Z');
      const created = await Promise.all(stores.map((s) => createDueRuns(s, later)));
      expect(created.flat().filter((r) => r.campaignId === c.id)).toEqual([{ runId: expect.any(Number), campaignId: c.id, scheduledFor: new Date('2026-01-05T14:00:00Z'), catchUp: true }]);
    } finally {
      await other.close();
    }
    const { rows } = await db.pool.query(`SELECT scheduled_for, catch_up FROM campaign_runs WHERE campaign_id = $1 ORDER BY scheduled_for`, [c.id]);
    expect(rows).toEqual([
      { scheduled_for: new Date('2026-01-01T14:00:00Z'), catch_up: false },
      { scheduled_for: new Date('2026-01-05T14:00:00Z'), catch_up: true },
    ]);
  });

  it('a one-off campaign gets one run at its time, and a cron campaign stays scheduled', async () => {
    const at = new Date('2026-02-01T12:00:00Z');
    const once = await seedCampaign(db.pool, { scheduleAt: at, recipients: 2, phones: [phone(1, '202'), phone(2, '202')] });
    const store = createPgDispatchStore(db.pool);
    expect((await createDueRuns(store, new Date(at.getTime() - 1))).filter((r) => r.campaignId === once.id)).toHaveLength(0);
    expect((await createDueRuns(store, at)).filter((r) => r.campaignId === once.id)).toHaveLength(1);
    expect((await createDueRuns(store, new Date(at.getTime() + 60_000))).filter((r) => r.campaignId === once.id)).toHaveLength(0);

    const clock = manualClock(new Date('2026-02-01T12:00:01Z'));
    const s = await testWorker(db.pool, providerClient(sim), { clock }).runOnce();
    expect(s.runsStarted).toBeGreaterThanOrEqual(1);
    expect((await db.pool.query(`SELECT status FROM campaigns WHERE id = $1`, [once.id])).rows[0].status).toBe('completed');
    const cron = await db.pool.query(`SELECT c.status, r.status AS run FROM campaigns c JOIN campaign_runs r ON r.campaign_id = c.id WHERE c.cron_expression IS NOT NULL`);
    expect(cron.rows.every((r) => r.status === 'scheduled' && r.run === 'completed')).toBe(true);
  });

  it("sends only inside the window of each recipient's local time; outside it messages wait, they do not fail", async () => {
    // 2026-03-10 12:00Z: 08:00 in New York (EDT), 05:00 in Los Angeles, 12:00 in London.
    const clock = manualClock(new Date('2026-03-10T12:00:00Z'));
    const ny = phone(10, '212');
    const laByColumn = phone(11, '212'); // a New York number whose CSV row says Los Angeles
    const laByNumber = phone(12, '310'); // a Los Angeles area code, no column
    const london = phone(13, '718'); // a New York number whose CSV row says London
    const c = await seedCampaign(db.pool, {
      phones: [ny, laByColumn, laByNumber, london],
      timezones: [null, 'America/Los_Angeles', null, 'Europe/London'],
      window: [9 * 60, 21 * 60],
      scheduleAt: new Date('2026-03-10T11:00:00Z'),
    });
    const sent = () => sim.sent().filter((s) => [ny, laByColumn, laByNumber, london].includes(s.to)).map((s) => s.to).sort();
    const worker = testWorker(db.pool, providerClient(sim), { clock });

    await worker.runOnce();
    expect(sent()).toEqual([london]);
    const waiting = await db.pool.query(`SELECT to_phone, status, next_attempt_at, attempts FROM outbound_messages WHERE campaign_id = $1 AND status <> 'sent' ORDER BY to_phone`, [c.id]);
    expect(Object.fromEntries(waiting.rows.map((r) => [r.to_phone, [r.status, r.next_attempt_at.toISOString(), r.attempts]]))).toEqual({
      [ny]: ['queued', '2026-03-10T13:00:00.000Z', 0],
      [laByColumn]: ['queued', '2026-03-10T16:00:00.000Z', 0],
      [laByNumber]: ['queued', '2026-03-10T16:00:00.000Z', 0],
    });

    clock.set(new Date('2026-03-10T13:00:01Z'));
    await worker.runOnce();
    expect(sent()).toEqual([london, ny].sort());

    clock.set(new Date('2026-03-10T16:00:01Z'));
    await worker.runOnce();
    expect(sent()).toEqual([ny, laByColumn, laByNumber, london].sort());
    expect(await messageStatuses(db.pool, c.id)).toEqual({ sent: 4 });
    // 22:00 in London on a later run would wait until 09:00 London the next day.
  });

  it('caps new contacts per line per hour: the rest wait instead of failing', async () => {
    const phones = Array.from({ length: 10 }, (_, i) => phone(i, '404'));
    const c = await seedCampaign(db.pool, { phones, senderLines: ['+14155550110', '+14155550111'], newContactsPerHour: 3 });
    await db.pool.query(`UPDATE campaigns SET status = 'paused' WHERE id <> $1`, [c.id]);
    const s = await testWorker(db.pool, providerClient(sim)).runOnce();
    expect(s.sent).toBe(6);
    expect(s.deferred).toBe(4);
    expect(await messageStatuses(db.pool, c.id)).toEqual({ sent: 6, queued: 4 });
    const perLine = await db.pool.query(`SELECT from_line, count(*)::int AS n FROM outbound_messages WHERE campaign_id = $1 AND status = 'sent' GROUP BY 1 ORDER BY 1`, [c.id]);
    expect(perLine.rows).toEqual([{ from_line: '+14155550110', n: 3 }, { from_line: '+14155550111', n: 3 }]);
  });

  it('a first contact waiting for a retry keeps its slot under the cap on the line it was given', async () => {
    const line = '+14155550112';
    const waiting = phone(0, '405');
    const c = await seedCampaign(db.pool, { phones: [waiting], senderLines: [line], newContactsPerHour: 1 });
    // As a failed first attempt leaves it: back in the queue, its line kept, its contact not yet sticky.
    const contact = await db.pool.query(`INSERT INTO contacts (phone) VALUES ($1) RETURNING id`, [waiting]);
    await db.pool.query(
      `INSERT INTO outbound_messages (campaign_id, contact_id, to_phone, body, status, requested_line, attempts, next_attempt_at)
       VALUES ($1, $2, $3, 'Hi', 'queued', $4, 1, now() + interval '1 minute')`,
      [c.id, contact.rows[0].id, waiting, line],
    );
    const store = createPgDispatchStore(db.pool);
    const load = await store.lineTransaction((tx) => tx.lineNewContactLoad([line], new Date()));
    expect(load.map((l) => ({ line: l.line, hour: Number(l.last_hour), day: Number(l.last_day) }))).toEqual([{ line, hour: 1, day: 1 }]);
  });

  it('messages claimed just after the window closed wait for the next opening, then go out', async () => {
    // 2026-03-11 16:30Z is 09:30 in Los Angeles (PDT): inside the 09:00–10:00 window when the run is enqueued.
    const clock = manualClock(new Date('2026-03-11T16:30:00Z'));
    const phones = Array.from({ length: 4 }, (_, i) => phone(20 + i, '310'));
    const c = await seedCampaign(db.pool, { phones, window: [9 * 60, 10 * 60], scheduleAt: new Date('2026-03-11T16:00:00Z') });
    const worker = testWorker(db.pool, providerClient(sim), { clock, options: { batchSize: 4 } });
    await worker.tick();
    clock.set(new Date('2026-03-11T17:30:00Z')); // 10:30 in Los Angeles: the window has closed
    expect(await worker.runOnce()).toMatchObject({ claimed: 4, sent: 0, deferred: 4 });
    // The reason is kept for the dashboard's "why waiting" panel, with the next opening.
    const waiting = await liveState(db.pool, c.id, clock.now());
    expect(waiting.reasons.map((r) => [r.reason, r.messages, r.from])).toEqual([['window', 4, '2026-03-12T16:00:00.000Z']]);
    clock.set(new Date('2026-03-12T16:00:01Z')); // 09:00 the next day
    expect(await worker.runOnce()).toMatchObject({ sent: 4 });
    expect(await messageStatuses(db.pool, c.id)).toEqual({ sent: 4 });
  });
});
