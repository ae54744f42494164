import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualOptOut } from '../../src/consent/operator.ts';
import { buildHttpServer } from '../../src/http/server.ts';
import { inboxRoutes } from '../../src/http/routes/inbox.ts';
import { createInbox } from '../../src/inbox/inbox.ts';
import { createLogger } from '../../src/lib/logger.ts';
import type { ImessageClient } from '../../src/provider/client.ts';
import type { SimulatorHandle } from '../../src/simulator/index.ts';
import { useConversationStack } from '../helpers/conversation.ts';
import type { TestDatabase } from '../helpers/db.ts';
import { eventually } from '../helpers/eventually.ts';
import { offContract } from '../provider/openapi.ts';
import { LINE, seedCampaign, seedMessage, seedRecipient, type Receiver } from '../webhooks/helpers.ts';
import type { startRecordingProxy } from '../webhooks/sim.ts';

const TOKEN = 'inbox-test-token-0123456789';
// The simulated person's words are drawn at random: "Not interested right now" is a reply flagged for a person.
const kindOf = (e: { kind: string }) => (e.kind === 'reply_possible_opt_out' ? 'reply' : e.kind);
const PERSON = '+16505550177';

describe('the inbox against the simulator', () => {
  let db: TestDatabase;
  let rx: Receiver;
  let sim: SimulatorHandle;
  let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
  let direct: ImessageClient;
  let api: Awaited<ReturnType<typeof buildHttpServer>>;
  let url: string;
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, etag: res.headers.get('etag'), body: res.status === 304 ? null : ((await res.json()) as any) };
  };

  const stack = useConversationStack({
    care: { typingPauseMs: () => 30 },
    recordRequests: true,
    // Replies 0.75–2.25 s after a send: the person's answer to our answer is stamped a second after it is sent.
    timing: { deliveryMs: 40, readMs: 40, replyMs: 1500 },
  });

  beforeAll(async () => {
    ({ db, rx, sim, proxy, direct } = stack);
    const client = stack.client;
    api = await buildHttpServer({ logger: createLogger('silent') }, [inboxRoutes({ inbox: createInbox({ pool: db.pool, client, readReceipts: true }), apiToken: TOKEN })]);
    url = await api.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('reply arrives → unread → open (read receipt, recorded) → typing → answer through the care send path → tapback (recorded) → opted out refuses; every call on contract as the simulator received it', async () => {
    const campaignId = await seedCampaign(db.pool, {});
    const r = await seedRecipient(db.pool, campaignId, PERSON, { first_name: 'Ada' });
    const id = await seedMessage(db.pool, { campaignId, ...r, to: PERSON, body: 'Big news this week', providerMessageId: null });
    const sent = await direct.send({ to: PERSON, from: LINE, message: 'Big news this week' });
    // Sent a minute ago: the reply's provider timestamp has whole seconds, so a send in the same second could sort after it.
    await db.pool.query("UPDATE outbound_messages SET provider_message_id = $1, sent_at = now() - interval '1 minute' WHERE id = $2", [sent.message_id, id]);

    const q = `/api/inbox/threads?unread=true`;
    const list = await eventually(async () => {
      const l = await call('GET', q);
      return l.body.threads.length ? l : undefined;
    }, 10_000, 'the reply in the inbox');
    expect(list.body.threads[0]).toMatchObject({ phone: PERSON, line: LINE, unread: 1, opted_out: false });
    expect(list.body).toMatchObject({ unreadThreads: 1, unreadReplies: 1 });
    expect(list.body.threads[0].campaigns).toEqual([{ id: campaignId, name: expect.any(String) }]);
    expect((await call('GET', `/api/inbox/threads?campaign=${campaignId}&line=${encodeURIComponent(LINE)}`)).body.threads).toHaveLength(1);
    expect((await call('GET', `/api/inbox/threads?campaign=${campaignId + 1}`)).body.threads).toEqual([]);
    expect((await call('GET', `/api/inbox/threads?line=12`)).status).toBe(400);
    // Polling an unchanged list costs a 304.
    expect((await call('GET', q, undefined, { 'if-none-match': list.etag! })).status).toBe(304);

    const thread = `phone=${encodeURIComponent(PERSON)}&line=${encodeURIComponent(LINE)}`;
    const opened = await call('GET', `/api/inbox/thread?${thread}`);
    expect(opened.status).toBe(200);
    expect(opened.body.readReceipt).toBe(true);
    // The receipt is a thread event of its own, after the reply it answers.
    expect(opened.body.events.map(kindOf)).toEqual(['campaign', 'reply', 'read_receipt']);
    expect((await call('GET', q)).body.threads).toEqual([]);
    const reply = opened.body.events[1];
    // Looking again with nothing new sends no second receipt.
    const again = await call('GET', `/api/inbox/thread?${thread}`);
    expect(again.body.readReceipt).toBe(false);
    expect(again.body.events.map(kindOf)).toEqual(['campaign', 'reply', 'read_receipt']);

    const t = { phone: PERSON, line: LINE };
    expect((await call('POST', '/api/inbox/thread/typing', { ...t, action: 'start' })).status).toBe(200);
    const answer = await call('POST', '/api/inbox/thread/reply', { ...t, body: 'Hi Ada, happy to help!' });
    expect(answer.status).toBe(202);
    await eventually(async () => {
      const { rows } = await db.pool.query(`SELECT status FROM outbound_messages WHERE id = $1`, [answer.body.messageId]);
      return rows[0]?.status === 'sent' || undefined;
    }, 10_000, 'the answer sent by the care workers');
    const tap = await call('POST', '/api/inbox/thread/tapback', { ...t, tapback: 'like', message: reply.body });
    expect(tap.status).toBe(200);
    // The simulator answers every message: the person writes again after our answer; opening sends a second receipt.
    await eventually(async () => (await db.pool.query(`SELECT count(*)::int AS n FROM inbound_messages WHERE from_phone = $1`, [PERSON])).rows[0].n === 2 || undefined, 10_000, 'the answer to our answer');
    const later = await call('GET', `/api/inbox/thread?${thread}`);
    expect(later.body.readReceipt).toBe(true);
    expect(later.body.events.map(kindOf)).toEqual(['campaign', 'reply', 'read_receipt', 'operator_reply', 'tapback', 'reply', 'read_receipt']);
    const tapEvent = later.body.events[4];
    expect(tapEvent).toMatchObject({ kind: 'tapback', id: tap.body.id, direction: 'none', status: 'like', body: reply.body });

    // What the simulator received from the inbox, in order, each call on contract and accepted.
    const ours = sim.received().filter((r) => (r.body as any)?.to === PERSON && (r.path !== '/send/imessage' || (r.body as any)?.message === 'Hi Ada, happy to help!'));
    expect(ours.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /send/imessage/read',
      'POST /send/imessage/typing',
      'POST /send/imessage/typing',
      'POST /send/imessage',
      'POST /send/imessage/reactions',
      'POST /send/imessage/read',
    ]);
    expect(ours.map((r) => r.body)).toEqual([
      { to: PERSON, from: LINE },
      { to: PERSON, from: LINE, action: 'start' },
      { to: PERSON, from: LINE, action: 'stop' },
      expect.objectContaining({ to: PERSON, from: LINE, message: 'Hi Ada, happy to help!' }),
      { to: PERSON, from: LINE, action: 'add', tapback: 'like', message: reply.body },
      { to: PERSON, from: LINE },
    ]);
    for (const r of ours) expect(offContract(r)).toEqual([]);
    // The simulator matched the tapback to the person's message (it answers 400 when no message has that text).
    const history = await direct.history({ to: PERSON, from: LINE, limit: 20 });
    expect(history.reactions).toEqual([expect.objectContaining({ reaction: 'like', on: reply.body, action: 'added', from: LINE })]);

    await manualOptOut(db.pool, { phone: PERSON, reason: 'asked by phone' }, 'test');
    const before = sim.received().length;
    const refused = await call('POST', '/api/inbox/thread/reply', { ...t, body: 'one more thing' });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/opted out/);
    expect((await call('POST', '/api/inbox/thread/typing', { ...t, action: 'start' })).status).toBe(409);
    expect((await call('POST', '/api/inbox/thread/tapback', { ...t, tapback: 'love', message: reply.body })).status).toBe(409);
    const last = await call('GET', `/api/inbox/thread?${thread}`);
    expect(last.body.optedOut).toBe(true);
    expect(last.body.events.map(kindOf)).toContain('consent_opt_out');
    expect(sim.received().slice(before).filter((r) => (r.body as any)?.to === PERSON)).toEqual([]);
  });

  it('what the provider refuses is not recorded: a tapback on a message it does not have, a read receipt in an outage (tried again on the next look)', async () => {
    const other = '+16505550178';
    await seedRecipient(db.pool, await seedCampaign(db.pool, {}), other);
    await direct.send({ to: other, from: LINE, message: 'Spring hours are 9–5' });
    await eventually(async () => (await db.pool.query(`SELECT 1 FROM inbound_messages WHERE from_phone = $1`, [other])).rows.length || undefined, 10_000, 'their reply');
    const thread = `phone=${encodeURIComponent(other)}&line=${encodeURIComponent(LINE)}`;
    const actions = async () => (await db.pool.query(`SELECT kind FROM inbox_actions WHERE phone = $1 ORDER BY id`, [other])).rows.map((r) => r.kind);

    sim.setFaults({ errorRate: 1, errorStatus: 500 });
    const down = await call('GET', `/api/inbox/thread?${thread}`);
    sim.clearFaults();
    expect(down.status).toBe(200);
    expect(down.body).toMatchObject({ readReceipt: false, readReceiptError: expect.stringMatching(/read receipt was not sent.*500/) });
    expect(down.body.events.map(kindOf)).toEqual(['reply']);
    expect(await actions()).toEqual([]);
    const up = await call('GET', `/api/inbox/thread?${thread}`);
    expect(up.body.readReceipt).toBe(true);
    expect(await actions()).toEqual(['read_receipt']);

    const before = sim.received().length;
    const tap = await call('POST', '/api/inbox/thread/tapback', { phone: other, line: LINE, tapback: 'love', message: 'a message nobody wrote' });
    expect(tap.status).toBe(502);
    expect(tap.body.error).toMatch(/provider did not take it.*400.*no message "a message nobody wrote"/);
    expect(sim.received().slice(before).map((r) => [r.path, r.status])).toEqual([['/send/imessage/reactions', 400]]);
    expect(await actions()).toEqual(['read_receipt']);
  });

  it('a STOP that arrives while a typing indicator is on the wire waits for it; nothing goes out after the STOP is applied', async () => {
    const person = '+16505550179';
    await seedRecipient(db.pool, await seedCampaign(db.pool, {}), person);
    await direct.send({ to: person, from: LINE, message: 'Spring hours are 9–5' });
    await eventually(async () => (await db.pool.query(`SELECT 1 FROM inbound_messages WHERE from_phone = $1`, [person])).rows.length || undefined, 10_000, 'their reply');
    const inbox = createInbox({ pool: db.pool, client: stack.client, readReceipts: false });
    const t = { phone: person, line: LINE };
    const order: string[] = [];
    sim.setFaults({ latencyMs: 800 });
    try {
      const asked = sim.requests();
      const typing = inbox.typing(t, 'start').then(() => order.push('typing accepted'));
      // The indicator is on the wire once the simulator counts the request (it answers 800 ms later); the STOP is applied then.
      await eventually(() => sim.requests() > asked || undefined, 5_000, 'typing on the wire');
      const stop = manualOptOut(db.pool, { phone: person, reason: 'STOP by text' }, 'test').then(() => order.push('stop applied'));
      await Promise.all([typing, stop]);
    } finally {
      sim.clearFaults();
    }
    // The STOP was ordered after the call that was already out, never before it.
    expect(order).toEqual(['typing accepted', 'stop applied']);
    const before = sim.received().length;
    await expect(inbox.typing(t, 'start')).rejects.toThrow(/opted out/);
    await expect(inbox.tapback(t, 'like', 'Spring hours are 9–5')).rejects.toThrow(/opted out/);
    expect(sim.received().slice(before)).toEqual([]);
  });

  it('refuses bad input with a clear error', async () => {
    const bad = await call('POST', '/api/inbox/thread/reply', { phone: '12', line: LINE, body: '' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/phone/);
    expect((await fetch(`${url}/api/inbox/threads`)).status).toBe(401);
  });
});
