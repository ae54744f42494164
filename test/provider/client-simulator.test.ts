import { afterAll, describe, expect, it } from 'vitest';
import { createImessageClient } from '../../src/provider/client.ts';
import { ProviderError } from '../../src/provider/errors.ts';
import { ValidationError } from '../../src/lib/errors.ts';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { numbers } from '../simulator/helpers.ts';
import { eventually } from '../helpers/eventually.ts';

const LINE = '+14155550100';
const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

async function setup(simOpts: Parameters<typeof startSimulator>[0] = {}, retry = { maxRetries: 4, baseDelayMs: 20, maxDelayMs: 200 }) {
  const sim: SimulatorHandle = await startSimulator(simOpts);
  const client = createImessageClient({ baseUrl: sim.url, apiKey: sim.apiKey, timeoutMs: 2_000, retry });
  cleanups.push(() => client.close(), () => sim.stop());
  return { sim, client };
}

describe('the client against the simulator', () => {
  it('all eight operations', async () => {
    const { sim, client } = await setup({ pacing: false, imessageRatio: 1, readRatio: 1, replyRatio: 0, timing: { deliveryMs: 10, readMs: 10 } });
    const to = numbers(1)[0]!;
    expect(await client.availability(to)).toEqual({ available: true });

    const { message_id } = await client.send({ to, from: LINE, message: 'Hello **there**' });
    expect(message_id).toMatch(/^imsg_/);
    const replied = await client.reply({ data: { from: to, to: LINE } }, { message: 'a reply' });
    expect(sim.sent().map((s) => [s.id, s.to, s.from, s.body])).toEqual([
      [message_id, to, LINE, 'Hello **there**'],
      [replied.message_id, to, LINE, 'a reply'],
    ]);

    expect(await client.typing({ to, action: 'start', from: LINE })).toEqual({ status: 'started' });
    expect(await client.typing({ to, action: 'stop' })).toEqual({ status: 'stopped' });
    expect(await client.react('add', { to, from: LINE, tapback: 'love', message: 'a reply' })).toMatchObject({ status: 'added' });
    expect(await client.read({ to, from: LINE })).toMatchObject({ status: 'sent' });

    const got = await eventually(async () => {
      const m = await client.get(message_id, { tracking: true });
      return m.status === 'read' ? m : undefined;
    }, 3_000, 'read status');
    expect(got).toMatchObject({ id: message_id, to, from: LINE, message: 'Hello **there**', attachments: [] });
    expect(got.tracking!.map((t) => t.event)).toContain('imessage.read');
    expect((await client.get(message_id)).tracking).toBeUndefined();

    const h = await client.history({ to, from: LINE, tracking: true });
    expect(h.conversation.map((c) => c.message)).toEqual(['Hello **there**', 'a reply']);
    expect(h.conversation[0]!.tracking).toBeDefined();
    expect(h.reactions).toEqual([expect.objectContaining({ reaction: 'love', on: 'a reply', action: 'added', from: LINE })]);
    expect(h.chat).toMatchObject({ total: 2, count: 2, limit: 20 });

    const notFound = await client.get('imsg_doesnotexist').catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(ProviderError);
    expect(notFound).toMatchObject({ status: 404, retryable: false });
  });

  it('textHistory finds an SMS fallback on the line it went out on; history does not', async () => {
    const { sim, client } = await setup({ pacing: false, imessageRatio: 0, replyRatio: 0, timing: { deliveryMs: 10 } });
    const to = numbers(1)[0]!;
    const smsLine = '+14155550199';
    const { message_id } = await client.send({ to, from: LINE, message: 'fell back', fallback: { when: ['imessage_unsupported'], from: smsLine } });
    expect(sim.sent()).toEqual([expect.objectContaining({ id: message_id, from: smsLine, channel: 'sms' })]);
    expect((await client.history({ to, from: LINE })).conversation).toEqual([]);
    expect((await client.textHistory({ to, from: LINE })).conversation).toEqual([]);
    const t = await client.textHistory({ to, from: smsLine, limit: 5, tracking: true });
    expect(t.conversation).toEqual([expect.objectContaining({ to, from: smsLine, message: 'fell back', attachments: [] })]);
    expect(t.conversation[0]!.tracking!.map((e) => e.event)).toContain('imessage.fallback');
    expect(t.chat).toEqual({ limit: 5, total: 1, count: 1 });
  });

  it('429 then success: the paced line answers 429 with Retry-After and the client waits and succeeds', async () => {
    // 0.5/s: the next token is 2 s away, far more than the two first sends can take
    const { sim, client } = await setup({ imessageRatio: 1, pacing: { ratePerSecond: 0.5, burst: 2 } });
    const to = numbers(1)[0]!;
    await client.send({ to, from: LINE, message: '1' });
    await client.send({ to, from: LINE, message: '2' });
    const before = sim.requests();
    const t0 = Date.now();
    await client.send({ to, from: LINE, message: '3' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_900);
    expect(sim.requests() - before).toBe(2);
    expect(sim.sent().map((s) => s.body)).toEqual(['1', '2', '3']);
  });

  it('429 without Retry-After (retryAfter: absent): the client backs off on its own, sends once, and the answer carries no header', async () => {
    // One token a second: the raw request right after the first send finds the bucket empty even on a loaded machine.
    const { sim, client } = await setup({ imessageRatio: 1, pacing: { ratePerSecond: 1, burst: 1 }, faults: { retryAfter: 'absent' } }, { maxRetries: 40, baseDelayMs: 20, maxDelayMs: 100 });
    const to = numbers(1)[0]!;
    await client.send({ to, from: LINE, message: '1' });
    const raw = await fetch(`${sim.url}/send/imessage`, { method: 'POST', headers: { authorization: `Token ${sim.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ to, from: LINE, message: 'x' }) });
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBeNull();
    await client.send({ to, from: LINE, message: '2' });
    expect(sim.sent().map((s) => s.body)).toEqual(['1', '2']);
  });

  it('outage then success: 503s are retried with backoff until the window ends; exactly one send', async () => {
    // ~30 retries averaging ≤50 ms each: they outlast the 500 ms outage by far, whatever the jitter draws
    const { sim, client } = await setup({ pacing: false, imessageRatio: 1 }, { maxRetries: 30, baseDelayMs: 25, maxDelayMs: 100 });
    sim.setFaults({ outageMs: 500 });
    const to = numbers(1)[0]!;
    const r = await client.send({ to, message: 'after the outage' });
    expect(sim.requests()).toBeGreaterThan(1);
    expect(sim.sent().map((s) => s.id)).toEqual([r.message_id]);
  });

  it("mode safe does not retry a dropped-after-acting send (no duplicate); mode all would", async () => {
    const { sim, client } = await setup({ pacing: false, imessageRatio: 1 }, { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 10 });
    sim.setFaults({ dropConnections: 1, dropPhase: 'after' });
    const to = numbers(1)[0]!;
    const e = await client.send({ to, message: 'once' }, { retry: 'safe' }).catch((x: unknown) => x);
    expect(e).toMatchObject({ kind: 'network', ambiguous: true });
    expect(sim.sent()).toHaveLength(1);
    await client.send({ to, message: 'thrice' }).catch(() => undefined);
    expect(sim.sent().filter((s) => s.body === 'thrice')).toHaveLength(3);
  });

  it('400, 401 and 403 are not retried: one request each', async () => {
    const { sim, client } = await setup({ pacing: false, imessageRatio: 0, fastTrackAllowed: false });
    const to = numbers(1)[0]!;
    // 400: recipient without iMessage and no fallback (valid input, refused by the provider)
    await expect(client.send({ to, message: 'x' })).rejects.toMatchObject({ status: 400, retryable: false });
    expect(sim.requests()).toBe(1);
    await expect(client.send({ to, message: 'x', fast_track: true, fallback: { when: ['imessage_unsupported'] } })).rejects.toMatchObject({ status: 403, retryable: false });
    expect(sim.requests()).toBe(2);
    const strict = await startSimulator({ apiKey: 'contiguity_sk_right' });
    cleanups.push(() => strict.stop());
    const wrongKey = createImessageClient({ baseUrl: strict.url, apiKey: 'contiguity_sk_wrong', retry: { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 1 } });
    cleanups.push(() => wrongKey.close());
    await expect(wrongKey.availability(to)).rejects.toMatchObject({ status: 401, retryable: false, providerMessage: 'Unauthorized' });
    expect(strict.requests()).toBe(1);
  });

  it('validation errors make no request to the simulator', async () => {
    const { sim, client } = await setup();
    await expect(client.send({ to: '+1', message: 'x' })).rejects.toBeInstanceOf(ValidationError);
    await expect(client.history({ to: numbers(1)[0]!, from: LINE, limit: 0 })).rejects.toBeInstanceOf(ValidationError);
    await expect(client.react('add', { to: numbers(1)[0]!, from: LINE, tapback: 'wow' as never, message: 'x' })).rejects.toBeInstanceOf(ValidationError);
    expect(sim.requests()).toBe(0);
  });
});
