import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { manualClock } from '../../src/dispatch/clock.ts';
import { createImessageClient } from '../../src/provider/client.ts';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { planCare } from '../../src/webhooks/care-plan.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { count, incoming, LINE, seedCampaign, seedMessage, seedRecipient, startReceiver, type Receiver } from './helpers.ts';

const PERSON = '+16505550191';
const HOUR = 3_600_000;

describe('the auto-reply at most once per person per AUTO_REPLY_ONCE_PER_HOURS', () => {
  let db: TestDatabase;
  let sim: SimulatorHandle;
  let rx: Receiver;
  const clock = manualClock(new Date('2026-12-01T12:00:00Z'));
  let campaignA: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    sim = await startSimulator({ lines: [LINE], pacing: false });
    const client = createImessageClient({ baseUrl: sim.url, apiKey: sim.apiKey });
    // No dispatcher: the auto-replies stay queued, which is all this counts.
    rx = await startReceiver(db.pool, { client, startProcessor: false, worker: false, autoReplyOncePerHours: 24, care: { clock, typingPauseMs: () => 5, settleTimeoutMs: 20 } });
    campaignA = await seedCampaign(db.pool, { care_auto_reply: 'Thanks {{first_name|there}}, a team member will get back to you shortly.' });
    const r = await seedRecipient(db.pool, campaignA, PERSON, { first_name: 'Lin' });
    await seedMessage(db.pool, { campaignId: campaignA, ...r, to: PERSON });
  });
  afterAll(async () => {
    await rx?.close();
    await sim?.stop();
  });

  const answer = async (...texts: string[]) => {
    for (const r of await Promise.all(texts.map((t) => rx.post(incoming(PERSON, t))))) expect(r.status).toBe(200);
    await rx.pipeline.processor.drain();
    await rx.pipeline.care!.idle();
  };
  const autoReplies = () => count(db.pool, `SELECT 1 FROM outbound_messages WHERE kind = 'auto_reply' AND to_phone = $1`, [PERSON]);

  it('answers the first reply, not one an hour later, again a day later; two replies at once get one', async () => {
    await answer('Is this still on?');
    expect(await autoReplies()).toBe(1);
    const { rows } = await db.pool.query(`SELECT body FROM outbound_messages WHERE kind = 'auto_reply'`);
    expect(rows[0].body).toBe('Thanks Lin, a team member will get back to you shortly.');

    clock.advance(HOUR);
    await answer('Hello?');
    expect(await autoReplies()).toBe(1);

    clock.advance(23 * HOUR); // exactly 24 h after the first
    await answer('Anyone there?');
    expect(await autoReplies()).toBe(2);

    clock.advance(25 * HOUR);
    await answer('One', 'Two', 'Three');
    expect(await autoReplies()).toBe(3);
  });

  it('counts per person across campaigns', async () => {
    const campaignB = await seedCampaign(db.pool, { care_auto_reply: 'Campaign B here, thanks!' });
    const r = await seedRecipient(db.pool, campaignB, PERSON);
    await seedMessage(db.pool, { campaignId: campaignB, ...r, to: PERSON });
    clock.advance(HOUR);
    await answer('And this one?');
    expect(await count(db.pool, `SELECT 1 FROM outbound_messages WHERE kind = 'auto_reply' AND campaign_id = $1`, [campaignB])).toBe(0);
  });

  it('0 turns the time limit off: only the first reply to each campaign is answered', () => {
    const base = {
      inboundMessageId: 1, contactId: 1, campaignId: 1, recipientId: 1, person: PERSON, line: LINE, text: 'hi', keyword: null, optedOutBefore: false,
      settings: { care_read_receipt: false, care_tapback: null, care_auto_reply: 'Thanks!', opt_out_confirmation: null },
    };
    expect(planCare({ ...base, firstReply: false, autoReplyOncePerHours: 0 })).toBeNull();
    expect(planCare({ ...base, firstReply: true, autoReplyOncePerHours: 0 })).toMatchObject({ autoReply: 'Thanks!', autoReplyOncePerMs: null });
    expect(planCare({ ...base, firstReply: false, autoReplyOncePerHours: 24 })).toMatchObject({ autoReply: 'Thanks!', autoReplyOncePerMs: 24 * HOUR });
  });

  it('is a deployment setting: AUTO_REPLY_ONCE_PER_HOURS', () => {
    expect(loadConfig({}).AUTO_REPLY_ONCE_PER_HOURS).toBe(24);
    expect(loadConfig({ AUTO_REPLY_ONCE_PER_HOURS: '0' }).AUTO_REPLY_ONCE_PER_HOURS).toBe(0);
    expect(loadConfig({ AUTO_REPLY_ONCE_PER_HOURS: '1.5' }).AUTO_REPLY_ONCE_PER_HOURS).toBe(1.5);
    expect(() => loadConfig({ AUTO_REPLY_ONCE_PER_HOURS: 'daily' })).toThrow(/AUTO_REPLY_ONCE_PER_HOURS: must be a number of hours/);
    expect(() => loadConfig({ AUTO_REPLY_ONCE_PER_HOURS: '1000' })).toThrow(/AUTO_REPLY_ONCE_PER_HOURS: must be at most 720/);
  });
});
