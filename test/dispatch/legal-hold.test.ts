import { describe, expect, it } from 'vitest';
import { waitingBecause } from '../../src/reports/waiting.ts';
import { manualClock, messageStatuses, phone, seedCampaign } from './fixtures.ts';
import { useLegalDispatch } from './legal-fixtures.ts';

// The real dispatcher with the shipped rules and an injected clock: a message
// outside its recipient's legal window is released with not_before and its
// reasons, is not claimed before then, and goes out once the law allows.
describe('legal send windows at the claim', () => {
  const legal = useLegalDispatch({ poolSize: 6, seed: 19 });

  async function holds(campaignId: number) {
    const { rows } = await legal.db.pool.query<{ status: string; not_before: Date | null; hold_reasons: { rule: string; jurisdiction: string; until: string | null }[] | null }>(
      `SELECT status::text AS status, not_before, hold_reasons FROM outbound_messages WHERE campaign_id = $1 ORDER BY id`,
      [campaignId],
    );
    return rows;
  }

  it('Florida after 20:00 local: held until 08:00 with the Florida rule named, not claimed meanwhile, then sent', async () => {
    // 2026-03-11 01:30Z is 21:30 (EDT) on the 10th in Miami: Florida allows 08:00–20:00.
    const clock = manualClock(new Date('2026-03-11T01:30:00Z'));
    const c = await seedCampaign(legal.db.pool, { phones: [phone(1, '305'), phone(2, '305')], scheduleAt: new Date('2026-03-11T01:00:00Z'), timezone: 'America/New_York' });
    const worker = legal.worker(clock, { options: { batchSize: 4 } });
    await worker.tick();
    expect(await worker.runOnce()).toMatchObject({ claimed: 2, sent: 0, deferred: 2 });
    const held = await holds(c.id);
    expect(held.map((h) => h.status)).toEqual(['queued', 'queued']);
    expect(held[0]!.not_before).toEqual(new Date('2026-03-11T12:00:00Z')); // 08:00 EDT
    expect(held[0]!.hold_reasons).toContainEqual({ rule: expect.stringMatching(/^US-FL/), jurisdiction: 'US-FL', kind: 'hours', until: '2026-03-11T12:00:00.000Z' });
    clock.set(new Date('2026-03-11T11:59:00Z'));
    expect(await worker.runOnce()).toMatchObject({ claimed: 0, sent: 0 });
    clock.set(new Date('2026-03-11T12:00:01Z'));
    expect(await worker.runOnce()).toMatchObject({ sent: 2 });
    expect(await messageStatuses(legal.db.pool, c.id)).toEqual({ sent: 2 });
  });

  it('Texas on a Sunday morning: held until noon Central', async () => {
    // Sunday 2026-03-15 16:00Z is 11:00 CDT in Austin.
    const clock = manualClock(new Date('2026-03-15T16:00:00Z'));
    const c = await seedCampaign(legal.db.pool, { phones: [phone(3, '512')], scheduleAt: new Date('2026-03-15T15:00:00Z'), timezone: 'America/Chicago' });
    const worker = legal.worker(clock);
    await worker.tick();
    expect(await worker.runOnce()).toMatchObject({ claimed: 1, sent: 0, deferred: 1 });
    const [h] = await holds(c.id);
    expect(h!.not_before).toEqual(new Date('2026-03-15T17:00:00Z'));
    expect(h!.hold_reasons!.map((r) => r.jurisdiction)).toContain('US-TX');
    expect(await waitingBecause(legal.db.pool, c.id, clock.now())).toContainEqual({ rule: 'US-TX.hours', jurisdiction: 'US-TX', messages: 1, until: new Date('2026-03-15T17:00:00Z') });
    clock.set(new Date('2026-03-15T17:00:01Z'));
    expect(await worker.runOnce()).toMatchObject({ sent: 1 });
    expect(await waitingBecause(legal.db.pool, c.id, clock.now())).toEqual([]);
  });

  it('a multi-zone area code must be allowed in every zone (850: Central and Eastern Florida)', async () => {
    // 12:30Z is 08:30 EDT but 07:30 CDT: Florida's 08:00 has not come in Pensacola.
    const clock = manualClock(new Date('2026-03-11T12:30:00Z'));
    const c = await seedCampaign(legal.db.pool, { phones: [phone(4, '850')], scheduleAt: new Date('2026-03-11T12:00:00Z'), timezone: 'America/New_York' });
    const worker = legal.worker(clock);
    await worker.tick();
    expect(await worker.runOnce()).toMatchObject({ sent: 0, deferred: 1 });
    expect((await holds(c.id))[0]!.not_before).toEqual(new Date('2026-03-11T13:00:00Z')); // 08:00 CDT
  });

  it("the CSV's state wins over a campaign window, never widens it: the intersection holds", async () => {
    // A 07:00–22:00 campaign window to a Florida recipient (415 number, state FL in the CSV) at 21:00 EDT.
    const clock = manualClock(new Date('2026-03-11T01:00:00Z'));
    const c = await seedCampaign(legal.db.pool, { phones: [phone(5, '415')], window: [7 * 60, 22 * 60], scheduleAt: new Date('2026-03-11T00:30:00Z'), timezone: 'America/New_York' });
    await legal.db.pool.query(`UPDATE campaign_recipients SET variables = '{"state":"FL"}', timezone = 'America/New_York' WHERE campaign_id = $1`, [c.id]);
    const worker = legal.worker(clock);
    await worker.tick();
    expect(await worker.runOnce()).toMatchObject({ sent: 0, deferred: 1 });
    const [h] = await holds(c.id);
    expect(h!.not_before).toEqual(new Date('2026-03-11T12:00:00Z'));
    expect(h!.hold_reasons!.map((r) => r.jurisdiction)).toContain('US-FL');
  });
  it('Alabama on a state holiday (Friday 3 July 2026, the 4th observed): held past it, the holiday rule named', async () => {
    const clock = manualClock(new Date('2026-07-03T15:00:00Z')); // 10:00 CDT in Birmingham
    const c = await seedCampaign(legal.db.pool, { phones: [phone(6, '205')], scheduleAt: new Date('2026-07-03T14:00:00Z'), timezone: 'America/Chicago' });
    const worker = legal.worker(clock);
    await worker.tick();
    await worker.runOnce(); // earlier tests' held rows are due by July: only this campaign's row is asserted
    const [h] = await holds(c.id);
    expect(h!.status).toBe('queued');
    expect(h!.not_before!.getTime()).toBeGreaterThanOrEqual(new Date('2026-07-05T05:00:00Z').getTime()); // not on the 3rd nor the 4th
    expect(h!.hold_reasons!.some((r) => r.jurisdiction === 'US-AL' && /holiday/i.test(r.rule))).toBe(true);
  });

  it('across the spring DST change: 08:00 EDT on 8 March 2026 is 12:00Z, not 13:00Z', async () => {
    const clock = manualClock(new Date('2026-03-08T06:00:00Z')); // 01:00 EST in Miami, before the change
    const c = await seedCampaign(legal.db.pool, { phones: [phone(7, '305')], scheduleAt: new Date('2026-03-08T05:00:00Z'), timezone: 'America/New_York' });
    const worker = legal.worker(clock);
    await worker.tick();
    expect(await worker.runOnce()).toMatchObject({ sent: 0, deferred: 1 });
    expect((await holds(c.id))[0]!.not_before).toEqual(new Date('2026-03-08T12:00:00Z'));
  });
});
