import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { eventually } from '../helpers/eventually.ts';
import { startSimulator } from '../../src/simulator/index.ts';
import { createImessageClient } from '../../src/provider/client.ts';
import { count, event, LINE, seedCampaign, seedMessage, seedRecipient, startReceiver, type Receiver } from './helpers.ts';

/** SMS fallback reports whose id is the fallback SMS's own, not the iMessage send's (simulator fallbackSmsId: 'own'). */
describe('SMS fallback delivery reports with an id of their own', () => {
  let db: TestDatabase;
  let rx: Receiver;
  const processed = (id: string) => count(db.pool, 'SELECT 1 FROM webhook_events WHERE provider_event_id = $1 AND processed_at IS NOT NULL', [id]);
  const deliver = async (ev: { id: string }) => {
    expect((await rx.post(ev)).status).toBe(200);
    await eventually(() => processed(ev.id), 5_000, `processing of ${ev.id}`);
  };
  const fallbackCampaign = async () => {
    const id = await seedCampaign(db.pool);
    await db.pool.query(`UPDATE campaigns SET fallback_when = '{imessage_unsupported}', fallback_from = '+14155550190' WHERE id = $1`, [id]);
    return id;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    rx = await startReceiver(db.pool);
  });
  afterAll(() => rx?.close());

  it('is matched by recipient, line and time window when exactly one message fits', async () => {
    const campaignId = await fallbackCampaign();
    const r = await seedRecipient(db.pool, campaignId, '+14155550301');
    const sentAt = new Date(Date.now() - 60_000);
    const id = await seedMessage(db.pool, { campaignId, ...r, to: '+14155550301', providerMessageId: 'imsg_fb_1', sentAt });
    // Reported on the campaign's fallback line, with the SMS's own id.
    await deliver(event('text.delivery.confirmed', { from: '+14155550190', to: '+14155550301', message_id: 'sms_other_1', timestamp: Math.floor(Date.now() / 1000) }));
    const m = (await db.pool.query(`SELECT status, channel, fallback_used, provider_message_id FROM outbound_messages WHERE id = $1`, [id])).rows[0];
    expect(m).toMatchObject({ status: 'delivered', channel: 'sms', fallback_used: true, provider_message_id: 'imsg_fb_1' });
  });

  it('is not guessed onto a message when two fit, nor onto one sent outside the window or to someone else', async () => {
    const campaignId = await fallbackCampaign();
    const a = await seedRecipient(db.pool, campaignId, '+14155550302');
    const now = Date.now();
    const m1 = await seedMessage(db.pool, { campaignId, ...a, to: '+14155550302', sentAt: new Date(now - 30_000) });
    const m2 = await seedMessage(db.pool, { campaignId, ...a, to: '+14155550302', sentAt: new Date(now - 20_000) });
    const b = await seedRecipient(db.pool, campaignId, '+14155550303');
    const old = await seedMessage(db.pool, { campaignId, ...b, to: '+14155550303', sentAt: new Date(now - 3 * 24 * 3600_000) });
    for (const to of ['+14155550302', '+14155550303', '+14155550304']) {
      const ev = event('text.delivery.confirmed', { from: LINE, to, message_id: `sms_x_${to}`, timestamp: Math.floor(now / 1000) });
      expect((await rx.post(ev)).status).toBe(200);
    }
    // Stored, not applied: they wait (a send with that id may still be recorded), never lost.
    await new Promise((r) => setTimeout(r, 500));
    const st = await db.pool.query(`SELECT id, status FROM outbound_messages WHERE id = ANY($1::bigint[]) ORDER BY id`, [[m1, m2, old]]);
    expect(st.rows.map((x) => x.status)).toEqual(['sent', 'sent', 'sent']);
    expect(await count(db.pool, `SELECT 1 FROM webhook_events WHERE payload->'data'->>'message_id' LIKE 'sms_x_%'`)).toBe(3);
  });

  it('the simulator switch gives fallback reports an id no send answer named', async () => {
    const events: { type: string; data: { message_id: string } }[] = [];
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        events.push(JSON.parse(raw));
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const sim = await startSimulator({ imessageRatio: 0, smsFailureRate: 0, replyRatio: 0, pacing: false, timing: { deliveryMs: 20 }, webhookUrl: `http://127.0.0.1:${port}/`, faults: { fallbackSmsId: 'own' } });
    const client = createImessageClient({ baseUrl: sim.url, apiKey: 'contiguity_sk_test' });
    try {
      const sent = await client.send({ to: '+14155550305', message: 'hi', fallback: { when: ['imessage_unsupported'] } });
      await eventually(() => events.filter((e) => e.type === 'text.delivery.confirmed').length, 5_000, 'fallback report');
      const report = events.find((e) => e.type === 'text.delivery.confirmed')!;
      expect(report.data.message_id).not.toBe(sent.message_id);
    } finally {
      await sim.stop();
      client.close();
      server.close();
    }
  });
});
