import { describe, expect, it } from 'vitest';
import { useConversationStack } from '../helpers/conversation.ts';
import { count, incoming, LINE, seedCampaign, seedMessage, seedRecipient } from './helpers.ts';
import type { RecordedCall } from './sim.ts';
import { eventually } from '../helpers/eventually.ts';

const AUTO_REPLY = 'Thanks for writing back, {{first_name|friend}}! Someone will get back to you today.';
const AUTO_REPLY_ADA = 'Thanks for writing back, Ada! Someone will get back to you today.';
const CONFIRMATION = 'You are unsubscribed and will get no more messages. Reply START to come back.';

/** The provider operations in a call log (to one person, when named), in a form easy to compare. */
const describeCalls = (calls: RecordedCall[], person?: string) =>
  calls.filter((c) => !person || c.body?.to === person).map((c) => {
    const b = c.body ?? {};
    switch (c.path) {
      case '/send/imessage/read':
        return `read ${b.to} ${b.from}`;
      case '/send/imessage/reactions':
        return `react ${b.action} ${b.tapback} "${b.message}"`;
      case '/send/imessage/typing':
        return `typing ${b.action}`;
      case '/send/imessage':
        return `send ${b.to} ${b.from} "${b.message}"`;
      default:
        return `${c.method} ${c.path}`;
    }
  });

describe('conversation care against the simulator', () => {
  // Typing stops soon after the dispatcher records the auto-reply: the person's answer (1 s) comes after it, even on a loaded machine.
  const stack = useConversationStack({ care: { typingPauseMs: () => 30, settlePollMs: 20 }, timing: { deliveryMs: 40, readMs: 40, replyMs: 1_000 } });

  it('on a reply: read receipt, tapback, typing start, the auto-reply (rendered for the recipient), typing stop — in that order, once', async () => {
    const person = '+16505550101';
    const campaignId = await seedCampaign(stack.db.pool, { care_read_receipt: true, care_tapback: 'love', care_auto_reply: AUTO_REPLY });
    const r = await seedRecipient(stack.db.pool, campaignId, person, { first_name: 'Ada' });
    const body = 'Big news for you this week';
    const id = await seedMessage(stack.db.pool, { campaignId, ...r, to: person, body, providerMessageId: null });
    const sent = await stack.direct.send({ to: person, from: LINE, message: body });
    await stack.db.pool.query('UPDATE outbound_messages SET provider_message_id = $1 WHERE id = $2', [sent.message_id, id]);

    // The simulator's recipient answers with a signed imessage.incoming; care follows.
    const reply = await eventually(async () => (await stack.db.pool.query('SELECT body FROM inbound_messages WHERE from_phone = $1', [person])).rows[0], 10_000, 'the reply');
    await eventually(() => Promise.resolve(stack.proxy.calls.some((c) => c.path === '/send/imessage/typing' && c.body?.action === 'stop')), 10_000, 'care to finish');
    await stack.rx.pipeline.care!.idle();

    // The simulated person answers the auto-reply in turn (later calls); the care of the first reply comes first.
    const calls = describeCalls(stack.proxy.calls, person);
    expect(calls.slice(0, calls.indexOf('typing stop') + 1)).toEqual([
      `read ${person} ${LINE}`,
      `react add love "${reply.body}"`,
      'typing start',
      `send ${person} ${LINE} "${AUTO_REPLY_ADA}"`,
      'typing stop',
    ]);
    const auto = await stack.db.pool.query(`SELECT kind, status, campaign_id, recipient_id, to_phone, from_line, provider_message_id FROM outbound_messages WHERE kind <> 'campaign'`);
    const simSend = stack.sim.sent().find((s) => s.body === AUTO_REPLY_ADA)!;
    expect(auto.rows).toEqual([
      { kind: 'auto_reply', status: 'sent', campaign_id: campaignId, recipient_id: r.recipientId, to_phone: person, from_line: LINE, provider_message_id: simSend.id },
    ]);

    // The simulated person answers the auto-reply: read receipt and tapback again, but no second auto-reply.
    await eventually(() => count(stack.db.pool, 'SELECT 1 FROM inbound_messages WHERE from_phone = $1', [person]).then((n) => n === 2), 10_000, 'the answer to the auto-reply');
    await eventually(() => count(stack.db.pool, 'SELECT 1 FROM webhook_events WHERE processed_at IS NULL').then((n) => n === 0));
    await stack.rx.pipeline.care!.idle();
    expect(describeCalls(stack.proxy.calls, person).slice(5)).toEqual([`read ${person} ${LINE}`, expect.stringMatching(/^react add love /)]);

    stack.proxy.calls.length = 0;
    const again = incoming(person, 'one more thing');
    expect((await stack.rx.post(again)).status).toBe(200);
    await eventually(() => count(stack.db.pool, 'SELECT 1 FROM webhook_events WHERE provider_event_id = $1 AND processed_at IS NOT NULL', [again.id]));
    await eventually(() => Promise.resolve(stack.proxy.calls.length >= 2), 5_000, 'read and tapback');
    await stack.rx.pipeline.care!.idle();
    expect(describeCalls(stack.proxy.calls, person)).toEqual([`read ${person} ${LINE}`, 'react add love "one more thing"']);
    expect(await count(stack.db.pool, `SELECT 1 FROM outbound_messages WHERE kind = 'auto_reply'`)).toBe(1);
  });

  it('an opt-out is never answered, except once by the confirmation', async () => {
    stack.proxy.calls.length = 0;
    const person = '+16505550102';
    const campaignId = await seedCampaign(stack.db.pool, { care_read_receipt: true, care_tapback: 'like', care_auto_reply: AUTO_REPLY, opt_out_confirmation: CONFIRMATION });
    const r = await seedRecipient(stack.db.pool, campaignId, person);
    await seedMessage(stack.db.pool, { campaignId, ...r, to: person });

    const stop = incoming(person, 'STOP');
    expect((await stack.rx.post(stop)).status).toBe(200);
    await eventually(() => count(stack.db.pool, `SELECT 1 FROM outbound_messages WHERE kind = 'opt_out_confirmation' AND to_phone = $1`, [person]), 5_000, 'the confirmation');
    const again = incoming(person, 'stop.');
    expect((await stack.rx.post(again)).status).toBe(200);
    await eventually(() => count(stack.db.pool, 'SELECT 1 FROM webhook_events WHERE provider_event_id = $1 AND processed_at IS NOT NULL', [again.id]));
    await stack.rx.pipeline.care!.idle();

    // The simulated person even answers the confirmation; being opted out, they get no care for it.
    await eventually(() => count(stack.db.pool, 'SELECT 1 FROM inbound_messages WHERE from_phone = $1', [person]).then((n) => n === 3), 10_000, 'the answer to the confirmation');
    await eventually(() => count(stack.db.pool, 'SELECT 1 FROM webhook_events WHERE processed_at IS NULL').then((n) => n === 0));
    await stack.rx.pipeline.care!.idle();
    expect(describeCalls(stack.proxy.calls, person)).toEqual([`send ${person} ${LINE} "${CONFIRMATION}"`]);
    const row = (await stack.db.pool.query(`SELECT status, provider_message_id FROM outbound_messages WHERE kind = 'opt_out_confirmation'`)).rows;
    expect(row).toHaveLength(1);
    expect(row[0].status).toBe('sent');
  });

  it('campaigns without care (the default) send nothing on a reply', async () => {
    stack.proxy.calls.length = 0;
    const person = '+16505550103';
    const campaignId = await seedCampaign(stack.db.pool);
    const r = await seedRecipient(stack.db.pool, campaignId, person);
    await seedMessage(stack.db.pool, { campaignId, ...r, to: person });
    const ev = incoming(person, 'Sounds great');
    expect((await stack.rx.post(ev)).status).toBe(200);
    await eventually(() => count(stack.db.pool, 'SELECT 1 FROM webhook_events WHERE provider_event_id = $1 AND processed_at IS NOT NULL', [ev.id]));
    await stack.rx.pipeline.care!.idle();
    expect(describeCalls(stack.proxy.calls, person)).toEqual([]);
    expect((await stack.db.pool.query('SELECT replied_at IS NOT NULL AS replied FROM campaign_recipients WHERE id = $1', [r.recipientId])).rows[0]!.replied).toBe(true);
  });
});
