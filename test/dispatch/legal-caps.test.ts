import { describe, expect, it } from 'vitest';
import { sendRulesInForce } from '../../src/compliance/in-force.ts';
import { loadConfig } from '../../src/config.ts';
import { createLegalHoldCheck, type CapStore } from '../../src/dispatch/legal-hold.ts';
import { createPgDispatchStore } from '../../src/dispatch/store.ts';
import { manualClock, messageStatuses, phone, seedCampaign } from './fixtures.ts';
import { useLegalDispatch } from './legal-fixtures.ts';

const H = 3_600_000;

// Frequency caps at the claim, through the real dispatcher with the shipped
// rules and an injected clock: Florida's 3 per rolling 24 h counted across
// campaigns, a campaign's choice to wait or skip, "skip people messaged in the
// last X hours", and two workers racing for the same people.
describe('frequency caps at the claim', () => {
  const legal = useLegalDispatch({ poolSize: 8, seed: 1919 });

  async function campaign(phones: string[], at: Date, o: { onCap?: 'wait' | 'skip'; recentContactHours?: number } = {}) {
    const c = await seedCampaign(legal.db.pool, { phones, scheduleAt: at, timezone: 'America/New_York' });
    await legal.db.pool.query(`UPDATE campaigns SET on_cap = $2, recent_contact_hours = $3 WHERE id = $1`, [c.id, o.onCap ?? 'wait', o.recentContactHours ?? null]);
    return c;
  }
  async function rows(campaignId: number) {
    const { rows } = await legal.db.pool.query<{ to_phone: string; status: string; not_before: Date | null; sent_at: Date | null; last_error: string | null; hold_reasons: { rule: string; jurisdiction: string; kind: string; until: string | null }[] | null }>(
      `SELECT to_phone, status::text AS status, not_before, sent_at, last_error, hold_reasons FROM outbound_messages WHERE campaign_id = $1 ORDER BY id`,
      [campaignId],
    );
    return rows;
  }

  it("Florida's 3 per 24 h across campaigns: the fourth waits until the first leaves the window, a New York number is not capped", async () => {
    // Wednesday 2026-03-11 15:00Z is 11:00 EDT in Miami.
    const t0 = new Date('2026-03-11T15:00:00Z');
    const clock = manualClock(t0);
    const fl = phone(101, '305');
    const ny = phone(102, '212');
    const worker = legal.worker(clock);
    const a = await campaign([fl], t0);
    const b = await campaign([fl], t0);
    await worker.tick();
    // Two campaigns for the same person in one claimed batch: both fit (2 of 3).
    expect(await worker.runOnce()).toMatchObject({ sent: 2 });
    clock.set(new Date(t0.getTime() + H));
    const c = await campaign([fl], clock.now());
    await worker.tick();
    expect(await worker.runOnce()).toMatchObject({ sent: 1 });
    clock.set(new Date(t0.getTime() + 2 * H));
    const d = await campaign([fl, ny], clock.now());
    await worker.tick();
    expect(await worker.runOnce()).toMatchObject({ sent: 1, deferred: 1 });
    const first = (await rows(a.id))[0]!.sent_at!;
    expect((await rows(b.id))[0]!.status).toBe('sent');
    expect((await rows(c.id))[0]!.status).toBe('sent');
    const [held, nySent] = await rows(d.id);
    expect(nySent).toMatchObject({ to_phone: ny, status: 'sent' });
    expect(held).toMatchObject({ to_phone: fl, status: 'queued' });
    // Free again once the first of the three is 24 h old (11:00 EDT next day: within Florida's hours).
    expect(held!.not_before).toEqual(new Date(first.getTime() + 24 * H));
    expect(held!.hold_reasons).toContainEqual({ rule: 'US-FL.cap', jurisdiction: 'US-FL', kind: 'cap', until: new Date(first.getTime() + 24 * H).toISOString() });
    clock.set(new Date(first.getTime() + 24 * H - 1000));
    expect(await worker.runOnce()).toMatchObject({ claimed: 0, sent: 0 });
    clock.set(new Date(first.getTime() + 24 * H + 1000));
    expect(await worker.runOnce()).toMatchObject({ sent: 1 });
    expect(await messageStatuses(legal.db.pool, d.id)).toEqual({ sent: 2 });
  });

  it('a campaign that skips capped people closes them as skipped with the rule, never sends them', async () => {
    const t0 = new Date('2026-03-17T14:00:00Z'); // Tuesday 10:00 EDT
    const clock = manualClock(t0);
    const fl = phone(201, '305');
    const worker = legal.worker(clock);
    for (let i = 0; i < 3; i++) await campaign([fl], t0);
    await worker.tick();
    expect(await worker.runOnce()).toMatchObject({ sent: 3 });
    clock.set(new Date(t0.getTime() + H));
    const skip = await campaign([fl], clock.now(), { onCap: 'skip' });
    await worker.tick();
    expect(await worker.runOnce()).toMatchObject({ sent: 0, skipped: 1 });
    const [r] = await rows(skip.id);
    expect(r!.status).toBe('skipped');
    expect(r!.last_error).toMatch(/frequency cap.*US-FL\.cap/);
    expect(r!.hold_reasons!.map((x) => x.rule)).toContain('US-FL.cap');
    clock.set(new Date(t0.getTime() + 30 * H));
    expect(await worker.runOnce()).toMatchObject({ claimed: 0, sent: 0 });
  });

  it('"skip people messaged in the last X hours" counts other campaigns\' sends, anywhere', async () => {
    const t0 = new Date('2026-03-18T15:00:00Z'); // Wednesday 11:00 EDT
    const clock = manualClock(t0);
    const messaged = phone(301, '212');
    const fresh = phone(302, '212');
    const worker = legal.worker(clock);
    await campaign([messaged], t0);
    await worker.tick();
    expect(await worker.runOnce()).toMatchObject({ sent: 1 });
    clock.set(new Date(t0.getTime() + 2 * H));
    const skipper = await campaign([messaged, fresh], clock.now(), { onCap: 'skip', recentContactHours: 48 });
    const waiter = await campaign([messaged], clock.now(), { recentContactHours: 4 });
    await worker.tick();
    await worker.runOnce();
    const [skipped, sentFresh] = await rows(skipper.id);
    expect(skipped).toMatchObject({ to_phone: messaged, status: 'skipped' });
    expect(skipped!.hold_reasons!.map((x) => x.rule)).toContain('campaign.recent-contact');
    expect(sentFresh).toMatchObject({ to_phone: fresh, status: 'sent' });
    // The 4 h waiter frees 4 h after the first send.
    const [w] = await rows(waiter.id);
    expect(w!.status).toBe('queued');
    expect(w!.not_before).toEqual(new Date(t0.getTime() + 4 * H));
  });

  it('two workers racing for the same people in two campaigns never exceed 3 per 24 h', async () => {
    const t0 = new Date('2026-03-19T14:00:00Z'); // Thursday 10:00 EDT
    const clock = manualClock(t0);
    const people = Array.from({ length: 24 }, (_, i) => phone(400 + i, '305'));
    const w0 = legal.worker(clock);
    const primers = [await campaign(people, t0), await campaign(people, t0)];
    await w0.tick();
    await w0.runOnce(); // earlier tests' held rows are due by now too: only these campaigns are asserted
    for (const c of primers) expect(await messageStatuses(legal.db.pool, c.id)).toEqual({ sent: 24 });
    clock.set(new Date(t0.getTime() + H));
    const p = await campaign(people, clock.now());
    const q = await campaign(people, clock.now());
    // Small batches so both workers claim for both campaigns at once, over and over.
    const opts = { batchSize: 3, maxInFlight: 6 };
    const w1 = legal.worker(clock, { options: opts });
    const w2 = legal.worker(clock, { options: opts });
    await w1.tick();
    const [s1, s2] = await Promise.all([w1.runOnce(), w2.runOnce()]);
    expect(s1.sent + s2.sent).toBe(24);
    // Both workers did clear messages (a race, not one worker doing it all).
    expect(Math.min(s1.sent, s2.sent)).toBeGreaterThan(0);
    const { rows: perPerson } = await legal.db.pool.query<{ to_phone: string; n: number }>(
      `SELECT to_phone, count(*)::int AS n FROM outbound_messages WHERE to_phone = ANY($1) AND sent_at > $2 GROUP BY to_phone`,
      [people, new Date(clock.now().getTime() - 24 * H)],
    );
    expect(perPerson).toHaveLength(24);
    expect(perPerson.every((r) => r.n === 3)).toBe(true);
    const statuses = { ...(await messageStatuses(legal.db.pool, p.id)) };
    for (const [k, v] of Object.entries(await messageStatuses(legal.db.pool, q.id))) statuses[k] = (statuses[k] ?? 0) + v;
    expect(statuses).toEqual({ sent: 24, queued: 24 });
  });

  it('two gates checking the same person at once are serialised by the cap locks: one clears, the other waits', async () => {
    const t0 = new Date('2026-03-24T14:00:00Z'); // Tuesday 10:00 EDT
    const clock = manualClock(t0);
    const fl = phone(501, '305');
    const w0 = legal.worker(clock);
    const primers = [await campaign([fl], t0), await campaign([fl], t0)];
    await w0.tick();
    await w0.runOnce();
    for (const c of primers) expect(await messageStatuses(legal.db.pool, c.id)).toEqual({ sent: 1 });
    clock.set(new Date(t0.getTime() + H));
    const p = await campaign([fl], clock.now());
    const q = await campaign([fl], clock.now());
    await w0.tick(); // enqueues both, claims nothing
    const store = createPgDispatchStore(legal.db.pool);
    const claim = (workerId: string, campaignId: number) => store.claimMessages({ workerId, limit: 10, leaseMs: 60_000, now: clock.now(), campaignId });
    const [rp, rq] = [await claim('gate-a', p.id), await claim('gate-b', q.id)];
    expect([rp.length, rq.length]).toEqual([1, 1]);
    // Each gate, having read the person's sends, waits for the other to have
    // read too (or 300 ms): without the lock both would read 2 sends and clear.
    let arrived = 0;
    const barrier = () => new Promise<void>((resolve) => {
      arrived++;
      const t0 = Date.now();
      const poll = () => (arrived >= 2 || Date.now() - t0 > 300 ? resolve() : setTimeout(poll, 10));
      poll();
    });
    const slowed: CapStore = {
      capTransaction: (fn) => store.capTransaction((tx) => fn({ ...tx, recentSends: async (a) => { const r = await tx.recentSends(a); await barrier(); return r; } })),
    };
    const [ga, gb] = await Promise.all([legal.legalHold(rp, clock.now(), slowed, 'gate-a'), legal.legalHold(rq, clock.now(), slowed, 'gate-b')]);
    expect(ga.ready.length + gb.ready.length).toBe(1);
    expect(ga.holds.length + gb.holds.length).toBe(1);
    expect([...ga.holds, ...gb.holds][0]!.reasons).toContainEqual(expect.objectContaining({ rule: 'US-FL.cap' }));
  });

  it('a deployment cap from BLUECAST_FREQUENCY_CAPS (1 per 7 days) holds a New York person a week; a transactional campaign is not counted nor capped by it', async () => {
    const weekly = createLegalHoldCheck(sendRulesInForce(loadConfig({ BLUECAST_FREQUENCY_CAPS: '1/7d' })));
    const t0 = new Date('2026-04-07T15:00:00Z'); // Tuesday 11:00 EDT
    const clock = manualClock(t0);
    const ny = phone(601, '212');
    const worker = legal.worker(clock, { legalHold: weekly });
    const first = await campaign([ny], t0);
    await worker.tick();
    await worker.runOnce();
    expect(await messageStatuses(legal.db.pool, first.id)).toEqual({ sent: 1 });
    clock.set(new Date(t0.getTime() + 24 * H));
    const second = await campaign([ny], clock.now());
    const receipt = await campaign([ny], clock.now());
    await legal.db.pool.query(`UPDATE campaigns SET transactional = true WHERE id = $1`, [receipt.id]);
    await worker.tick();
    await worker.runOnce();
    expect(await messageStatuses(legal.db.pool, receipt.id)).toEqual({ sent: 1 });
    const [r] = await rows(second.id);
    expect(r!.status).toBe('queued');
    expect(r!.not_before).toEqual(new Date((await rows(first.id))[0]!.sent_at!.getTime() + 7 * 24 * H));
    expect(r!.hold_reasons).toContainEqual(expect.objectContaining({ rule: 'env.1-per-168h', jurisdiction: 'deployment', kind: 'cap' }));
  });
});

describe('the send-by deadline', () => {
  const legal = useLegalDispatch({ poolSize: 6, seed: 1920 });

  async function statusOf(campaignId: number) {
    const { rows } = await legal.db.pool.query<{ status: string; expired_at: Date | null; sent_at: Date | null; hold_reasons: { rule: string }[] | null }>(
      `SELECT status::text AS status, expired_at, sent_at, hold_reasons FROM outbound_messages WHERE campaign_id = $1 ORDER BY id`,
      [campaignId],
    );
    return rows;
  }

  it('a held message still queued at the deadline is expired by the dispatcher, never sent late', async () => {
    // Sunday 2026-03-15 16:00Z is 11:00 CDT in Austin: Texas allows noon (17:00Z) on.
    const clock = manualClock(new Date('2026-03-15T16:00:00Z'));
    const c = await seedCampaign(legal.db.pool, { phones: [phone(701, '512'), phone(702, '512')], scheduleAt: new Date('2026-03-15T15:00:00Z'), timezone: 'America/Chicago' });
    const worker = legal.worker(clock);
    await worker.tick();
    expect(await worker.runOnce()).toMatchObject({ sent: 0, deferred: 2 });
    expect((await statusOf(c.id)).map((r) => r.status)).toEqual(['queued', 'queued']);
    // The operator then gives the campaign a deadline of 11:30 (16:30Z), before the hold ends: no claim will see these rows by then.
    await legal.db.pool.query(`UPDATE campaigns SET send_by = '2026-03-15T16:30:00Z' WHERE id = $1`, [c.id]);
    clock.set(new Date('2026-03-15T16:29:59Z'));
    expect(await worker.runOnce()).toMatchObject({ expired: 0 });
    clock.set(new Date('2026-03-15T16:30:00Z'));
    expect(await worker.runOnce()).toMatchObject({ sent: 0, claimed: 0, expired: 2 });
    const rows = await statusOf(c.id);
    expect(rows.map((r) => r.status)).toEqual(['expired', 'expired']);
    expect(rows[0]!.expired_at).toEqual(new Date('2026-03-15T16:30:00Z'));
    expect(rows[0]!.hold_reasons!.map((r) => r.rule)).toEqual(['campaign.send-by']);
    clock.set(new Date('2026-03-15T17:00:01Z')); // noon CDT: would have been allowed
    expect(await worker.runOnce()).toMatchObject({ sent: 0, claimed: 0 });
    expect(await messageStatuses(legal.db.pool, c.id)).toEqual({ expired: 2 });
  });

  it('a message the rules could next allow only after its deadline is expired at the claim', async () => {
    // 01:30Z is 21:30 EDT in Miami: Florida next allows 08:00 (12:00Z), after the 10:00Z deadline.
    const clock = manualClock(new Date('2026-03-12T01:30:00Z'));
    const c = await seedCampaign(legal.db.pool, { phones: [phone(703, '305')], scheduleAt: new Date('2026-03-12T01:00:00Z'), timezone: 'America/New_York' });
    await legal.db.pool.query(`UPDATE campaigns SET send_by = '2026-03-12T10:00:00Z' WHERE id = $1`, [c.id]);
    const worker = legal.worker(clock);
    await worker.tick();
    expect(await worker.runOnce()).toMatchObject({ sent: 0, expired: 1 });
    const [r] = await statusOf(c.id);
    expect(r!.status).toBe('expired');
    expect(r!.hold_reasons!.map((x) => x.rule)).toEqual(expect.arrayContaining(['US-FL.hours', 'campaign.send-by']));
  });
});
