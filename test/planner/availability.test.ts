import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { checkAvailability } from '../../src/planner/availability.ts';
import { buildPlan } from '../../src/planner/plan.ts';
import { createSharedPacer } from '../../src/dispatch/pacing.ts';
import { createImessageClient } from '../../src/provider/client.ts';
import { runCli } from '../helpers/cli.ts';
import { availabilityRoutes } from '../../src/http/routes/availability.ts';
import { planRoutes } from '../../src/http/routes/plan.ts';
import { buildHttpServer } from '../../src/http/server.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { phone, seedCampaign } from '../dispatch/fixtures.ts';

// The channel split's availability check, on real PG and the simulator over
// 127.0.0.1: answers cached per number with their time and reused, lookups
// paced (counted per second at the simulator), 429s waited out, stale answers unknown.
describe('availability check (--check-availability)', () => {
  let db: TestDatabase;
  let sim: SimulatorHandle;
  beforeAll(async () => {
    db = await createTestDatabase();
    sim = await startSimulator({ recordRequests: true, pacing: false, imessageRatio: 0.5, seed: 20, lines: ['+14155554001'] });
  });
  afterAll(() => sim?.stop());
  const client = () => createImessageClient({ baseUrl: sim.url, apiKey: sim.apiKey });
  const lookupsOf = (phones: string[]) => sim.availabilityRequests().filter((r) => phones.includes(r.to));

  it('writes each answer with its time, and a second run asks nothing for fresh answers', async () => {
    const people = Array.from({ length: 12 }, (_, i) => phone(i, '213'));
    const c = await seedCampaign(db.pool, { phones: people, status: 'draft', senderLines: ['+14155554001'] });
    const opts = { pacer: createSharedPacer(db.pool), ratePerSecond: 50, maxAgeHours: 24 };
    const first = await checkAvailability(db.pool, client(), c.id, opts);
    const capable = people.filter((p) => sim.hasImessage(p)).length;
    expect(capable).toBeGreaterThan(0);
    expect(capable).toBeLessThan(12);
    expect(first).toMatchObject({ asked: 12, imessage: capable, sms: 12 - capable, unanswered: 0 });
    const { rows } = await db.pool.query(`SELECT phone, available, checked_at FROM availability_cache WHERE phone = ANY($1) ORDER BY phone`, [people]);
    expect(rows.map((r) => [r.phone, r.available])).toEqual([...people].sort().map((p) => [p, sim.hasImessage(p)]));
    for (const r of rows) expect(Date.now() - r.checked_at.getTime()).toBeLessThan(60_000);
    expect(lookupsOf(people)).toHaveLength(12);

    const again = await checkAvailability(db.pool, client(), c.id, opts);
    expect(again).toMatchObject({ asked: 0, imessage: 0, sms: 0 });
    expect(lookupsOf(people)).toHaveLength(12);

    const plan = (await buildPlan(db.pool, c.id, new Date(), { availabilityMaxAgeHours: 24 }))!;
    expect(plan.channels).toMatchObject({ imessage: capable, sms: 12 - capable, unknown: 0, maxAgeHours: 24 });
    expect(Date.parse(plan.channels.oldestAnswer!)).toBeLessThanOrEqual(Date.parse(plan.channels.newestAnswer!));
  }, 60_000);

  it('stays within the configured rate (token bucket: 5/s, bursts of 5), counted at the simulator', async () => {
    const people = Array.from({ length: 20 }, (_, i) => phone(i, '312'));
    const c = await seedCampaign(db.pool, { phones: people, status: 'draft', senderLines: ['+14155554001'] });
    const r = await checkAvailability(db.pool, client(), c.id, { pacer: createSharedPacer(db.pool), ratePerSecond: 5, maxAgeHours: 24, concurrency: 8 });
    expect(r.asked).toBe(20);
    const at = lookupsOf(people).map((x) => x.at).sort((a, b) => a - b);
    expect(at).toHaveLength(20);
    // 5 at once from the full bucket, then one each 200 ms: 15 more take at least 3 s.
    expect(at.at(-1)! - at[0]!).toBeGreaterThanOrEqual(2_900);
    // In any second: at most the burst plus a second's rate (arrival jitter of a few ms aside).
    for (let i = 0; i < at.length; i++) expect(at.filter((t) => t >= at[i]! && t < at[i]! + 950).length).toBeLessThanOrEqual(10);
  }, 60_000);

  it('waits out 429s with Retry-After (the provider limiting lookups) and still answers everyone', async () => {
    const people = Array.from({ length: 8 }, (_, i) => phone(i, '646'));
    const c = await seedCampaign(db.pool, { phones: people, status: 'draft', senderLines: ['+14155554001'] });
    sim.setFaults({ availabilityLimit: { ratePerSecond: 4, burst: 2 } });
    try {
      const r = await checkAvailability(db.pool, client(), c.id, { pacer: createSharedPacer(db.pool), ratePerSecond: 50, maxAgeHours: 24 });
      expect(r).toMatchObject({ asked: 8, unanswered: 0 });
      expect(r.imessage + r.sms).toBe(8);
      expect(r.rateLimited).toBeGreaterThan(0);
      const log = lookupsOf(people);
      expect(log.filter((x) => x.status === 429)).toHaveLength(r.rateLimited);
      expect(new Set(log.filter((x) => x.status === 200).map((x) => x.to)).size).toBe(8);
      const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM availability_cache WHERE phone = ANY($1)`, [people]);
      expect(rows[0].n).toBe(8);
    } finally {
      sim.clearFaults();
    }
  }, 60_000);

  it('counts answers older than the max age as unknown, and asks for them again', async () => {
    const people = Array.from({ length: 4 }, (_, i) => phone(i, '702'));
    const c = await seedCampaign(db.pool, { phones: people, status: 'draft', senderLines: ['+14155554001'] });
    await db.pool.query(
      `INSERT INTO availability_cache (phone, available, checked_at)
       SELECT p, true, now() - make_interval(hours => CASE WHEN i <= 2 THEN 1 ELSE 50 END)
         FROM unnest($1::text[]) WITH ORDINALITY AS u(p, i)`,
      [people],
    );
    const plan = (await buildPlan(db.pool, c.id, new Date(), { availabilityMaxAgeHours: 24 }))!;
    expect(plan.channels).toMatchObject({ imessage: 2, sms: 0, unknown: 2 });
    const r = await checkAvailability(db.pool, client(), c.id, { pacer: createSharedPacer(db.pool), ratePerSecond: 50, maxAgeHours: 24 });
    expect(r.asked).toBe(2);
    expect(lookupsOf(people).map((x) => x.to).sort()).toEqual([people[2], people[3]].sort());
    const after = (await buildPlan(db.pool, c.id, new Date(), { availabilityMaxAgeHours: 24 }))!;
    expect(after.channels.unknown).toBe(0);
  }, 60_000);

  it('the CLI checks, then plans with the split: counts, answer ages and an exact cost', async () => {
    const people = Array.from({ length: 10 }, (_, i) => phone(i, '415'));
    const c = await seedCampaign(db.pool, {
      phones: people, status: 'draft', senderLines: ['+14155554001'], message: 'Hi {{first_name|there}}, see you at the fair! Reply STOP to opt out',
      fallbackWhen: ['imessage_unsupported'],
    });
    const env = {
      DATABASE_URL: db.url, CONTIGUITY_API_KEY: sim.apiKey, CONTIGUITY_BASE_URL: sim.url, BLUECAST_AVAILABILITY_RATE: '50',
      BLUECAST_PRICES: JSON.stringify({ currency: 'USD', imessage: 0.001, smsSegment: 0.01 }),
    };
    const before = JSON.parse((await runCli(['campaign', 'plan', c.name, '--json'], { env })).stdout);
    expect(before.channels).toMatchObject({ imessage: 0, sms: 0, unknown: 10, oldestAnswer: null });
    expect(before.cost.total.min).toBeLessThan(before.cost.total.max);

    const res = await runCli(['campaign', 'plan', c.name, '--check-availability', '--json'], { env });
    expect(res.code).toBe(0);
    const plan = JSON.parse(res.stdout);
    const capable = people.filter((p) => sim.hasImessage(p)).length;
    expect(plan.availabilityCheck).toMatchObject({ asked: 10, imessage: capable, sms: 10 - capable });
    expect(plan.channels).toMatchObject({ imessage: capable, sms: 10 - capable, unknown: 0, maxAgeHours: 720 });
    expect(plan.channels.oldestAnswer).toMatch(/^\d{4}-/);
    expect(plan.cost.total.min).toBe(plan.cost.total.max);
    expect(plan.cost.total.min).toBeCloseTo(capable * 0.001 + (10 - capable) * plan.segments.segmentsPerRecipient * 0.01, 6);

    const text = await runCli(['campaign', 'plan', c.name], { env });
    expect(text.stdout).toContain(`channels: iMessage ${capable}, SMS ${10 - capable}, unknown 0 (answers from ${plan.channels.oldestAnswer} to ${plan.channels.newestAnswer}`);
  }, 90_000);

  it('gives clear errors for bad flags and a missing key', async () => {
    const [both, nokey] = await Promise.all([
      runCli(['campaign', 'plan', 'x', '--check-availability', '--seed', '+14155557001'], { env: { DATABASE_URL: db.url } }),
      runCli(['campaign', 'plan', (await seedCampaign(db.pool, { phones: [phone(1, '503')], status: 'draft' })).name, '--check-availability'], { env: { DATABASE_URL: db.url, CONTIGUITY_API_KEY: '' } }),
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--check-availability: cannot be combined with --seed/);
    expect(nokey.code).toBe(2);
    expect(nokey.stderr).toMatch(/CONTIGUITY_API_KEY: the availability check asks the provider/);
  }, 60_000);

  it('POST /api/campaigns/:id/availability runs the check (wait: true answers when done; else 202 and progress); GET …/plan shows the split', async () => {
    const TOKEN = 'test-token-0123456789abcdef';
    const people = Array.from({ length: 6 }, (_, i) => phone(i, '617'));
    const c = await seedCampaign(db.pool, { phones: people, status: 'draft', senderLines: ['+14155554001'] });
    const options = { pacer: createSharedPacer(db.pool), ratePerSecond: 50, maxAgeHours: 24 };
    const app = await buildHttpServer({ logger: createLogger('silent') }, [
      availabilityRoutes({ db, apiToken: TOKEN, client: client(), options }),
      planRoutes({ db, apiToken: TOKEN, plan: { availabilityMaxAgeHours: 24 } }),
    ]);
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const post = async (id: number | string, body: unknown) => {
        const res = await fetch(`${url}/api/campaigns/${id}/availability`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        return { status: res.status, body: (await res.json()) as Record<string, any> };
      };
      const bad = await post(c.id, { wait: 'yes' });
      expect(bad.status).toBe(400);
      const done = await post(c.id, { wait: true });
      const capable = people.filter((p) => sim.hasImessage(p)).length;
      expect(done).toMatchObject({ status: 200, body: { state: 'done', asked: 6, result: { imessage: capable, sms: 6 - capable, unanswered: 0 } } });
      const plan = await fetch(`${url}/api/campaigns/${c.id}/plan`, { headers: { authorization: `Bearer ${TOKEN}` } }).then((r) => r.json() as Promise<Record<string, any>>);
      expect(plan.channels).toMatchObject({ imessage: capable, sms: 6 - capable, unknown: 0 });
      // Nothing left to ask: a new check asks nothing.
      await post(c.id, { wait: true });
      expect(lookupsOf(people)).toHaveLength(6);
      expect((await post(999_999, {})).status).toBe(404);
      // Without wait: 202 at once while the paced lookups run (1/s here, after a burst of 5), then done.
      const slow = await seedCampaign(db.pool, { phones: Array.from({ length: 7 }, (_, i) => phone(i, '808')), status: 'draft' });
      options.ratePerSecond = 1;
      const started = await post(slow.id, {});
      expect(started).toMatchObject({ status: 202, body: { state: 'running' } });
      let last = started;
      const t0 = Date.now();
      for (let i = 0; i < 200 && last.body.state === 'running'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        last = await fetch(`${url}/api/campaigns/${slow.id}/availability`, { headers: { authorization: `Bearer ${TOKEN}` } }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }));
      }
      expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
      expect(last.body).toMatchObject({ state: 'done', asked: 7 });
    } finally {
      await app.close();
    }
  }, 60_000);
});
