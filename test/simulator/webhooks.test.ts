import { afterAll, describe, expect, it } from 'vitest';
import { parseEvent, verifySignature } from '../../src/provider/webhooks.ts';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { startCapture, type Captured, type Script } from '../provider/capture.ts';
import { explain, webhookValidator } from '../provider/openapi.ts';
import { call, numbers } from './helpers.ts';
import { eventually } from '../helpers/eventually.ts';

const SECRET = 'whsec_sim_webhook_test';
const LINE = '+14155550100';
const OPT_OUT = /^(stop|stop please|unsubscribe|cancel|quit|stop all|end)$/i;

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(closers.map((c) => c()));
});

async function setup(opts: Parameters<typeof startSimulator>[0], script: (req: Captured, n: number) => Script = () => ({ status: 200 })) {
  const receiver = await startCapture(script);
  const sim: SimulatorHandle = await startSimulator({ webhookUrl: `${receiver.url}/webhooks`, secret: SECRET, pacing: false, ...opts });
  closers.push(() => sim.stop(), () => receiver.close());
  return { receiver, sim };
}

/** Every webhook received: signed with the secret over its raw body, and valid per wh.json. */
function checkAll(requests: Captured[]) {
  return requests.map((r) => {
    expect(r.method).toBe('POST');
    expect(r.url).toBe('/webhooks');
    expect(r.headers['content-type']).toBe('application/json');
    expect(verifySignature(r.body, r.headers['contiguity-signature'] as string, [SECRET])).toMatchObject({ ok: true });
    const json = JSON.parse(r.body) as { type: string };
    const v = webhookValidator(json.type);
    expect(v(json), `${r.body} ${explain(v)}`).toBe(true);
    return parseEvent(r.body);
  });
}

describe('signed v2 webhooks', () => {
  it('SMS delivery confirmed and failed, each once per SMS, signed and valid per wh.json', async () => {
    const { receiver, sim } = await setup({ imessageRatio: 0, smsFailureRate: 0.5, replyRatio: 0, timing: { deliveryMs: 20 } });
    const nums = numbers(20);
    for (const to of nums) await call(sim.url, 'POST', '/send/imessage', { to, from: LINE, message: 'hi', fallback: { when: ['imessage_unsupported'] } });
    await eventually(() => receiver.requests.length >= 20, 5_000, '20 delivery webhooks');
    const events = checkAll(receiver.requests);
    const byId = new Map(sim.sent().map((s) => [s.id, s]));
    const types = new Set<string>();
    for (const e of events) {
      if (!e.known || (e.type !== 'text.delivery.confirmed' && e.type !== 'text.delivery.failed')) throw new Error(`unexpected ${e.type}`);
      types.add(e.type);
      const s = byId.get(e.data.message_id)!;
      expect(e.data).toMatchObject({ to: s.to, from: s.from });
      if (e.type === 'text.delivery.failed') expect(e.data.error).not.toBe('');
    }
    expect(types).toEqual(new Set(['text.delivery.confirmed', 'text.delivery.failed']));
    expect(new Set(events.map((e) => (e.data as { message_id: string }).message_id)).size).toBe(20);
    // the failures are visible through get as well
    const failed = events.filter((e) => e.type === 'text.delivery.failed').map((e) => (e.data as { message_id: string }).message_id);
    const g = await call(sim.url, 'GET', `/conversations/history/message/${failed[0]}`);
    expect((g.json as { data: { status: string } }).data.status).toBe('failed');
  });

  it('replies: imessage.incoming from iMessage recipients, text.incoming.sms from the others; from = person, to = our line', async () => {
    const { receiver, sim } = await setup({ imessageRatio: 0.5, replyRatio: 1, optOutRatio: 0, smsFailureRate: 0, timing: { deliveryMs: 10, replyMs: 20 } });
    const nums = numbers(10);
    for (const to of nums) await call(sim.url, 'POST', '/send/imessage', { to, from: LINE, message: 'hello', fallback: { when: ['imessage_unsupported'] } });
    const replyTypes = new Set(['imessage.incoming', 'text.incoming.sms']);
    await eventually(() => receiver.requests.filter((r) => replyTypes.has(JSON.parse(r.body).type)).length >= 10, 5_000, '10 replies');
    const replies = checkAll(receiver.requests).filter((e) => replyTypes.has(e.type));
    for (const e of replies) {
      const d = e.data as { from: string; to: string; body: string };
      expect(nums).toContain(d.from);
      expect(d.to).toBe(LINE);
      expect(e.type).toBe(sim.hasImessage(d.from) ? 'imessage.incoming' : 'text.incoming.sms');
      expect(d.body).not.toMatch(OPT_OUT);
    }
    expect(new Set(replies.map((e) => e.type)).size).toBe(2);
    // an iMessage reply shows up in the conversation
    const imReply = replies.find((e) => e.type === 'imessage.incoming')!.data as { from: string; body: string };
    const h = await call(sim.url, 'GET', `/conversations/history/imessage/${encodeURIComponent(imReply.from)}/${encodeURIComponent(LINE)}/20`);
    expect((h.json as { data: { conversation: { from: string; message: string }[] } }).data.conversation.at(-1)).toMatchObject({ from: imReply.from, message: imReply.body });
  });

  it('opt-out replies: with optOutRatio 1 every reply is a STOP-like word; with 0.3 only some are', async () => {
    const all = await setup({ imessageRatio: 1, replyRatio: 1, optOutRatio: 1, timing: { deliveryMs: 5, replyMs: 10 } });
    const some = await setup({ imessageRatio: 1, replyRatio: 1, optOutRatio: 0.3, timing: { deliveryMs: 5, replyMs: 10 } });
    const nums = numbers(40);
    for (const to of nums) {
      await call(all.sim.url, 'POST', '/send/imessage', { to, from: LINE, message: 'promo' });
      await call(some.sim.url, 'POST', '/send/imessage', { to, from: LINE, message: 'promo' });
    }
    await eventually(() => all.receiver.requests.length >= 40 && some.receiver.requests.length >= 40, 5_000, '80 replies');
    const bodies = (r: Captured[]) => checkAll(r).map((e) => (e.data as { body: string }).body);
    expect(bodies(all.receiver.requests).every((b) => OPT_OUT.test(b))).toBe(true);
    const stops = bodies(some.receiver.requests).filter((b) => OPT_OUT.test(b)).length;
    expect(stops).toBeGreaterThan(2);
    expect(stops).toBeLessThan(25);
  });

  it('retries an event the receiver does not acknowledge with 2xx, then stops after maxAttempts', async () => {
    const attempts = new Map<string, number>();
    const { receiver, sim } = await setup(
      { imessageRatio: 0, replyRatio: 0, smsFailureRate: 0, timing: { deliveryMs: 5 }, webhook: { maxAttempts: 3, retryDelayMs: 10 } },
      (req) => {
        const id = (JSON.parse(req.body) as { id: string }).id;
        const n = (attempts.get(id) ?? 0) + 1;
        attempts.set(id, n);
        const to = (JSON.parse(req.body) as { data: { to: string } }).data.to;
        // the first recipient's receipt is never acknowledged; the second's on the third try
        if (to === numbers(1)[0]) return { status: 500 };
        if (n < 3) return n === 1 ? 'drop' : { status: 503 };
        return { status: 204 };
      },
    );
    for (const to of numbers(2)) await call(sim.url, 'POST', '/send/imessage', { to, from: LINE, message: 'x', fallback: { when: ['imessage_unsupported'] } });
    const records = await eventually(() => {
      const r = sim.webhooks();
      return r.length === 2 && r.every((x) => x.state !== 'pending') ? r : undefined;
    }, 5_000, 'both events settled');
    const byTo = new Map(records.map((r) => [(r.event.data as { to: string }).to, r]));
    expect(byTo.get(numbers(2)[0]!)).toMatchObject({ state: 'failed', attempts: 3, last: 500 });
    expect(byTo.get(numbers(2)[1]!)).toMatchObject({ state: 'delivered', attempts: 3, last: 204 });
    expect(receiver.requests).toHaveLength(6);
    // every attempt of an event carries the same event id and a valid signature
    checkAll(receiver.requests);
    expect(new Set(receiver.requests.map((r) => JSON.parse(r.body).id)).size).toBe(2);
  });

  it('emits nothing without a webhook URL, and stop() is idempotent', async () => {
    const sim = await startSimulator({ pacing: false, imessageRatio: 0, replyRatio: 1, timing: { deliveryMs: 1, replyMs: 1 } });
    await call(sim.url, 'POST', '/send/imessage', { to: numbers(1)[0], message: 'x', fallback: { when: ['imessage_unsupported'] } });
    expect(sim.webhooks()).toEqual([]);
    await Promise.all([sim.stop(), sim.stop()]);
    await sim.stop();
    await expect(fetch(`${sim.url}/__sim/sent`)).rejects.toThrow();
  });
});
