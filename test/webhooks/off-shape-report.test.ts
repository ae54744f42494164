import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport } from '../../src/reports/build.ts';
import { runCli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { eventually } from '../helpers/eventually.ts';
import { event, LINE, seedCampaign, seedMessage, seedRecipient, startReceiver, type Receiver } from './helpers.ts';

/**
 * Signed events off their documented shape are stored with what was off
 * (shape_issues) and counted in the campaign report (JSON, text, the
 * dashboard's card), for the campaign they concern and in all.
 */
describe('off-shape webhook events in the campaign report', () => {
  let db: TestDatabase;
  let rx: Receiver;
  beforeAll(async () => {
    db = await createTestDatabase();
    rx = await startReceiver(db.pool, { startProcessor: true });
  });
  afterAll(async () => {
    await rx?.close();
    await db?.close();
  });

  it('counts the campaign\'s odd events (a delivery report naming its message, a reply filed under it) and all of them', async () => {
    const person = '+14155559401';
    const c = await seedCampaign(db.pool, { name: 'odd-events' });
    const r = await seedRecipient(db.pool, c, person);
    await seedMessage(db.pool, { campaignId: c, ...r, to: person, providerMessageId: 'imsg_odd_1' });
    const ts = Math.floor(Date.now() / 1000);
    const before = await buildReport(db.pool, c);
    expect(before.webhookEvents).toEqual({ offShape: 0, deadLettered: 0, allOffShape: 0, allDeadLettered: 0 });

    const delivery = event('text.delivery.confirmed', { from: LINE, to: person, message_id: 'imsg_odd_1', timestamp: 'just now' });
    const reply = event('imessage.incoming', { from: person, to: LINE, body: 'thanks', timestamp: ts, attachments: [42] });
    const elsewhere = event('text.delivery.failed', { from: LINE, to: '+14155559402', message_id: 'imsg_nobody', timestamp: ts, error: { code: 7 } });
    const fine = event('text.delivery.confirmed', { from: LINE, to: person, message_id: 'imsg_odd_1', timestamp: ts });
    for (const ev of [delivery, reply, elsewhere, fine]) expect((await rx.post(ev)).status).toBe(200);

    const rows = await eventually(async () => {
      const { rows } = await db.pool.query<{ provider_event_id: string; shape_issues: string | null; processed_at: Date | null }>(
        'SELECT provider_event_id, shape_issues, processed_at FROM webhook_events WHERE provider_event_id = ANY($1)',
        [[delivery.id, reply.id, elsewhere.id, fine.id]],
      );
      return rows.length === 4 && rows.every((x) => x.processed_at) ? rows : undefined;
    }, 10_000, 'the four events processed');
    const issues = Object.fromEntries(rows.map((x) => [x.provider_event_id, x.shape_issues]));
    expect(issues[delivery.id]).toMatch(/timestamp/);
    expect(issues[reply.id]).toMatch(/attachments/);
    expect(issues[elsewhere.id]).toMatch(/error/);
    expect(issues[fine.id]).toBeNull();
    // The odd reply is still filed under the campaign.
    expect((await db.pool.query('SELECT 1 FROM inbound_messages WHERE from_phone = $1 AND campaign_id = $2', [person, c])).rowCount).toBe(1);

    const report = await buildReport(db.pool, c);
    expect(report.webhookEvents).toEqual({ offShape: 2, deadLettered: 0, allOffShape: 3, allDeadLettered: 0 });

    const env = { DATABASE_URL: db.url, LOG_LEVEL: 'warn' };
    const json = await runCli(['report', 'odd-events', '--json'], { env });
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).webhookEvents).toEqual({ offShape: 2, deadLettered: 0, allOffShape: 3, allDeadLettered: 0 });
    const text = await runCli(['report', 'odd-events'], { env });
    expect(text.stdout).toContain('Webhook events off their documented shape 2 (3 in all), dead-lettered 0 (0 in all)');
  });
});
