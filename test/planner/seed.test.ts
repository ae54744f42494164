import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { runCli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { phone, seedCampaign } from '../dispatch/fixtures.ts';

// A test send to a seed list, on the simulator: real rows rendered, sent to the
// seed phones, recorded in seed_sends and in none of the campaign's numbers.
describe('bluecast campaign plan --seed', () => {
  let db: TestDatabase;
  let sim: SimulatorHandle;
  beforeAll(async () => {
    db = await createTestDatabase();
    sim = await startSimulator({ pacing: false, imessageRatio: 1, seed: 20, lines: ['+14155554001'] });
  });
  afterAll(() => sim?.stop());

  it('renders the first N rows (or named ones) for each seed, skips an opted-out seed, and moves no campaign count', async () => {
    const people = Array.from({ length: 4 }, (_, i) => phone(i, '312'));
    const c = await seedCampaign(db.pool, { phones: people, status: 'draft', senderLines: ['+14155554001'] });
    const SEED = '+14155557001';
    const STOPPED = '+14155557002';
    await db.pool.query(`INSERT INTO contacts (phone, opted_out) VALUES ($1, true)`, [STOPPED]);
    const env = { DATABASE_URL: db.url, CONTIGUITY_API_KEY: sim.apiKey, CONTIGUITY_BASE_URL: sim.url, LOG_LEVEL: 'warn' };
    const [preview, counts] = await Promise.all([
      runCli(['campaign', 'plan', c.name, '--preview', people[0]!, people[1]!, '--json'], { env }),
      db.pool.query(`SELECT count(*)::int AS n FROM outbound_messages WHERE campaign_id = $1`, [c.id]),
    ]);
    expect(counts.rows[0].n).toBe(0);
    const expected = JSON.parse(preview.stdout).preview.map((p: { chosen: { body: string } }) => p.chosen.body);

    const res = await runCli(['campaign', 'plan', c.name, '--seed', SEED, STOPPED, '--seed-rows', '2', '--json'], { env });
    const results = JSON.parse(res.stdout);
    expect(results.map((r: { seed: string; recipient: string; status: string }) => `${r.seed}<${r.recipient}:${r.status}`)).toEqual([
      `${SEED}<${people[0]}:sent`, `${SEED}<${people[1]}:sent`, `${STOPPED}<${people[0]}:opted-out`, `${STOPPED}<${people[1]}:opted-out`,
    ]);
    expect(res.code).toBe(1);
    // The simulator got the rendered rows, to the seed alone, from the campaign's line.
    const sent = sim.sent().filter((s) => s.to === SEED || s.to === STOPPED || people.includes(s.to));
    expect(sent.map((s) => ({ to: s.to, from: s.from, body: s.body }))).toEqual(expected.map((body: string) => ({ to: SEED, from: '+14155554001', body })));
    expect(sent[0]!.body).toMatch(/^Hi P0000, /);

    const named = await runCli(['campaign', 'plan', c.name, '--seed', SEED, '--seed-recipients', people[3]!], { env });
    expect(named.code).toBe(0);
    expect(named.stdout).toMatch(new RegExp(`^\\${SEED} <- row of \\${people[3]}: sent \\(.+\\)\\n {4}variant #0: "Hi P0003, `));

    const { rows } = await db.pool.query(`SELECT to_phone, provider_message_id IS NOT NULL AS sent FROM seed_sends WHERE campaign_id = $1 ORDER BY id`, [c.id]);
    expect(rows).toEqual([{ to_phone: SEED, sent: true }, { to_phone: SEED, sent: true }, { to_phone: SEED, sent: true }]);
    // Outside the campaign's counts: no message row, no report rollup, still a draft.
    const after = await db.pool.query(
      `SELECT (SELECT count(*)::int FROM outbound_messages WHERE campaign_id = $1) AS messages,
              (SELECT count(*)::int FROM report_counts WHERE campaign_id = $1) AS rollups,
              (SELECT status::text FROM campaigns WHERE id = $1) AS status`,
      [c.id],
    );
    expect(after.rows[0]).toEqual({ messages: 0, rollups: 0, status: 'draft' });
  }, 60_000);

  it('validates the seed phones and the flags', async () => {
    const env = { DATABASE_URL: db.url, CONTIGUITY_API_KEY: sim.apiKey, CONTIGUITY_BASE_URL: sim.url };
    const [bad, rowsBad, orphan] = await Promise.all([
      runCli(['campaign', 'plan', 'x', '--seed', '4155557001'], { env }),
      runCli(['campaign', 'plan', 'x', '--seed', '+14155557001', '--seed-rows', '0'], { env }),
      runCli(['campaign', 'plan', 'x', '--seed-rows', '2'], { env }),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--seed: "4155557001" is not an E.164 number/);
    expect(rowsBad.stderr).toMatch(/--seed-rows: "0" must be a whole number from 1 to 20/);
    expect(orphan.stderr).toMatch(/--seed: give the seed phones/);
  }, 60_000);
});
