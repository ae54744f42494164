import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { buildReport } from '../../src/reports/build.ts';
import { recipientsCsvStream } from '../../src/reports/csv.ts';
import { reportSchema } from '../../src/reports/schema.ts';
import { formatReport } from '../../src/reports/text.ts';
import { manualClock, phone, seedCampaign } from '../dispatch/fixtures.ts';
import { useLegalDispatch } from '../dispatch/legal-fixtures.ts';

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let s = '';
  for await (const chunk of stream) s += chunk.toString();
  return s;
}

// The report of a campaign the rules held, capped and expired, through the
// real dispatcher: the counts add up, "waiting because" names the rule,
// jurisdiction and until when, and the per-recipient CSV says it per row.
describe('legal holds in the report', () => {
  const legal = useLegalDispatch({ poolSize: 6, seed: 1921 });

  it('waiting, skipped by a cap and expired: counts add up, reasons per rule, the CSV column, transactional said', async () => {
    // Wednesday 2026-03-11 15:00Z: 11:00 EDT. Three sends to a Florida person fill the cap first.
    const t0 = new Date('2026-03-11T15:00:00Z');
    const clock = manualClock(t0);
    const worker = legal.worker(clock);
    const capped = phone(1, '305');
    for (let i = 0; i < 3; i++) await seedCampaign(legal.db.pool, { phones: [capped], scheduleAt: t0 });
    await worker.tick();
    await worker.runOnce();
    // 01:30Z on the 12th is 21:30 EDT: the Florida hours hold the others until 08:00 EDT (12:00Z).
    clock.set(new Date('2026-03-12T01:30:00Z'));
    const c = await seedCampaign(legal.db.pool, { phones: [capped, phone(2, '305'), phone(3, '305'), phone(4, '212')], scheduleAt: clock.now() });
    await legal.db.pool.query(`UPDATE campaigns SET on_cap = 'skip' WHERE id = $1`, [c.id]);
    await worker.tick();
    await worker.runOnce();
    // The New York number is held too (21:30 is past the federal 21:00). One Florida row is then made expired, as the send-by sweep leaves it.
    const { rows: ids } = await legal.db.pool.query<{ id: number; to_phone: string }>(`SELECT id, to_phone FROM outbound_messages WHERE campaign_id = $1 ORDER BY id`, [c.id]);
    await legal.db.pool.query(
      `UPDATE outbound_messages SET status = 'expired', expired_at = $2, not_before = NULL,
              hold_reasons = '[{"rule":"campaign.send-by","jurisdiction":"campaign","kind":"send-by","until":null}]' WHERE id = $1`,
      [ids.find((r) => r.to_phone === phone(3, '305'))!.id, clock.now()],
    );

    const report = reportSchema.parse(await buildReport(legal.db.pool, c.id, { now: clock.now() }));
    expect(report.campaign.legal).toEqual({ transactional: false, rules: 'federal and state hours, holidays and caps (marketing)', sendBy: null, recentContactHours: null, onCap: 'skip' });
    // The hours come before the cap: at 21:30 the capped person is held by the hours, not yet skipped.
    expect(report.byStatus).toMatchObject({ queued: 3, expired: 1, skipped: 0 });
    expect(report.outcomes.messages).toBe(4);
    expect(report.outcomes.expired).toBe(1);
    expect(report.outcomes.reachedOutcome).toBe(1);
    expect(report.legalReasons).toContainEqual({ state: 'waiting', rule: 'US-FL.hours', jurisdiction: 'US-FL', messages: 2, until: '2026-03-12T12:00:00.000Z' });
    expect(report.legalReasons).toContainEqual({ state: 'waiting', rule: 'US.hours', jurisdiction: 'US', messages: 3, until: '2026-03-12T12:00:00.000Z' });
    expect(report.legalReasons).toContainEqual({ state: 'expired', rule: 'campaign.send-by', jurisdiction: 'campaign', messages: 1, until: null });

    // At 08:00 EDT the capped person is skipped (3 sends in the last 24 h), the others go.
    clock.set(new Date('2026-03-12T12:00:01Z'));
    await worker.runOnce();
    const after = reportSchema.parse(await buildReport(legal.db.pool, c.id, { now: clock.now() }));
    expect(after.byStatus).toMatchObject({ queued: 0, expired: 1, skipped: 1, sent: 2 });
    expect(after.totals).toMatchObject({ skippedCapped: 1, skippedOptedOut: 0, expired: 1 });
    expect(after.outcomes.messages).toBe(Object.values(after.byStatus).reduce((a, b) => a + b, 0));
    expect(after.legalReasons).toEqual([
      { state: 'skipped', rule: 'US-FL.cap', jurisdiction: 'US-FL', messages: 1, until: null },
      { state: 'expired', rule: 'campaign.send-by', jurisdiction: 'campaign', messages: 1, until: null },
    ]);
    const text = formatReport(after);
    expect(text).toMatch(/Legal rules: federal and state hours, holidays and caps \(marketing\); capped messages are skipped/);
    expect(text).toMatch(/skipped \(frequency cap\)\s+1/);
    expect(text).toMatch(/expired \(send-by deadline\)\s+1/);
    expect(text).toMatch(/1\s+skipped\s+US-FL\.cap\s+US-FL/);

    const csv = parse(await readAll(await recipientsCsvStream(legal.db.pool, c.id)), { columns: true }) as Record<string, string>[];
    const of = (p: string) => csv.find((r) => r.phone === p)!;
    expect(of(capped).hold_reason).toMatch(/^skipped: US-FL\.cap \(US-FL\)/);
    expect(of(capped).consent_note).toBe('');
    expect(of(phone(3, '305')).hold_reason).toBe('expired: campaign.send-by (campaign)');
    expect(of(phone(2, '305'))).toMatchObject({ status: 'sent', hold_reason: '', not_before: '' });
  });

  it('a transactional campaign says so, and the waiting rows name their rule and until when in the CSV', async () => {
    const clock = manualClock(new Date('2026-03-17T01:30:00Z')); // 21:30 EDT: past the federal 21:00 too
    const worker = legal.worker(clock);
    const c = await seedCampaign(legal.db.pool, { phones: [phone(11, '305')], scheduleAt: clock.now() });
    await legal.db.pool.query(`UPDATE campaigns SET transactional = true WHERE id = $1`, [c.id]);
    await worker.tick();
    await worker.runOnce();
    const report = reportSchema.parse(await buildReport(legal.db.pool, c.id, { now: clock.now() }));
    expect(report.campaign.legal.rules).toBe('federal hours only (transactional)');
    expect(formatReport(report)).toMatch(/Legal rules: federal hours only \(transactional\)/);
    // Federal 08:00 EDT only: no Florida rule among the reasons.
    expect(report.legalReasons).toEqual([{ state: 'waiting', rule: 'US.hours', jurisdiction: 'US', messages: 1, until: '2026-03-17T12:00:00.000Z' }]);
    const [row] = parse(await readAll(await recipientsCsvStream(legal.db.pool, c.id)), { columns: true }) as Record<string, string>[];
    expect(row).toMatchObject({ status: 'queued', not_before: '2026-03-17T12:00:00.000Z', hold_reason: 'waiting: US.hours (US) until 2026-03-17T12:00:00.000Z' });
  });
});
