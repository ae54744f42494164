import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport } from '../../src/reports/build.ts';
import { runCli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { eventually } from '../helpers/eventually.ts';
import { signatureHeader, verifySignature } from '../../src/provider/webhooks.ts';
import { event, eventId, LINE, seedCampaign, seedMessage, seedRecipient, SECRET, startReceiver, type Receiver } from './helpers.ts';

/**
 * Signed events in every shape the provider's SDK accepts are stored and
 * answered 2xx, and processed leniently: never a 400, never lost.
 */
describe('webhook intake: every shape the SDK accepts', () => {
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

  const optedOut = async (phone: string) => (await db.pool.query<{ opted_out: boolean }>('SELECT opted_out FROM contacts WHERE phone = $1', [phone])).rows[0]?.opted_out;

  it.each([
    ['attachments {url, mime} without filename', { attachments: [{ url: 'https://example.com/a.jpg', mime: 'image/jpeg' }] }],
    ['an attachment as a plain URL string', { attachments: ['https://example.com/a.jpg'] }],
    ['a fractional timestamp', { timestamp: 1_780_000_200.25, attachments: [] }],
    ['a millisecond timestamp', { timestamp: 1_780_000_200_123, attachments: [] }],
  ] as const)('a STOP sent with %s is stored, answered 200, and honoured before the answer', async (_what, extra) => {
    const person = `+1415555${String(1000 + Math.floor(Math.random() * 8999))}`;
    const c = await seedCampaign(db.pool);
    await seedRecipient(db.pool, c, person);
    const ev = event('imessage.incoming', { from: person, to: LINE, body: 'STOP', timestamp: Math.floor(Date.now() / 1000), ...extra });
    const res = await rx.post(ev);
    expect(res.status).toBe(200);
    expect(await optedOut(person)).toBe(true);
  });

  it('a STOP off the documented shape (an attachment that is no URL, a timestamp that is text) is honoured before the answer, its issues kept', async () => {
    const person = '+14155559302';
    const c = await seedCampaign(db.pool);
    await seedRecipient(db.pool, c, person);
    const ev = event('imessage.incoming', { from: person, to: LINE, body: 'STOP', timestamp: 'just now', attachments: [42, { url: 'https://example.com/p.png' }] });
    expect((await rx.post(ev)).status).toBe(200);
    expect(await optedOut(person)).toBe(true);
    const row = (await db.pool.query('SELECT shape_issues FROM webhook_events WHERE provider_event_id = $1', [ev.id])).rows[0];
    expect(row.shape_issues).toMatch(/attachments/);
    const reply = (await db.pool.query('SELECT body, attachments FROM inbound_messages WHERE from_phone = $1', [person])).rows[0];
    expect(reply).toEqual({ body: 'STOP', attachments: ['https://example.com/p.png'] });
  });

  it('a photo with body null (or no body) is stored and processed as an empty reply, not an error', async () => {
    const person = '+14155559301';
    const c = await seedCampaign(db.pool);
    await seedRecipient(db.pool, c, person);
    for (const body of [null, undefined]) {
      const data: Record<string, unknown> = { from: person, to: LINE, timestamp: Math.floor(Date.now() / 1000), attachments: [{ url: 'https://example.com/p.png' }] };
      if (body === null) data.body = null;
      const ev = event('imessage.incoming', data);
      expect((await rx.post(ev)).status).toBe(200);
      await eventually(async () => (await db.pool.query(`SELECT processed_at FROM webhook_events WHERE provider_event_id = $1`, [ev.id])).rows[0]?.processed_at != null, 10_000);
      const row = (await db.pool.query(`SELECT dead_lettered_at, last_error FROM webhook_events WHERE provider_event_id = $1`, [ev.id])).rows[0];
      expect(row.dead_lettered_at).toBeNull();
    }
    expect(await optedOut(person)).toBe(false);
  });

  it('numbers.substitution with message_id null, and a known type with malformed data: stored and acknowledged, never 400', async () => {
    const sub = event('numbers.substitution', { original_number: LINE, used_number: '+14155550101', reason: 'line unavailable', message_id: null, timestamp: Math.floor(Date.now() / 1000) });
    expect((await rx.post(sub)).status).toBe(200);
    const bad = event('text.delivery.confirmed', { message_id: 42 });
    expect((await rx.post(bad)).status).toBe(200);
    const noVersion = { id: eventId(), type: 'imessage.incoming', timestamp: Date.now() / 1000, data: { from: '+14155559302', to: LINE, body: 'hi' } };
    expect((await rx.post(noVersion)).status).toBe(200);
    for (const id of [sub.id, bad.id, noVersion.id]) {
      expect((await db.pool.query(`SELECT 1 FROM webhook_events WHERE provider_event_id = $1`, [id])).rowCount).toBe(1);
    }
  });

  it('signatures as the SDK checks them: header in any case, late ones within the tolerance, 0 turns the check off, rotation', async () => {
    const body = JSON.stringify(event('unknown.type', {}));
    const now = 1_780_000_000;
    const late = signatureHeader(body, SECRET, now - 250);
    expect(verifySignature(body, late, ['whsec_other_secret', SECRET], 300, now)).toMatchObject({ ok: true });
    expect(verifySignature(body, signatureHeader(body, SECRET, now - 301), [SECRET], 300, now)).toEqual({ ok: false, reason: 'stale', skewSeconds: 301 });
    expect(verifySignature(body, signatureHeader(body, SECRET, now - 86_400), [SECRET], 0, now)).toMatchObject({ ok: true });
    const res = await fetch(`${rx.url}/webhooks/contiguity`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Contiguity-Signature': signatureHeader(body, SECRET, Date.now() / 1000) },
      body,
    });
    expect(res.status).toBe(200);
  });

  it('numbers.substitution moves the contact\'s sticky line to the line used and keeps the unavailable one as requested', async () => {
    const person = '+14155559303';
    const c = await seedCampaign(db.pool);
    const r = await seedRecipient(db.pool, c, person);
    await db.pool.query(`UPDATE contacts SET sticky_line = $2 WHERE id = $1`, [r.contactId, LINE]);
    const id = await seedMessage(db.pool, { campaignId: c, ...r, to: person, providerMessageId: 'imsg_subst_1' });
    const used = '+14155550101';
    const ev = event('numbers.substitution', { original_number: LINE, used_number: used, reason: 'line unavailable', message_id: 'imsg_subst_1', timestamp: Math.floor(Date.now() / 1000) });
    expect((await rx.post(ev)).status).toBe(200);
    await eventually(async () => (await db.pool.query(`SELECT sticky_line FROM contacts WHERE id = $1`, [r.contactId])).rows[0].sticky_line === used, 10_000);
    const m = (await db.pool.query(`SELECT from_line, requested_line FROM outbound_messages WHERE id = $1`, [id])).rows[0];
    expect(m).toEqual({ from_line: used, requested_line: LINE });
  });

  it('off-shape events are kept with their issues and counted in the campaign report: the campaign\'s odd events (a delivery report naming its message, a reply filed under it) and all of them', async () => {
    const person = '+14155559401';
    const c = await seedCampaign(db.pool, { name: 'odd-events' });
    const r = await seedRecipient(db.pool, c, person);
    await seedMessage(db.pool, { campaignId: c, ...r, to: person, providerMessageId: 'imsg_odd_1' });
    const ts = Math.floor(Date.now() / 1000);
    const before = await buildReport(db.pool, c);
    expect(before.webhookEvents).toMatchObject({ offShape: 0, deadLettered: 0 });
    // Other tests of this file stored odd events too: the totals grow by this test's three.
    const all = before.webhookEvents.allOffShape + 3;
    const dead = before.webhookEvents.allDeadLettered;

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
    expect(report.webhookEvents).toEqual({ offShape: 2, deadLettered: 0, allOffShape: all, allDeadLettered: dead });

    const env = { DATABASE_URL: db.url, LOG_LEVEL: 'warn' };
    const json = await runCli(['report', 'odd-events', '--json'], { env });
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).webhookEvents).toEqual({ offShape: 2, deadLettered: 0, allOffShape: all, allDeadLettered: dead });
    const text = await runCli(['report', 'odd-events'], { env });
    expect(text.stdout).toContain(`Webhook events off their documented shape 2 (${all} in all), dead-lettered 0 (${dead} in all)`);
  });
});
