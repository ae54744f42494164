import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger.ts';
import { createImessageClient } from '../../src/provider/client.ts';
import { createDeliveryReconciler } from '../../src/webhooks/delivery-reconciler.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { LINE, seedCampaign, seedMessage, seedRecipient } from './helpers.ts';

/**
 * A provider answering exactly as the contract documents but with what it
 * leaves open set the harsh way: `get`'s status a value we never assumed
 * ("read" with no timeline) and an off-schema entry in the thread's history.
 */
describe('delivery reconciler reads documented fields only', () => {
  let db: TestDatabase;
  let server: Server;
  let url = '';
  const READ_AT = 1_780_000_100;
  const DELIVERED_AT = 1_780_000_050;
  let historyCalls = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0]!;
      res.setHeader('content-type', 'application/json');
      const envelope = (data: unknown) => JSON.stringify({ id: 'req_1', timestamp: 1_780_000_200, api_version: 'v2026.8.2', object: 'response', data });
      if (path.startsWith('/conversations/history/message/')) {
        const id = decodeURIComponent(path.split('/').pop()!);
        res.end(envelope({ id, to: '+14155550401', from: LINE, message: 'Hi there', timestamp: 1_780_000_000, status: 'read', attachments: [], tracking: [] }));
      } else if (path.startsWith('/conversations/history/imessage/')) {
        historyCalls++;
        res.end(envelope({
            conversation: [
              { to: '+14155550401', from: LINE, message: 'odd', timestamp: 'yesterday' },
              { to: '+14155550401', from: LINE, message: 'Hi there', timestamp: 1_780_000_000, read: READ_AT, delivery: { status: 'delivered', delayed: false, timestamp: DELIVERED_AT }, risk: { auto_reported_as_spam: false, marked_as_spam: false }, attachments: [] },
            ],
            reactions: [],
        }));
      } else {
        res.statusCode = 404;
        res.end(envelope({ error: 'not found', status: 404 }));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('read comes from the history entry\'s read time, delivery from delivery.status; the off-schema entry is skipped and counted', async () => {
    const campaignId = await seedCampaign(db.pool);
    const r = await seedRecipient(db.pool, campaignId, '+14155550401');
    const id = await seedMessage(db.pool, { campaignId, ...r, to: '+14155550401', body: 'Hi there', providerMessageId: 'imsg_doc_1', sentAt: new Date(1_780_000_000_000) });
    const client = createImessageClient({ baseUrl: url, apiKey: 'contiguity_sk_test' });
    let skipped = 0;
    const rec = createDeliveryReconciler({ pool: db.pool, client, logger: createLogger('silent'), policy: { firstDelayMs: 0 }, onSkippedEntries: (n) => (skipped += n) });
    const s = await rec.runOnce();
    await rec.stop();
    client.close();
    expect(s).toMatchObject({ polled: 1, errors: 0 });
    expect(historyCalls).toBeGreaterThan(0);
    expect(skipped).toBe(1);
    const m = (await db.pool.query(`SELECT status, delivered_at, read_at, next_poll_at FROM outbound_messages WHERE id = $1`, [id])).rows[0];
    expect(m).toMatchObject({ status: 'read', delivered_at: new Date(DELIVERED_AT * 1000), read_at: new Date(READ_AT * 1000), next_poll_at: null });
  });

  it('a get status we never assumed proves no more than "sent" when history does not show the message', async () => {
    const campaignId = await seedCampaign(db.pool);
    const r = await seedRecipient(db.pool, campaignId, '+14155550402');
    const id = await seedMessage(db.pool, { campaignId, ...r, to: '+14155550402', body: 'Not in history', providerMessageId: 'imsg_doc_2', sentAt: new Date() });
    const client = createImessageClient({ baseUrl: url, apiKey: 'contiguity_sk_test' });
    const rec = createDeliveryReconciler({ pool: db.pool, client, logger: createLogger('silent'), policy: { firstDelayMs: 0 } });
    await rec.runOnce();
    await rec.stop();
    client.close();
    const m = (await db.pool.query(`SELECT status, read_at, poll_attempts, next_poll_at FROM outbound_messages WHERE id = $1`, [id])).rows[0];
    // Still polled (capped by maxAttempts), not marked read on an undocumented status.
    expect(m).toMatchObject({ status: 'sent', read_at: null, poll_attempts: 1, next_poll_at: expect.any(Date) });
  });
});
