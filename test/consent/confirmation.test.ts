import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { enqueueConversationMessage } from '../../src/dispatch/conversation.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { count, incoming, LINE, seedCampaign, seedMessage, seedRecipient, startReceiver, type Receiver } from '../webhooks/helpers.ts';

describe('consent: one confirmation per opt-out', () => {
  let db: TestDatabase;
  let rx: Receiver;
  beforeAll(async () => {
    db = await createTestDatabase();
    // No provider client: the confirmations stay queued for the care workers, where this test reads them.
    rx = await startReceiver(db.pool, { confirmationText: 'You are unsubscribed. Reply START to come back.' });
  });
  afterAll(() => rx?.close());

  const confirmations = (phone: string) =>
    db.pool.query(`SELECT body, status, error_retryable, from_line, campaign_id FROM outbound_messages WHERE kind = 'opt_out_confirmation' AND to_phone = $1`, [phone]).then((r) => r.rows);

  it('is queued with the opt-out, due at once, with the campaign’s text or else the deployment’s; a repeated STOP gets none', async () => {
    const campaignId = await seedCampaign(db.pool, { opt_out_confirmation: 'Campaign says bye.' });
    const r = await seedRecipient(db.pool, campaignId, '+16505551001');
    await seedMessage(db.pool, { campaignId, ...r, to: '+16505551001' });
    expect((await rx.post(incoming('+16505551001', 'STOP'))).status).toBe(200);
    expect((await rx.post(incoming('+16505551001', 'stop!!'))).status).toBe(200);
    expect(await confirmations('+16505551001')).toEqual([{ body: 'Campaign says bye.', status: 'queued', error_retryable: null, from_line: LINE, campaign_id: campaignId }]);

    // A stranger (no campaign): the deployment's text.
    expect((await rx.post(incoming('+16505551002', 'unsubscribe me'))).status).toBe(200);
    expect((await confirmations('+16505551002')).map((c) => c.body)).toEqual(['You are unsubscribed. Reply START to come back.']);
  });

  it('a unique constraint keeps it to one per opt-out reply', async () => {
    const inbound = (await db.pool.query<{ id: number; contact_id: number }>(`SELECT id, contact_id FROM inbound_messages WHERE from_phone = '+16505551002'`)).rows[0]!;
    const again = await enqueueConversationMessage(db.pool, { kind: 'opt_out_confirmation', contactId: inbound.contact_id, toPhone: '+16505551002', fromLine: LINE, body: 'twice?', confirmsInboundId: inbound.id });
    expect(again).toBeNull();
    expect(await count(db.pool, `SELECT 1 FROM outbound_messages WHERE kind = 'opt_out_confirmation' AND to_phone = '+16505551002'`)).toBe(1);
  });
});
