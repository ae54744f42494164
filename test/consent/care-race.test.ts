import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImessageClient, type ImessageClient } from '../../src/provider/client.ts';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { incoming, LINE, seedCampaign, seedMessage, seedRecipient, startReceiver, type Receiver } from '../webhooks/helpers.ts';
import { eventually } from '../helpers/eventually.ts';
import { startRecordingProxy } from '../webhooks/sim.ts';

describe('consent: an auto-reply on its way is not sent after the STOP that follows it', () => {
  let db: TestDatabase;
  let rx: Receiver;
  let sim: SimulatorHandle;
  let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
  let client: ImessageClient & { close(): void };

  beforeAll(async () => {
    db = await createTestDatabase();
    proxy = await startRecordingProxy();
    sim = await startSimulator({ lines: [LINE], imessageRatio: 1, replyRatio: 0, pacing: false });
    proxy.setTarget(sim.url);
    client = createImessageClient({ baseUrl: proxy.url, apiKey: sim.apiKey, retry: { maxRetries: 0, baseDelayMs: 10, maxDelayMs: 20 } });
    // "typing…" for 800 ms before the auto-reply: the STOP arrives meanwhile.
    rx = await startReceiver(db.pool, { client, care: { typingPauseMs: () => 800 } });
  });
  afterAll(async () => {
    await rx?.close();
    client?.close();
    await sim?.stop();
    await proxy?.close();
  });

  it('a reply, then STOP during the typing pause: the auto-reply is not sent', async () => {
    const person = '+16505551101';
    const campaignId = await seedCampaign(db.pool, { care_auto_reply: 'Thanks, we will get back to you.' });
    const r = await seedRecipient(db.pool, campaignId, person);
    await seedMessage(db.pool, { campaignId, ...r, to: person });
    expect((await rx.post(incoming(person, 'who is this?'))).status).toBe(200);
    await eventually(() => Promise.resolve(proxy.calls.some((c) => c.path === '/send/imessage/typing' && c.body?.to === person)), 5_000, 'typing to start');
    expect((await rx.post(incoming(person, 'STOP'))).status).toBe(200);
    const ackAt = Date.now();
    await new Promise((res) => setTimeout(res, 1_200));
    await rx.pipeline.care!.idle();
    const sends = proxy.calls.filter((c) => c.path === '/send/imessage' && c.body?.to === person);
    expect(sends.filter((c) => c.at > ackAt)).toEqual([]);
    const row = (await db.pool.query(`SELECT status, last_error FROM outbound_messages WHERE kind = 'auto_reply' AND to_phone = $1`, [person])).rows;
    // One sender now: the auto-reply is queued after the pause and the dispatcher's claim skips it, as it skips
    // any campaign message to an opted-out person (it was 'failed' / 'not sent: the person opted out' from care's own sender).
    expect(row).toEqual([{ status: 'skipped', last_error: 'recipient opted out' }]);
  });
});
