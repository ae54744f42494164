import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { count, event, incoming, OLD_SECRET, startReceiver, type Receiver } from './helpers.ts';
import { eventually } from '../helpers/eventually.ts';

describe('POST /webhooks/contiguity', () => {
  let db: TestDatabase;
  let rx: Receiver;
  const stored = () => count(db.pool, 'SELECT 1 FROM webhook_events');

  beforeAll(async () => {
    db = await createTestDatabase();
    rx = await startReceiver(db.pool, { bodyLimit: 4096 });
  });
  afterAll(() => rx?.close());

  describe('rejections write nothing', () => {
    const body = () => incoming('+14155550111', 'hello');

    it('401 without a signature', async () => {
      const res = await rx.post(body(), { header: null });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'invalid signature (missing)' });
      expect(await stored()).toBe(0);
    });

    it('401 with a malformed signature header', async () => {
      expect((await rx.post(body(), { header: 'sha256=abc' })).status).toBe(401);
      expect(await stored()).toBe(0);
    });

    it('401 with a signature made with another secret', async () => {
      const res = await rx.post(body(), { secret: 'whsec_somebody_else' });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'invalid signature (mismatch)' });
      expect(await stored()).toBe(0);
    });

    it('401 when the body was changed after signing', async () => {
      const text = JSON.stringify(body());
      const { signatureHeader } = await import('../../src/provider/webhooks.ts');
      const header = signatureHeader(text, 'whsec_test_secret_one', Date.now() / 1000);
      expect((await rx.post(text.replace('hello', 'HELLO'), { header })).status).toBe(401);
      expect(await stored()).toBe(0);
    });

    it('401 with a stale timestamp (replay)', async () => {
      const res = await rx.post(body(), { t: Date.now() / 1000 - 3600 });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'invalid signature (stale)' });
      expect(await stored()).toBe(0);
    });

    it('413 beyond the body limit', async () => {
      const res = await rx.post(incoming('+14155550111', 'x'.repeat(8000)));
      expect(res.status).toBe(413);
      expect(await stored()).toBe(0);
    });

    it('400 when the signed body is not JSON', async () => {
      const res = await rx.post('this is { not json', { contentType: 'text/plain' });
      expect(res.status).toBe(400);
      expect(await stored()).toBe(0);
    });

    it('400 when the signed body is JSON but not an event', async () => {
      const res = await rx.post({ hello: 'world' });
      expect(res.status).toBe(400);
      const out = (await res.json()) as { issues: { path: string }[] };
      expect(out.issues.map((i) => i.path)).toContain('id');
      expect(await stored()).toBe(0);
    });

    it('400 when a signed body is JSON but no object with an id', async () => {
      expect((await rx.post({ type: 'imessage.incoming', data: {} })).status).toBe(400);
      expect((await rx.post([1, 2])).status).toBe(400);
      expect(await stored()).toBe(0);
    });
  });

  it('stores a valid event before answering 200, and accepts a rotated-out secret', async () => {
    const ev = incoming('+14155550112', 'hi there');
    const res = await rx.post(ev);
    expect(res.status).toBe(200);
    // Stored by the time the answer arrived: no waiting here.
    const row = await db.pool.query('SELECT type, payload FROM webhook_events WHERE provider_event_id = $1', [ev.id]);
    expect(row.rows[0]).toMatchObject({ type: 'imessage.incoming', payload: ev });

    const old = incoming('+14155550112', 'signed with the previous secret');
    expect((await rx.post(old, { secret: OLD_SECRET })).status).toBe(200);
    expect(await count(db.pool, 'SELECT 1 FROM webhook_events WHERE provider_event_id = $1', [old.id])).toBe(1);
  });

  it('a duplicate delivery answers 200 and is processed once', async () => {
    const ev = incoming('+14155550113', 'only once please');
    const answers = await Promise.all([rx.post(ev), rx.post(ev), rx.post(ev)]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect((await rx.post(ev)).status).toBe(200); // later, after the first copy is stored
    expect(await count(db.pool, 'SELECT 1 FROM webhook_events WHERE provider_event_id = $1', [ev.id])).toBe(1);
    await eventually(() => count(db.pool, 'SELECT 1 FROM webhook_events WHERE provider_event_id = $1 AND processed_at IS NOT NULL', [ev.id]), 5000, 'processing');
    expect(await count(db.pool, 'SELECT 1 FROM inbound_messages WHERE body = $1', ['only once please'])).toBe(1);
  });

  it('stores and acknowledges unknown event types, marking them processed', async () => {
    const ev = event('imessage.something.new', { whatever: [1, 2, 3] });
    expect((await rx.post(ev)).status).toBe(200);
    const row = await eventually(async () => {
      const r = await db.pool.query('SELECT processed_at, last_error, payload FROM webhook_events WHERE provider_event_id = $1', [ev.id]);
      return r.rows[0]?.processed_at ? r.rows[0] : null;
    });
    expect(row.last_error).toBeNull();
    expect(row.payload).toEqual(ev);
  });

  it('keeps an event whose text holds U+0000 (which jsonb cannot store)', async () => {
    const ev = incoming('+14155550114', 'nul\u0000here');
    expect((await rx.post(ev)).status).toBe(200);
    const r = await db.pool.query<{ payload: { data: { body: string } } }>('SELECT payload FROM webhook_events WHERE provider_event_id = $1', [ev.id]);
    expect(r.rows[0]!.payload.data.body).toBe('nul\uFFFDhere');
  });

  it('keeps an event with lone surrogate escapes in values and keys (which jsonb refuses); paired ones stay as they are', async () => {
    // JSON.stringify writes a lone surrogate as the escape "\ud800", as a provider's encoder may.
    const ev = event('fuzz.surrogates', { body: 'a\ud800b\udfffc', ['k\udc00']: '\ud83d\ude00 ok' });
    expect((await rx.post(ev)).status).toBe(200);
    const r = await db.pool.query<{ payload: { data: Record<string, string> } }>('SELECT payload FROM webhook_events WHERE provider_event_id = $1', [ev.id]);
    expect(r.rows[0]!.payload.data).toEqual({ body: 'a\uFFFDb\uFFFDc', 'k\uFFFD': '😀 ok' });
  });

  it('keeps an event whose id and type hold U+0000 (text columns refuse it)', async () => {
    const ev = event('fuzz.\u0000type', { n: 1 }, `evt_nul_\u0000_${Date.now()}`);
    expect((await rx.post(ev)).status).toBe(200);
    const r = await db.pool.query<{ type: string }>('SELECT type FROM webhook_events WHERE provider_event_id = $1', [ev.id.replace('\u0000', '\uFFFD')]);
    expect(r.rows).toEqual([{ type: 'fuzz.\uFFFDtype' }]);
  });

  it('many concurrent events are all stored before their answers', async () => {
    const events = Array.from({ length: 300 }, (_, i) => event('text.delivery.confirmed', { from: '+14155550100', to: '+14155550199', message_id: `imsg_bulk_${i}`, timestamp: 1 }));
    const answers = await Promise.all(events.map((e) => rx.post(e)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(await count(db.pool, `SELECT 1 FROM webhook_events WHERE payload->'data'->>'message_id' LIKE 'imsg_bulk_%'`)).toBe(300);
  });
});

describe('without WEBHOOK_SECRET', () => {
  it('refuses every webhook (503) and writes nothing', async () => {
    const db = await createTestDatabase();
    const rx = await startReceiver(db.pool, { secrets: undefined });
    try {
      const res = await rx.post(incoming('+14155550111', 'hello'));
      expect(res.status).toBe(503);
      expect(await count(db.pool, 'SELECT 1 FROM webhook_events')).toBe(0);
    } finally {
      await rx.close();
    }
  });
});
