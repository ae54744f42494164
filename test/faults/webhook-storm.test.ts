import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { signatureHeader } from '../../src/provider/webhooks.ts';
import { startService, type Service } from '../../src/service.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seededPrng, type Prng } from '../helpers/prng.ts';
import { count, seedCampaign, seedMessage, seedRecipient } from '../webhooks/helpers.ts';
import { eventually } from '../helpers/eventually.ts';


const SECRET = 'whsec_storm_secret_0123';
const LINE = '+14155550100';

/** The tables a webhook can write to, counted. */
const TABLES = ['webhook_events', 'inbound_messages', 'consent_events', 'contacts', 'outbound_messages', 'campaigns', 'campaign_recipients', 'campaign_runs'];

interface Request {
  body: string;
  header: string | undefined;
  kind: 'valid' | 'duplicate' | 'bad';
  id: string;
}

/**
 * A storm of signed webhooks at `bluecast serve`'s composition (startService):
 * 10% of the requests repeat an event already sent (a provider retry, signed
 * again), 5% carry a bad signature (another secret, a body changed after
 * signing, none, a stale or malformed one). Every valid event is answered 2xx,
 * stored once and processed once; every bad one is refused with 401 and leaves
 * no trace; nothing else is written.
 */
describe('faults: webhook storm with duplicates and bad signatures', () => {
  const rnd = seededPrng('webhook-storm');
  let db: TestDatabase;
  let service: Service;
  const phones = Array.from({ length: 80 }, (_, i) => `+1415600${String(i).padStart(4, '0')}`);

  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 10 });
    const config = loadConfig({ DATABASE_URL: db.url, WEBHOOK_SECRET: SECRET, LOG_LEVEL: 'silent' });
    const app: App = { config, logger: createLogger('silent'), server: { url: db.url, stop: async () => undefined }, db, close: async () => undefined };
    service = await startService(app, { host: '127.0.0.1', port: 0, worker: false, webhooks: { processor: { pollIntervalMs: 100 } } });
    // What the dispatcher would have written: sent messages the delivery reports are about.
    const campaignId = await seedCampaign(db.pool, { name: 'storm' });
    for (const [k, p] of phones.entries()) {
      const r = await seedRecipient(db.pool, campaignId, p, { first_name: `P${k}` });
      await seedMessage(db.pool, { campaignId, ...r, to: p, providerMessageId: `imsg_storm_${k}` });
    }
  });
  afterAll(() => service?.stop());

  function validEvent(r: Prng, i: number, ts: number): { id: string; type: string; body: string; stop: boolean; message?: number } {
    const id = `evt_storm_${rnd.seed}_${i}`;
    const roll = r.next();
    const k = r.int(phones.length);
    let ev: Record<string, unknown>;
    let stop = false;
    let message: number | undefined;
    if (roll < 0.5) {
      message = k;
      ev = { id, type: 'text.delivery.confirmed', timestamp: ts, api_version: 'v2025.9.7', data: { from: LINE, to: phones[k], message_id: `imsg_storm_${k}`, timestamp: ts } };
    } else if (roll < 0.93) {
      stop = r.chance(0.1);
      const body = stop ? r.pick(['STOP', 'stop', 'Unsubscribe.']) : `reply ${i}: ${r.pick(['sounds good', 'who is this?', 'see you there', '👍'])}`;
      ev = { id, type: 'imessage.incoming', timestamp: ts, api_version: 'v2025.9.7', data: { from: phones[k], to: LINE, body, timestamp: ts, attachments: [] } };
    } else {
      ev = { id, type: 'storm.unknown.type', timestamp: ts, api_version: 'v2025.9.7', data: { n: i } };
    }
    return { id, type: ev.type as string, body: JSON.stringify(ev), stop, message };
  }

  /** One bad signature of a kind chosen by the PRNG; the body is a valid event no one else sends. */
  function badRequest(r: Prng, i: number, now: number): Request {
    const ev = validEvent(r, 1_000_000 + i, now);
    const kinds = ['other-secret', 'tampered', 'missing', 'stale', 'malformed', 'future'] as const;
    const kind = kinds[i % kinds.length]!;
    let body = ev.body;
    let header: string | undefined;
    switch (kind) {
      case 'other-secret':
        header = signatureHeader(body, 'whsec_attacker_secret', now);
        break;
      case 'tampered':
        header = signatureHeader(body, SECRET, now);
        body = body.replace('"data":{', '"data":{"injected":true,');
        break;
      case 'missing':
        header = undefined;
        break;
      case 'stale':
        header = signatureHeader(body, SECRET, now - 3600);
        break;
      case 'future':
        header = signatureHeader(body, SECRET, now + 3600);
        break;
      case 'malformed':
        header = `t=${now},v1=${'z'.repeat(64)}`;
        break;
    }
    return { body, header, kind: 'bad', id: ev.id };
  }

  it('10% duplicates, 5% bad signatures: every valid event stored and processed once, every bad one 401, nothing else written', async () => {
    const now = Math.floor(Date.now() / 1000);
    const VALID = 600;
    const valid = Array.from({ length: VALID }, (_, i) => validEvent(rnd, i, now));
    const requests: Request[] = valid.map((v) => ({ body: v.body, header: signatureHeader(v.body, SECRET, now), kind: 'valid', id: v.id }));
    const total = Math.round(VALID / 0.85);
    const dupes = Math.round(total * 0.1);
    const bads = total - VALID - dupes;
    // A retry of the provider: the same bytes, signed again a little later.
    for (let i = 0; i < dupes; i++) {
      const v = rnd.pick(valid);
      requests.push({ body: v.body, header: signatureHeader(v.body, SECRET, now + 1 + rnd.int(30)), kind: 'duplicate', id: v.id });
    }
    for (let i = 0; i < bads; i++) requests.push(badRequest(rnd, i, now));
    // Shuffled: duplicates may arrive before their original, bad ones anywhere.
    for (let i = requests.length - 1; i > 0; i--) {
      const j = rnd.int(i + 1);
      [requests[i], requests[j]] = [requests[j]!, requests[i]!];
    }
    const before = Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t, await count(db.pool, `SELECT 1 FROM ${t}`)] as const)));

    const limit = pLimit(32);
    const answers = await Promise.all(
      requests.map((r) =>
        limit(async () => {
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (r.header !== undefined) headers['contiguity-signature'] = r.header;
          const res = await fetch(`${service.url}/webhooks/contiguity`, { method: 'POST', headers, body: r.body });
          await res.arrayBuffer();
          return { r, status: res.status };
        }),
      ),
    );
    console.log(`[webhook-storm] ${requests.length} requests: ${VALID} valid, ${dupes} duplicates, ${bads} bad signatures`);

    // Answers: 2xx for every valid event and every duplicate (a retry must be acknowledged), 401 for every bad signature.
    const wrong = answers.filter(({ r, status }) => (r.kind === 'bad' ? status !== 401 : status !== 200));
    expect(wrong.map(({ r, status }) => `${r.kind} ${r.id}: ${status}`)).toEqual([]);

    // Stored: exactly the valid events, once each.
    const stored = await db.pool.query<{ provider_event_id: string }>('SELECT provider_event_id FROM webhook_events');
    expect(stored.rows.map((r) => r.provider_event_id).sort()).toEqual(valid.map((v) => v.id).sort());

    // Processed: each once.
    await eventually(async () => (await count(db.pool, 'SELECT 1 FROM webhook_events WHERE processed_at IS NULL')) === 0, 30_000, 'every event processed', 100);
    const replies = valid.filter((v) => v.type === 'imessage.incoming');
    expect(await count(db.pool, 'SELECT 1 FROM inbound_messages')).toBe(before.inbound_messages! + replies.length);
    expect(await count(db.pool, 'SELECT webhook_event_id FROM inbound_messages GROUP BY 1 HAVING count(*) > 1')).toBe(0);
    expect(await count(db.pool, 'SELECT 1 FROM consent_events')).toBe(before.consent_events! + replies.filter((v) => v.stop).length);
    const stopped = new Set(replies.filter((v) => v.stop).map((v) => (JSON.parse(v.body) as { data: { from: string } }).data.from));
    expect(await count(db.pool, 'SELECT 1 FROM contacts WHERE opted_out')).toBe(stopped.size);
    const delivered = new Set(valid.filter((v) => v.message !== undefined).map((v) => `imsg_storm_${v.message}`));
    const st = await db.pool.query<{ provider_message_id: string; status: string }>(`SELECT provider_message_id, status::text FROM outbound_messages`);
    for (const m of st.rows) expect(m.status, m.provider_message_id).toBe(delivered.has(m.provider_message_id) ? 'delivered' : 'sent');

    // Nothing else: no row beyond the events and their effects, none from a refused request.
    const after = Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t, await count(db.pool, `SELECT 1 FROM ${t}`)] as const)));
    expect(after).toEqual({
      ...before,
      webhook_events: before.webhook_events! + VALID,
      inbound_messages: before.inbound_messages! + replies.length,
      consent_events: before.consent_events! + replies.filter((v) => v.stop).length,
    });
    const badIds = requests.filter((r) => r.kind === 'bad').map((r) => r.id);
    expect(await count(db.pool, 'SELECT 1 FROM webhook_events WHERE provider_event_id = ANY($1::text[])', [badIds])).toBe(0);
  });
});
