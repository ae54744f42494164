import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHttpServer } from '../../src/http/server.ts';
import { inboxRoutes } from '../../src/http/routes/inbox.ts';
import { createInbox } from '../../src/inbox/inbox.ts';
import { renderQuickReply } from '../../src/inbox/quick-replies.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { createImessageClient } from '../../src/provider/client.ts';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { LINE, seedCampaign, seedMessage, seedRecipient } from '../webhooks/helpers.ts';

const TOKEN = 'quick-replies-token-0123456789';
const ADA = '+16505550181';
const BOB = '+16505550182';

describe('quick replies through the inbox API', () => {
  let db: TestDatabase;
  let sim: SimulatorHandle;
  let api: Awaited<ReturnType<typeof buildHttpServer>>;
  let url: string;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const thread = (phone: string) => `phone=${encodeURIComponent(phone)}&line=${encodeURIComponent(LINE)}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    sim = await startSimulator({ lines: [LINE], pacing: false });
    const client = createImessageClient({ baseUrl: sim.url, apiKey: sim.apiKey });
    api = await buildHttpServer({ logger: createLogger('silent') }, [inboxRoutes({ inbox: createInbox({ pool: db.pool, client, readReceipts: false }), apiToken: TOKEN })]);
    url = await api.listen({ port: 0, host: '127.0.0.1' });
    const campaignId = await seedCampaign(db.pool, {});
    for (const [phone, vars] of [[ADA, { 'First Name': 'Ada', city: 'Oakland' }], [BOB, {}]] as const) {
      const r = await seedRecipient(db.pool, campaignId, phone, vars);
      await seedMessage(db.pool, { campaignId, ...r, to: phone, sentAt: new Date(Date.now() - 60_000) });
      await db.pool.query(`INSERT INTO inbound_messages (from_phone, to_line, body, channel, sent_at) VALUES ($1, $2, 'When are you open?', 'imessage', now())`, [phone, LINE]);
    }
  });
  afterAll(async () => {
    await api?.close();
    await sim?.stop();
  });

  it('saves, lists (by name, whatever the case), replaces and refuses a template that does not compile', async () => {
    expect((await call('GET', '/api/inbox/quick-replies')).body).toEqual({ quickReplies: [] });
    const bad = await call('PUT', '/api/inbox/quick-replies', { name: 'hours', body: 'Hi {{first_name' });
    expect(bad.status).toBe(400);
    expect(bad.body.issues[0].path).toBe('body');
    expect((await call('PUT', '/api/inbox/quick-replies', { name: '', body: 'x' })).body.issues[0]).toMatchObject({ path: 'name' });
    expect((await call('PUT', '/api/inbox/quick-replies', { name: 'Hours', body: 'Hi {{first_name|there}}, we open at 9.' })).status).toBe(200);
    expect((await call('PUT', '/api/inbox/quick-replies', { name: 'city', body: 'See you in {{city}}!' })).status).toBe(200);
    // The same name in another case replaces it.
    expect((await call('PUT', '/api/inbox/quick-replies', { name: 'hours', body: 'Hi {{first_name|there}}, we open at 9 {today|tomorrow}.' })).status).toBe(200);
    const list = (await call('GET', '/api/inbox/quick-replies')).body.quickReplies;
    expect(list.map((q: any) => [q.name, q.body])).toEqual([
      ['city', 'See you in {{city}}!'],
      ['hours', 'Hi {{first_name|there}}, we open at 9 {today|tomorrow}.'],
    ]);
  });

  it("renders them for the thread's person from their CSV columns, and says when one cannot be used", async () => {
    const ada = (await call('GET', `/api/inbox/thread/quick-replies?${thread(ADA)}`)).body.quickReplies;
    expect(ada.find((q: any) => q.name === 'city')).toMatchObject({ text: 'See you in Oakland!', problem: null });
    expect(ada.find((q: any) => q.name === 'hours').text).toMatch(/^Hi Ada, we open at 9 (today|tomorrow)\.$/);
    const bob = (await call('GET', `/api/inbox/thread/quick-replies?${thread(BOB)}`)).body.quickReplies;
    expect(bob.find((q: any) => q.name === 'hours').text).toMatch(/^Hi there, we open at 9/);
    expect(bob.find((q: any) => q.name === 'city')).toMatchObject({ text: null, problem: expect.stringMatching(/no "city" column/) });
    // The same pick every time for one person.
    const again = (await call('GET', `/api/inbox/thread/quick-replies?${thread(ADA)}`)).body.quickReplies;
    expect(again).toEqual(ada);
  });

  it('answers with one: rendered for the person, queued through the send path', async () => {
    const sent = await call('POST', '/api/inbox/thread/reply', { phone: ADA, line: LINE, quickReply: 'CITY' });
    expect(sent.status).toBe(202);
    expect(sent.body.body).toBe('See you in Oakland!');
    const { rows } = await db.pool.query(`SELECT kind, status, body FROM outbound_messages WHERE id = $1`, [sent.body.messageId]);
    expect(rows).toEqual([{ kind: 'operator_reply', status: 'queued', body: 'See you in Oakland!' }]);
    const refused = await call('POST', '/api/inbox/thread/reply', { phone: BOB, line: LINE, quickReply: 'city' });
    expect(refused.status).toBe(400);
    expect(refused.body.issues[0].message).toMatch(/no "city" column/);
    expect((await call('POST', '/api/inbox/thread/reply', { phone: BOB, line: LINE, quickReply: 'nope' })).status).toBe(404);
    expect((await call('POST', '/api/inbox/thread/reply', { phone: BOB, line: LINE, quickReply: 'city', body: 'x' })).status).toBe(400);
  });

  it('removes one', async () => {
    expect((await call('DELETE', '/api/inbox/quick-replies?name=City')).status).toBe(200);
    expect((await call('DELETE', '/api/inbox/quick-replies?name=City')).status).toBe(404);
    expect((await call('GET', '/api/inbox/quick-replies')).body.quickReplies.map((q: any) => q.name)).toEqual(['hours']);
  });

  it('renderQuickReply: {{column|default}}, a missing column without a default is a problem', () => {
    expect(renderQuickReply('Hi {{first_name}}', { first_name: ' ' }, 'k')).toEqual({ text: null, problem: expect.stringMatching(/first_name/) });
    expect(renderQuickReply('Hi {{First Name}}', { 'first name': 'Ada' }, 'k')).toEqual({ text: 'Hi Ada', problem: null });
  });
});
