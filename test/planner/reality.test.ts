import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SendRules } from '../../src/compliance/engine.ts';
import { loadRulesTable } from '../../src/compliance/table.ts';
import { createLegalHoldCheck } from '../../src/dispatch/legal-hold.ts';
import { buildPlan } from '../../src/planner/plan.ts';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { manualClock, messageStatuses, phone, providerClient, seedCampaign, testWorker } from '../dispatch/fixtures.ts';

const LINES = ['+14155554001', '+14155554002', '+14155554003'];

// The forecast against the real dispatcher: a campaign is planned, then run
// on the simulator by the dispatcher with the shipped legal rules and a
// clock the test moves from one due message to the next. The caps bind
// (3 lines × 15 new contacts a day), so each day's count must be exact, and
// the finish within 5 % of the forecast's (as a share of the campaign's span).
describe('the forecast checked against the dispatcher', () => {
  let db: TestDatabase;
  let sim: SimulatorHandle;
  const rules = new SendRules(loadRulesTable());
  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 6 });
    sim = await startSimulator({ pacing: false, imessageRatio: 1, seed: 20 });
  });
  afterAll(() => sim?.stop());

  it('sends per day exactly as planned and finishes within 5 % of the forecast', async () => {
    // Tuesday 2026-03-10 06:00 New York: before Florida's 08:00 and the campaign's 09:00.
    const start = new Date('2026-03-10T10:00:00Z');
    const phones = [...Array.from({ length: 60 }, (_, i) => phone(i, '305')), ...Array.from({ length: 50 }, (_, i) => phone(100 + i, '512'))];
    const c = await seedCampaign(db.pool, {
      phones,
      timezone: 'America/New_York',
      window: [9 * 60, 17 * 60],
      senderLines: LINES,
      newContactsPerHour: 5,
      newContactsPerDay: 15,
      ratePerLine: 50,
      burstPerLine: 50,
      scheduleAt: new Date(start.getTime() - 60_000),
    });
    const plan = (await buildPlan(db.pool, c.id, start, { rules }))!;
    const f = plan.forecast;
    expect(f.total).toBe(110);
    expect(f.unscheduled).toBe(0);
    // 45 a day (3 lines × 15), from 09:00 in Miami and Austin alike (Austin's 09:00 is later).
    expect(f.perDay.map((d) => d.sends)).toEqual([45, 45, 20]);

    const clock = manualClock(start);
    const worker = testWorker(db.pool, providerClient(sim), { clock, legalHold: createLegalHoldCheck(rules), options: { batchSize: 50 } });
    await worker.tick();
    const horizon = start.getTime() + 6 * 86_400_000;
    for (let guard = 0; guard < 5_000; guard++) {
      await worker.runOnce();
      const { rows } = await db.pool.query<{ due: Date | null; open: number }>(
        `SELECT min(greatest(coalesce(not_before, next_attempt_at), coalesce(next_attempt_at, not_before))) AS due, count(*)::int AS open
           FROM outbound_messages WHERE campaign_id = $1 AND status IN ('queued', 'sending')`,
        [c.id],
      );
      if (rows[0]!.open === 0) break;
      // Next moment anything is due (never backwards, at least a second on).
      const due = rows[0]!.due ? rows[0]!.due.getTime() : clock.now().getTime() + 60_000;
      const next = Math.max(due, clock.now().getTime() + 1000);
      if (next > horizon) break;
      clock.set(new Date(next));
    }
    expect(await messageStatuses(db.pool, c.id)).toEqual({ sent: 110 });
    const { rows: days } = await db.pool.query<{ day: string; n: number }>(
      `SELECT to_char(sent_at AT TIME ZONE 'America/New_York', 'YYYY-MM-DD') AS day, count(*)::int AS n
         FROM outbound_messages WHERE campaign_id = $1 GROUP BY 1 ORDER BY 1`,
      [c.id],
    );
    expect(days.map((d) => ({ day: d.day, sends: d.n }))).toEqual(f.perDay);
    const { rows: span } = await db.pool.query<{ first: Date; last: Date }>(
      `SELECT min(sent_at) AS first, max(sent_at) AS last FROM outbound_messages WHERE campaign_id = $1`,
      [c.id],
    );
    expect(span[0]!.first.toISOString()).toBe(f.firstSend);
    const forecastSpan = Date.parse(f.finish!) - start.getTime();
    const realSpan = span[0]!.last.getTime() - start.getTime();
    expect(Math.abs(realSpan - forecastSpan) / forecastSpan).toBeLessThan(0.05);
  }, 120_000);
});
