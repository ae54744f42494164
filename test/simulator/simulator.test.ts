import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { explain, responseValidator } from '../provider/openapi.ts';
import { call, numbers } from './helpers.ts';
import { eventually } from '../helpers/eventually.ts';

const LINE = '+14155550100';
const AUTH = 'Token contiguity_sk_test';

/** Every answer of the simulator must match the OpenAPI answer schema of its path and status. */
function expectContract(doc: 'send' | 'conversations', path: string, method: 'post' | 'get', a: { status: number; json: unknown }) {
  const v = responseValidator(doc, path, method, a.status);
  expect(v(a.json), `${method} ${path} ${a.status}: ${JSON.stringify(a.json)} ${explain(v)}`).toBe(true);
}

const sims: SimulatorHandle[] = [];
async function sim(opts: Parameters<typeof startSimulator>[0] = {}) {
  const s = await startSimulator(opts);
  sims.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(sims.map((s) => s.stop()));
});

describe('answers match the OpenAPI files', () => {
  let s: SimulatorHandle;
  let capable: string;
  let incapable: string;
  beforeAll(async () => {
    s = await sim({ pacing: false, imessageRatio: 0.5, timing: { deliveryMs: 10, readMs: 10, replyMs: 10 }, readRatio: 1, replyRatio: 0 });
    const nums = numbers(50);
    capable = nums.find((n) => s.hasImessage(n))!;
    incapable = nums.find((n) => !s.hasImessage(n))!;
  });

  it('send: 200 for iMessage and for SMS fallback, 400 for bad input and for an unsupported recipient without fallback', async () => {
    const ok = await call(s.url, 'POST', '/send/imessage', { to: capable, message: 'hi', from: LINE, fallback: null, attachments: null });
    expect(ok.status).toBe(200);
    expectContract('send', '/imessage', 'post', ok);
    expect((ok.json as { data: { message_id: string } }).data.message_id).toMatch(/^imsg_/);

    const sms = await call(s.url, 'POST', '/send/imessage', { to: incapable, message: 'hi', fallback: { when: ['imessage_unsupported'] } });
    expect(sms.status).toBe(200);
    expectContract('send', '/imessage', 'post', sms);
    expect((sms.json as { data: { message_id: string } }).data.message_id).toMatch(/^text_/);

    for (const body of [{ message: 'no to' }, { to: capable }, { to: capable, message: 'x', attachments: ['http://x.com/a.png'] }, { to: capable, message: 'x', fallback: {} }, 'not an object']) {
      const bad = await call(s.url, 'POST', '/send/imessage', body);
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expectContract('send', '/imessage', 'post', bad);
    }
    const unsupported = await call(s.url, 'POST', '/send/imessage', { to: incapable, message: 'hi' });
    expect(unsupported.status).toBe(400);
    expectContract('send', '/imessage', 'post', unsupported);
    expect((unsupported.json as { data: { error: string } }).data.error).toMatch(/cannot receive iMessages/);
  });

  it('401 without a token, with a token of the wrong form, or with another key than the configured one', async () => {
    for (const auth of [null, 'Bearer contiguity_sk_test', 'Token sk_live_x', 'Token contiguity_sk_']) {
      const a = await call(s.url, 'POST', '/send/imessage', { to: capable, message: 'hi' }, auth);
      expect(a.status, String(auth)).toBe(401);
      expectContract('send', '/imessage', 'post', a);
    }
    const strict = await sim({ apiKey: 'contiguity_sk_only_this' });
    expect((await call(strict.url, 'GET', `/conversations/availability/imessage/${encodeURIComponent(capable)}`, undefined, 'Token contiguity_sk_other')).status).toBe(401);
    expect((await call(strict.url, 'GET', `/conversations/availability/imessage/${encodeURIComponent(capable)}`, undefined, 'Token contiguity_sk_only_this')).status).toBe(200);
  });

  it('403 for fast_track without the entitlement', async () => {
    const noFast = await sim({ fastTrackAllowed: false });
    const a = await call(noFast.url, 'POST', '/send/imessage', { to: capable, message: 'hi', fast_track: true });
    expect(a.status).toBe(403);
    expectContract('send', '/imessage', 'post', a);
    expect(noFast.sent()).toHaveLength(0);
  });

  it.each([
    [401, false, 401, /invalid or revoked API key/],
    [403, false, 403, /agreement has not been accepted/],
    ['line-not-leased', false, 400, /the line \+14155550100 is not leased to this account/],
    ['fast-track', true, 403, /fast track is not allowed/],
  ] as const)('accountRefusal %s: the documented error envelope, nothing sent', async (fault, fastTrack, status, words) => {
    const refusing = await sim({ pacing: false, imessageRatio: 1, faults: { accountRefusal: fault } });
    const a = await call(refusing.url, 'POST', '/send/imessage', { to: capable, message: 'hi', from: LINE, ...(fastTrack ? { fast_track: true } : {}) });
    expect(a.status).toBe(status);
    expectContract('send', '/imessage', 'post', a);
    const data = (a.json as { object: string; data: { error: string; status: number; agreement_url?: string } }).data;
    expect((a.json as { object: string }).object).toBe('error');
    expect(data.status).toBe(status);
    expect(data.error).toMatch(words);
    if (fault === 403) expect(data.agreement_url).toBe('https://contiguity.com/agreements/imessage');
    expect(refusing.sent()).toHaveLength(0);
    if (fault === 'fast-track') {
      // Only fast_track sends are refused for lack of the entitlement.
      expect((await call(refusing.url, 'POST', '/send/imessage', { to: capable, message: 'hi', from: LINE })).status).toBe(200);
      expect(refusing.sent()).toHaveLength(1);
    }
  });

  it('typing, reactions and read receipts: 200 and 400 answers', async () => {
    const typing = await call(s.url, 'POST', '/send/imessage/typing', { to: capable, action: 'start' });
    expect(typing.status).toBe(200);
    expectContract('send', '/imessage/typing', 'post', typing);
    expect((typing.json as { data: unknown }).data).toEqual({ status: 'started' });
    const badTyping = await call(s.url, 'POST', '/send/imessage/typing', { to: capable, action: 'pause' });
    expect(badTyping.status).toBe(400);
    expectContract('send', '/imessage/typing', 'post', badTyping);

    await call(s.url, 'POST', '/send/imessage', { to: capable, from: LINE, message: 'react to me' });
    const react = await call(s.url, 'POST', '/send/imessage/reactions', { to: capable, from: LINE, action: 'add', tapback: 'laugh', message: 'react to me' });
    expect(react.status).toBe(200);
    expectContract('send', '/imessage/reactions', 'post', react);
    const noSuch = await call(s.url, 'POST', '/send/imessage/reactions', { to: capable, from: LINE, action: 'add', tapback: 'laugh', message: 'never sent' });
    expect(noSuch.status).toBe(400);
    expectContract('send', '/imessage/reactions', 'post', noSuch);

    const read = await call(s.url, 'POST', '/send/imessage/read', { to: capable, from: LINE });
    expect(read.status).toBe(200);
    expectContract('send', '/imessage/read', 'post', read);
    const badRead = await call(s.url, 'POST', '/send/imessage/read', { to: capable });
    expect(badRead.status).toBe(400);
    expectContract('send', '/imessage/read', 'post', badRead);
  });

  it('get, history and availability: 200 (with and without tracking), 400 and 404 answers', async () => {
    const sent = await call(s.url, 'POST', '/send/imessage', { to: capable, from: LINE, message: 'track me' });
    const id = (sent.json as { data: { message_id: string } }).data.message_id;
    for (const q of ['', '?tracking=true']) {
      const g = await call(s.url, 'GET', `/conversations/history/message/${id}${q}`);
      expect(g.status).toBe(200);
      expectContract('conversations', '/history/message/{id}', 'get', g);
      const h = await call(s.url, 'GET', `/conversations/history/imessage/${encodeURIComponent(capable)}/${encodeURIComponent(LINE)}/5${q}`);
      expect(h.status).toBe(200);
      expectContract('conversations', '/history/imessage/{to}/{from}/{limit}', 'get', h);
    }
    const sms = await call(s.url, 'POST', '/send/imessage', { to: incapable, from: LINE, message: 'by text', fallback: { when: ['imessage_unsupported'] } });
    expect(sms.status).toBe(200);
    for (const q of ['', '?tracking=true']) {
      const t = await call(s.url, 'GET', `/conversations/history/text/${encodeURIComponent(incapable)}/${encodeURIComponent(LINE)}/5${q}`);
      expect(t.status).toBe(200);
      expectContract('conversations', '/history/text/{to}/{from}/{limit}', 'get', t);
      expect((t.json as { data: { conversation: { message: string }[] } }).data.conversation.at(-1)).toMatchObject({ message: 'by text' });
    }
    for (const limit of ['0', '201', 'ten']) {
      const t = await call(s.url, 'GET', `/conversations/history/text/${encodeURIComponent(incapable)}/${encodeURIComponent(LINE)}/${limit}`);
      expect(t.status).toBe(400);
      expectContract('conversations', '/history/text/{to}/{from}/{limit}', 'get', t);
    }
    const badFrom = await call(s.url, 'GET', `/conversations/history/text/${encodeURIComponent(incapable)}/line1/5`);
    expect(badFrom.status).toBe(400);
    expectContract('conversations', '/history/text/{to}/{from}/{limit}', 'get', badFrom);
    const missing = await call(s.url, 'GET', '/conversations/history/message/imsg_nope');
    expect(missing.status).toBe(404);
    expectContract('conversations', '/history/message/{id}', 'get', missing);
    for (const limit of ['0', '201', 'ten']) {
      const h = await call(s.url, 'GET', `/conversations/history/imessage/${encodeURIComponent(capable)}/${encodeURIComponent(LINE)}/${limit}`);
      expect(h.status).toBe(400);
      expectContract('conversations', '/history/imessage/{to}/{from}/{limit}', 'get', h);
    }
    const av = await call(s.url, 'GET', `/conversations/availability/imessage/${encodeURIComponent(incapable)}`);
    expect(av.status).toBe(200);
    expectContract('conversations', '/availability/imessage/{to}', 'get', av);
    expect((av.json as { data: unknown }).data).toEqual({ available: false });
    const badAv = await call(s.url, 'GET', '/conversations/availability/imessage/12345');
    expect(badAv.status).toBe(400);
    expectContract('conversations', '/availability/imessage/{to}', 'get', badAv);
  });

  it('unknown paths and malformed JSON get error envelopes too', async () => {
    const nf = await call(s.url, 'GET', '/send/fax');
    expect(nf.status).toBe(404);
    expectContract('send', '/imessage', 'post', nf);
    const res = await fetch(`${s.url}/send/imessage`, { method: 'POST', headers: { authorization: AUTH, 'content-type': 'application/json' }, body: '{"to":' });
    expect(res.status).toBe(400);
    expectContract('send', '/imessage', 'post', { status: 400, json: await res.json() });
  });
});

describe('recipients and fallback', () => {
  it('iMessage capability is deterministic per seed and close to the ratio', async () => {
    const a = await sim({ seed: 7, imessageRatio: 0.3 });
    const b = await sim({ seed: 7, imessageRatio: 0.3 });
    const c = await sim({ seed: 8, imessageRatio: 0.3 });
    const nums = numbers(2000);
    const capA = nums.map((n) => a.hasImessage(n));
    expect(nums.map((n) => b.hasImessage(n))).toEqual(capA);
    expect(nums.map((n) => c.hasImessage(n))).not.toEqual(capA);
    const share = capA.filter(Boolean).length / nums.length;
    expect(share).toBeGreaterThan(0.26);
    expect(share).toBeLessThan(0.34);
    // availability answers the same thing over HTTP
    for (const n of nums.slice(0, 20)) {
      const r = await call(a.url, 'GET', `/conversations/availability/imessage/${encodeURIComponent(n)}`);
      expect((r.json as { data: { available: boolean } }).data.available).toBe(a.hasImessage(n));
    }
  });

  it('unsupported + imessage_unsupported → SMS on fallback.from; transient failure + imessage_fails → SMS; without it → failed', async () => {
    const s = await sim({ pacing: false, imessageRatio: 0.5, imessageFailureRate: 1, timing: { deliveryMs: 10 } });
    const nums = numbers(40);
    const capable = nums.filter((n) => s.hasImessage(n));
    const incapable = nums.filter((n) => !s.hasImessage(n));
    const smsLine = '+14155550199';
    const fb = await call(s.url, 'POST', '/send/imessage', { to: incapable[0], from: LINE, message: 'a', fallback: { when: ['imessage_unsupported'], from: smsLine } });
    expect(fb.status).toBe(200);
    const onlyFails = await call(s.url, 'POST', '/send/imessage', { to: incapable[1], message: 'b', fallback: { when: ['imessage_fails'] } });
    expect(onlyFails.status).toBe(400);
    const transient = await call(s.url, 'POST', '/send/imessage', { to: capable[0], from: LINE, message: 'c', fallback: { when: ['imessage_fails'] } });
    expect(transient.status).toBe(200);
    const failing = await call(s.url, 'POST', '/send/imessage', { to: capable[1], from: LINE, message: 'd' });
    expect(failing.status).toBe(200);
    const sent = s.sent();
    expect(sent.map((r) => [r.to, r.from, r.channel, r.fell_back])).toEqual([
      [incapable[0], smsLine, 'sms', true],
      [capable[0], LINE, 'sms', true],
      [capable[1], LINE, 'imessage', false],
    ]);
    const failedId = sent[2]!.id;
    await eventually(async () => {
      const g = await call(s.url, 'GET', `/conversations/history/message/${failedId}?tracking=true`);
      const d = (g.json as { data: { status: string; tracking: { event: string }[] } }).data;
      return d.status === 'failed' && d.tracking.some((t) => t.event === 'imessage.delivery.failed');
    }, 3_000, 'the failed iMessage');
  });

  it('a send without from goes out on a line of the pool, the same one for the same recipient', async () => {
    const lines = ['+14155550100', '+14155550101', '+14155550102', '+14155550103'];
    const s = await sim({ pacing: false, imessageRatio: 1, lines });
    const nums = numbers(30);
    for (const n of [...nums, ...nums]) await call(s.url, 'POST', '/send/imessage', { to: n, message: 'x' });
    const sent = s.sent();
    for (const r of sent) expect(lines).toContain(r.from);
    for (let i = 0; i < nums.length; i++) expect(sent[i + nums.length]!.from).toBe(sent[i]!.from);
    expect(new Set(sent.map((r) => r.from)).size).toBeGreaterThan(1);
  });
});

describe('per-line pacing', () => {
  it('allows a burst of 5 per line, then 429 with Retry-After; lines are independent; fast_track bypasses', async () => {
    const s = await sim({ imessageRatio: 1 });
    const to = numbers(1)[0]!;
    // all at once, so that no token refills in between (1/s)
    const answers = await Promise.all(Array.from({ length: 7 }, (_, i) => call(s.url, 'POST', '/send/imessage', { to, from: LINE, message: `m${i}` })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 429, 429]);
    for (const a of answers.filter((x) => x.status === 429)) {
      expectContract('send', '/imessage', 'post', a);
      expect(Number(a.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    expect((await call(s.url, 'POST', '/send/imessage', { to, from: '+14155550101', message: 'other line' })).status).toBe(200);
    expect((await call(s.url, 'POST', '/send/imessage', { to, from: LINE, message: 'urgent', fast_track: true })).status).toBe(200);
    expect(s.sent()).toHaveLength(7);
    expect(s.sent().slice(-2).map((r) => [r.body, r.fast_track])).toEqual([['other line', false], ['urgent', true]]);
  });

  it('refills at the configured rate', async () => {
    const s = await sim({ imessageRatio: 1, pacing: { ratePerSecond: 2, burst: 1 } });
    const to = numbers(1)[0]!;
    const [a, b] = await Promise.all([call(s.url, 'POST', '/send/imessage', { to, from: LINE, message: 'a' }), call(s.url, 'POST', '/send/imessage', { to, from: LINE, message: 'b' })]);
    expect([a.status, b.status].sort()).toEqual([200, 429]);
    await new Promise((r) => setTimeout(r, 550)); // one token per 500 ms at 2/s: time itself is under test here
    expect((await call(s.url, 'POST', '/send/imessage', { to, from: LINE, message: 'c' })).status).toBe(200);
  });

  it('pacing: false never answers 429', async () => {
    const s = await sim({ imessageRatio: 1, pacing: false });
    const to = numbers(1)[0]!;
    const res = await Promise.all(Array.from({ length: 30 }, (_, i) => call(s.url, 'POST', '/send/imessage', { to, from: LINE, message: `m${i}` })));
    expect(res.every((r) => r.status === 200)).toBe(true);
    expect(s.sent()).toHaveLength(30);
  });
});

describe('history and get reflect what happened', () => {
  it('iMessage: delivered → read, with tracking timelines, read time and history counts', async () => {
    const s = await sim({ pacing: false, imessageRatio: 1, readRatio: 1, replyRatio: 0, spamRatio: 0, timing: { deliveryMs: 20, readMs: 20 } });
    const to = numbers(1)[0]!;
    const r1 = await call(s.url, 'POST', '/send/imessage', { to, from: LINE, message: 'first' });
    const id = (r1.json as { data: { message_id: string } }).data.message_id;
    await call(s.url, 'POST', '/send/imessage', { to, from: LINE, message: 'second' });
    const read = await eventually(async () => {
      const g = await call(s.url, 'GET', `/conversations/history/message/${id}?tracking=true`);
      const d = (g.json as { data: { status: string; tracking: { event: string; timestamp: string }[] } }).data;
      return d.status === 'read' ? d : undefined;
    }, 3_000, 'read');
    expect(read.tracking.map((t) => t.event)).toEqual(['message.accepted', 'imessage.delivery.confirmed', 'imessage.read']);
    const times = read.tracking.map((t) => Date.parse(t.timestamp));
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    const h = await call(s.url, 'GET', `/conversations/history/imessage/${encodeURIComponent(to)}/${encodeURIComponent(LINE)}/1?tracking=true`);
    const data = (h.json as { data: { conversation: { message: string }[]; chat: { total: number; count: number; limit: number } } }).data;
    expect(data.conversation.map((c) => c.message)).toEqual(['second']);
    expect(data.chat).toMatchObject({ total: 2, count: 1, limit: 1 });
    const all = await call(s.url, 'GET', `/conversations/history/imessage/${encodeURIComponent(to)}/${encodeURIComponent(LINE)}/20`);
    const conv = (all.json as { data: { conversation: { message: string; read: number; delivery: { status: string; delayed: boolean; timestamp: number } }[] } }).data.conversation;
    expect(conv[0]).toMatchObject({ message: 'first', delivery: { status: 'delivered', delayed: false } });
    expect(conv[0]!.read).toBeGreaterThanOrEqual(conv[0]!.delivery.timestamp);
  });

  it('before delivery: get says sent, history says delayed with no read time', async () => {
    const s = await sim({ pacing: false, imessageRatio: 1, readRatio: 1, timing: { deliveryMs: 60_000 } });
    const to = numbers(1)[0]!;
    const r = await call(s.url, 'POST', '/send/imessage', { to, from: LINE, message: 'pending' });
    const id = (r.json as { data: { message_id: string } }).data.message_id;
    const g = await call(s.url, 'GET', `/conversations/history/message/${id}?tracking=true`);
    expect((g.json as { data: unknown }).data).toMatchObject({ status: 'sent', tracking: [{ event: 'message.accepted' }] });
    const h = await call(s.url, 'GET', `/conversations/history/imessage/${encodeURIComponent(to)}/${encodeURIComponent(LINE)}/20`);
    expect((h.json as { data: { conversation: unknown[] } }).data.conversation).toEqual([
      expect.objectContaining({ message: 'pending', read: 0, delivery: { status: 'delayed', delayed: true, timestamp: 0 } }),
    ]);
  });

  it('spam flags follow the spam ratio', async () => {
    const flagged = await sim({ pacing: false, imessageRatio: 1, spamRatio: 1 });
    const clean = await sim({ pacing: false, imessageRatio: 1, spamRatio: 0 });
    const to = numbers(1)[0]!;
    for (const s of [flagged, clean]) await call(s.url, 'POST', '/send/imessage', { to, from: LINE, message: 'buy now' });
    const risk = async (s: SimulatorHandle) =>
      ((await call(s.url, 'GET', `/conversations/history/imessage/${encodeURIComponent(to)}/${encodeURIComponent(LINE)}/20`)).json as { data: { conversation: { risk: { auto_reported_as_spam: boolean } }[] } }).data.conversation[0]!.risk;
    expect((await risk(flagged)).auto_reported_as_spam).toBe(true);
    expect((await risk(clean)).auto_reported_as_spam).toBe(false);
  });

  it('SMS fallbacks are in get and in the text history of the line they went out on, not in the iMessage history', async () => {
    // No SMS failures: a failed SMS (decided by a hash of its random id) gets no reply, which this test waits for.
    const s = await sim({ pacing: false, imessageRatio: 0, replyRatio: 1, optOutRatio: 0, smsFailureRate: 0, timing: { deliveryMs: 10, replyMs: 20 } });
    const [to, other] = numbers(2);
    const smsLine = '+14155550199';
    const r = await call(s.url, 'POST', '/send/imessage', { to, from: LINE, message: 'sms', fallback: { when: ['imessage_unsupported'] } });
    const id = (r.json as { data: { message_id: string } }).data.message_id;
    expect((await call(s.url, 'GET', `/conversations/history/message/${id}`)).status).toBe(200);
    const h = await call(s.url, 'GET', `/conversations/history/imessage/${encodeURIComponent(to!)}/${encodeURIComponent(LINE)}/20`);
    expect((h.json as { data: { conversation: unknown[] } }).data.conversation).toEqual([]);

    type Text = { data: { conversation: { to: string; from: string; message: string; delivery: { status: string }; tracking?: { event: string }[] }[]; chat: unknown } };
    const text = async (person: string, line: string) =>
      (await call(s.url, 'GET', `/conversations/history/text/${encodeURIComponent(person)}/${encodeURIComponent(line)}/20?tracking=true`)).json as Text;
    // Delivered, then the recipient answers by SMS on the same thread.
    const thread = await eventually(async () => {
      const t = await text(to!, LINE);
      return t.data.conversation.length === 2 ? t : undefined;
    }, 3_000, 'the SMS reply');
    expect(thread.data.conversation[0]).toMatchObject({ to, from: LINE, message: 'sms', delivery: { status: expect.stringMatching(/delivered|failed/) } });
    expect(thread.data.conversation[0]!.tracking!.map((t) => t.event)).toContain('imessage.fallback');
    expect(thread.data.conversation[1]).toMatchObject({ to: LINE, from: to });
    expect(thread.data.chat).toEqual({ limit: 20, total: 2, count: 2 });

    // With fallback.from the SMS is filed under that line, where /__sim/sent says it went out.
    await call(s.url, 'POST', '/send/imessage', { to: other, from: LINE, message: 'via the SMS line', fallback: { when: ['imessage_unsupported'], from: smsLine } });
    expect(s.sent().find((x) => x.to === other)).toMatchObject({ from: smsLine, channel: 'sms', fell_back: true });
    // (The person's answer, 20 ms later, may already be in the thread too.)
    expect((await text(other!, smsLine)).data.conversation.filter((c) => c.from !== other).map((c) => [c.from, c.message])).toEqual([[smsLine, 'via the SMS line']]);
    expect((await text(other!, LINE)).data.conversation).toEqual([]);
  });

  it('the text history holds no iMessage', async () => {
    const s = await sim({ pacing: false, imessageRatio: 1 });
    const to = numbers(1)[0]!;
    await call(s.url, 'POST', '/send/imessage', { to, from: LINE, message: 'blue bubble' });
    const t = await call(s.url, 'GET', `/conversations/history/text/${encodeURIComponent(to)}/${encodeURIComponent(LINE)}/20`);
    expect((t.json as { data: { conversation: unknown[]; chat: unknown } }).data).toMatchObject({ conversation: [], chat: { total: 0, count: 0 } });
  });
});

describe('faults and inspection', () => {
  it('errorRate 1 answers 500 without acting; DELETE /__sim/faults restores service', async () => {
    const s = await sim({ pacing: false, imessageRatio: 1 });
    const to = numbers(1)[0]!;
    const f = await call(s.url, 'POST', '/__sim/faults', { errorRate: 1 }, null);
    expect(f.status).toBe(200);
    const a = await call(s.url, 'POST', '/send/imessage', { to, message: 'x' });
    expect(a.status).toBe(500);
    expectContract('send', '/imessage', 'post', a);
    expect(s.sent()).toHaveLength(0);
    await fetch(`${s.url}/__sim/faults`, { method: 'DELETE' });
    expect((await call(s.url, 'POST', '/send/imessage', { to, message: 'x' })).status).toBe(200);
  });

  it('an outage window answers 503 until it ends', async () => {
    const s = await sim({ pacing: false, imessageRatio: 1 });
    const to = numbers(1)[0]!;
    s.setFaults({ outage: { from: Date.now() - 10, until: Date.now() + 1_000 } });
    const a = await call(s.url, 'POST', '/send/imessage', { to, message: 'x' });
    expect(a.status).toBe(503);
    expectContract('send', '/imessage', 'post', a);
    await eventually(async () => (await call(s.url, 'POST', '/send/imessage', { to, message: 'x' })).status === 200, 3_000, 'end of outage');
    expect(s.sent()).toHaveLength(1);
  });

  it('latency is added to answers', async () => {
    const s = await sim({ pacing: false, imessageRatio: 1 });
    await call(s.url, 'POST', '/__sim/faults', { latencyMs: 120 }, null);
    const t0 = Date.now();
    await call(s.url, 'GET', `/conversations/availability/imessage/${encodeURIComponent(numbers(1)[0]!)}`);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(110);
  });

  it('dropped connections: before acting nothing is sent; after acting the send exists but the answer is lost', async () => {
    const s = await sim({ pacing: false, imessageRatio: 1 });
    const to = numbers(1)[0]!;
    s.setFaults({ dropConnections: 1 });
    await expect(call(s.url, 'POST', '/send/imessage', { to, message: 'lost' })).rejects.toThrow();
    expect(s.sent()).toHaveLength(0);
    s.setFaults({ dropPhase: 'after' });
    await expect(call(s.url, 'POST', '/send/imessage', { to, message: 'ghost' })).rejects.toThrow();
    expect(s.sent().map((r) => r.body)).toEqual(['ghost']);
    s.clearFaults();
    expect(s.faults()).toMatchObject({ dropConnections: 0, errorRate: 0, outage: null });
  });

  it('POST /__sim/faults rejects bad values; GET /__sim/sent lists accepted sends with their fields', async () => {
    const s = await sim({ pacing: false, imessageRatio: 1 });
    const bad = await call(s.url, 'POST', '/__sim/faults', { errorRate: 2 }, null);
    expect(bad.status).toBe(400);
    const to = numbers(1)[0]!;
    await call(s.url, 'POST', '/send/imessage', { to, from: LINE, message: 'x', attachments: ['https://cdn.example.com/a.jpg'], fast_track: true });
    const list = await call(s.url, 'GET', '/__sim/sent', undefined, null);
    expect(list.json).toEqual([
      { id: expect.stringMatching(/^imsg_/), to, from: LINE, body: 'x', channel: 'imessage', at: expect.any(String), fast_track: true, attachments: ['https://cdn.example.com/a.jpg'], fell_back: false },
    ]);
    expect(s.requests()).toBe(1);
  });
});
