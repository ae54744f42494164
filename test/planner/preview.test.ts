import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlan, formatPlan } from '../../src/planner/plan.ts';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { runCli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { manualClock, phone, providerClient, seedCampaign, testWorker } from '../dispatch/fixtures.ts';

// The preview renders for the next campaign_runs id: checked against what the
// dispatcher really enqueues when it starts that run.
describe('plan --preview: the rendered message per recipient', () => {
  let db: TestDatabase;
  let sim: SimulatorHandle;
  beforeAll(async () => {
    db = await createTestDatabase();
    sim = await startSimulator({ pacing: false, imessageRatio: 1, seed: 20 });
  });
  afterAll(() => sim?.stop());

  it('shows the body and variant the dispatcher then enqueues, the alternatives, encoding and segments; opted-out and strangers named', async () => {
    const phones = Array.from({ length: 6 }, (_, i) => phone(i, '312'));
    const c = await seedCampaign(db.pool, { phones, window: null, scheduleAt: new Date(Date.now() - 60_000), senderLines: ['+14155554001'] });
    await db.pool.query(`UPDATE campaigns SET message = 'Hi {{first_name}}, {sale|deals} today. Reply STOP to opt out', variants = $2 WHERE id = $1`, [
      c.id,
      ['Hello {{first_name}} — café opens at 9. Reply STOP to opt out'],
    ]);
    await db.pool.query(`INSERT INTO contacts (phone, opted_out) VALUES ($1, true)`, [phones[5]]);
    const plan = (await buildPlan(db.pool, c.id, new Date(), { preview: [...phones, '+13125559999'] }))!;
    const pv = plan.preview!;
    expect(pv.map((p) => p.verdict)).toEqual(['preview', 'preview', 'preview', 'preview', 'preview', 'opted-out', 'not-a-recipient']);
    for (const p of pv.slice(0, 5)) {
      expect(p.alternatives).toHaveLength(1);
      expect(new Set([p.chosen!.variantIndex, p.alternatives![0]!.variantIndex])).toEqual(new Set([0, 1]));
      const ucs2 = [p.chosen!, ...p.alternatives!].find((b) => b.variantIndex === 1)!;
      expect(ucs2).toMatchObject({ encoding: 'UCS-2', segments: 1 });
      // é is in GSM-7; the em dash is not.
      expect(ucs2.ucs2Characters).toEqual(['—']);
      expect([p.chosen!, ...p.alternatives!].find((b) => b.variantIndex === 0)).toMatchObject({ encoding: 'GSM-7', ucs2Characters: [] });
    }
    // Both variants occur among five people (else the check below proves little).
    expect(new Set(pv.slice(0, 5).map((p) => p.chosen!.variantIndex)).size).toBe(2);
    expect(formatPlan(plan)).toMatch(new RegExp(`preview \\(picks for run id ${pv[0]!.runId}, the next run the scheduler creates\\):\\n {4}\\${phones[0]}:\\n {6}variant #\\d \\((GSM-7|UCS-2), 1 segment`));

    const worker = testWorker(db.pool, providerClient(sim), { clock: manualClock(new Date()) });
    await worker.tick();
    const { rows } = await db.pool.query<{ run_id: number; to_phone: string; body: string; variant_index: number }>(
      `SELECT run_id, to_phone, body, variant_index FROM outbound_messages WHERE campaign_id = $1 AND status <> 'skipped' ORDER BY to_phone`,
      [c.id],
    );
    expect(rows).toHaveLength(5);
    expect(rows[0]!.run_id).toBe(pv[0]!.runId);
    expect(rows.map((r) => ({ phone: r.to_phone, body: r.body, variant: r.variant_index }))).toEqual(
      pv.slice(0, 5).map((p) => ({ phone: p.phone, body: p.chosen!.body, variant: p.chosen!.variantIndex })),
    );
  });

  it('CLI --preview (JSON) and a bad phone', async () => {
    const c = await seedCampaign(db.pool, { phones: [phone(1, '646')], status: 'draft' });
    const env = { DATABASE_URL: db.url };
    const [ok, bad] = await Promise.all([
      runCli(['campaign', 'plan', c.name, '--preview', phone(1, '646'), '--json'], { env }),
      runCli(['campaign', 'plan', c.name, '--preview', '646555'], { env }),
    ]);
    expect(ok.stderr).toBe('');
    const p = JSON.parse(ok.stdout).preview[0];
    expect(p).toMatchObject({ phone: phone(1, '646'), verdict: 'preview', chosen: { variantIndex: 0, encoding: 'GSM-7', segments: 1 }, alternatives: [] });
    expect(p.chosen.body).toMatch(/^Hi P\d{4}, (see you|hope to see you) at the fair!$/);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--preview: "646555" is not an E.164 number/);
  }, 60_000);
});
