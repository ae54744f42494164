import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueConversationMessage } from '../../src/dispatch/conversation.ts';
import { createImessageClient, type ImessageClient } from '../../src/provider/client.ts';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { eventually } from '../helpers/eventually.ts';
import { LINE, seedCampaign, seedRecipient, startReceiver, type Receiver } from './helpers.ts';

describe('enqueueConversationMessage: the one way to queue a message outside a run', () => {
  let db: TestDatabase;
  let rx: Receiver;
  let sim: SimulatorHandle;
  let client: ImessageClient & { close(): void };

  beforeAll(async () => {
    db = await createTestDatabase();
    sim = await startSimulator({ lines: [LINE], imessageRatio: 1, replyRatio: 0, pacing: false });
    client = createImessageClient({ baseUrl: sim.url, apiKey: sim.apiKey, retry: { maxRetries: 0, baseDelayMs: 10, maxDelayMs: 20 } });
    rx = await startReceiver(db.pool, { client });
  });
  afterAll(async () => {
    await rx?.close();
    client?.close();
    await sim?.stop();
  });

  const settled = (id: number) =>
    eventually(
      async () => (await db.pool.query(`SELECT status, last_error, provider_message_id FROM outbound_messages WHERE id = $1 AND status NOT IN ('queued', 'sending')`, [id])).rows[0],
      10_000,
      `message ${id} to be settled`,
    );

  it('is sent once, paced and recorded, to a person who consents; skipped for one opted out; a confirmation still reaches the opted out', async () => {
    const campaignId = await seedCampaign(db.pool, { sender_lines: [LINE] });
    const yes = await seedRecipient(db.pool, campaignId, '+16505552001');
    const no = await seedRecipient(db.pool, campaignId, '+16505552002');
    await db.pool.query(`UPDATE contacts SET opted_out = true WHERE id = $1`, [no.contactId]);

    const toYes = await enqueueConversationMessage(db.pool, { kind: 'auto_reply', campaignId, recipientId: yes.recipientId, contactId: yes.contactId, toPhone: '+16505552001', fromLine: LINE, body: 'hello there' });
    const toNo = await enqueueConversationMessage(db.pool, { kind: 'auto_reply', contactId: no.contactId, toPhone: '+16505552002', fromLine: LINE, body: 'not for you' });
    const confirm = await enqueueConversationMessage(db.pool, { kind: 'opt_out_confirmation', contactId: no.contactId, toPhone: '+16505552002', fromLine: LINE, body: 'You are unsubscribed.' });

    const sent = await settled(toYes!);
    expect(sent).toMatchObject({ status: 'sent', last_error: null });
    expect(await settled(toNo!)).toMatchObject({ status: 'skipped', last_error: 'recipient opted out' });
    expect(await settled(confirm!)).toMatchObject({ status: 'sent' });
    await rx.pipeline.care!.idle();
    const bodies = sim.sent().map((s) => `${s.to} ${s.from} ${s.body}`);
    expect(bodies.sort()).toEqual([`+16505552001 ${LINE} hello there`, `+16505552002 ${LINE} You are unsubscribed.`]);
    expect(sim.sent().find((s) => s.body === 'hello there')!.id).toBe(sent.provider_message_id);
  });
});
