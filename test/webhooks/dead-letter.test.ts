import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger.ts';
import { MAX_FUTURE_SKEW_MS } from '../../src/webhooks/event-time.ts';
import { applyEvent, type EventHandler } from '../../src/webhooks/handlers.ts';
import { createEventProcessor } from '../../src/webhooks/processor.ts';
import { runCli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { count, event, eventId, incoming, LINE, startReceiver, type Receiver } from './helpers.ts';
import { eventually } from '../helpers/eventually.ts';

interface EventRow {
  processed_at: Date | null;
  dead_lettered_at: Date | null;
  attempts: number;
  last_error: string | null;
  payload: unknown;
  raw_body: string | null;
  received_at: Date;
}

const rowOf = async (db: TestDatabase, id: string) =>
  (await db.pool.query<EventRow>('SELECT processed_at, dead_lettered_at, attempts, last_error, payload, raw_body, received_at FROM webhook_events WHERE provider_event_id = $1', [id])).rows[0];

/**
 * Signed events that cannot be processed as they are: the receiver still
 * stores them and answers 2xx (a 5xx would make the provider retry for ever),
 * an impossible timestamp is replaced by the time of receipt, and an event
 * whose handling keeps failing is set aside in the dead-letter state after a
 * bounded number of tries, listed and re-processable from the CLI.
 */
describe('webhooks: odd events and the dead-letter state', () => {
  let db: TestDatabase;
  let rx: Receiver;

  beforeAll(async () => {
    db = await createTestDatabase();
    rx = await startReceiver(db.pool);
  });
  afterAll(() => rx?.close());

  it('a signed event nested 100,000 deep is stored as raw text, answered 200, and processed from that text', async () => {
    const id = eventId();
    const ts = Math.floor(Date.now() / 1000);
    const depth = 100_000;
    const body = `{"id":"${id}","type":"imessage.incoming","timestamp":${ts},"api_version":"v2025.9.7","data":{"from":"+14155550401","to":"${LINE}","body":"deep one","timestamp":${ts},"attachments":[],"extra":${'['.repeat(depth)}1${']'.repeat(depth)}}}`;
    const res = await rx.post(body);
    expect(res.status).toBe(200);
    const row = await eventually(() => rowOf(db, id).then((r) => (r?.processed_at ? r : undefined)), 10_000, 'processing of the deep event');
    expect(row.payload).toBeNull();
    expect(row.raw_body).toBe(body);
    expect(row.dead_lettered_at).toBeNull();
    expect(await count(db.pool, `SELECT 1 FROM inbound_messages WHERE from_phone = '+14155550401' AND body = 'deep one'`)).toBe(1);
    // The same event again is still a duplicate, not a second row.
    expect((await rx.post(body)).status).toBe(200);
    expect(await count(db.pool, 'SELECT 1 FROM webhook_events WHERE provider_event_id = $1', [id])).toBe(1);
  });

  it('data.timestamp 9e15 (not a date) is processed with the time of receipt, once, not retried for ever', async () => {
    const ev = incoming('+14155550402', 'odd clock', { at: 9e15 });
    expect((await rx.post(ev)).status).toBe(200);
    const row = await eventually(() => rowOf(db, ev.id).then((r) => (r?.processed_at ? r : undefined)), 10_000, 'processing');
    expect(row.attempts).toBe(1);
    expect(row.last_error).toBeNull();
    const reply = (await db.pool.query<{ sent_at: Date }>(`SELECT sent_at FROM inbound_messages WHERE from_phone = '+14155550402'`)).rows[0]!;
    expect(reply.sent_at.getTime()).toBe(row.received_at.getTime());
  });

  it('a STOP dated ten years ahead does not outlive a later START: consent orders by the time of receipt beyond the skew', async () => {
    const person = '+14155550403';
    const now = Math.floor(Date.now() / 1000);
    const post = async (ev: { id: string }) => {
      expect((await rx.post(ev)).status).toBe(200);
      await eventually(() => rowOf(db, ev.id).then((r) => r?.processed_at), 10_000, 'processing');
    };
    await post(incoming(person, 'STOP', { at: now + 10 * 365 * 86_400 }));
    const contact = async () => (await db.pool.query<{ opted_out: boolean }>('SELECT opted_out FROM contacts WHERE phone = $1', [person])).rows[0]!;
    expect((await contact()).opted_out).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    await post(incoming(person, 'START', { at: now + 1 }));
    expect((await contact()).opted_out).toBe(false);
    const consent = await db.pool.query<{ kind: string; at: Date }>('SELECT kind, at FROM consent_events e JOIN contacts c ON c.id = e.contact_id WHERE c.phone = $1 ORDER BY e.id', [person]);
    // The STOP was recorded at its time of receipt, within the skew of now.
    expect(Math.abs(consent.rows[0]!.at.getTime() - Date.now())).toBeLessThan(MAX_FUTURE_SKEW_MS);
    // A timestamp a little ahead (within the skew) is still the provider's.
    const slightly = incoming(person, 'STOP', { at: now + 60 });
    await post(slightly);
    const last = await db.pool.query<{ at: Date }>('SELECT at FROM consent_events e JOIN contacts c ON c.id = e.contact_id WHERE c.phone = $1 ORDER BY e.id DESC LIMIT 1', [person]);
    expect(last.rows[0]!.at.getTime()).toBe((now + 60) * 1000);
  });

  it('an event that keeps failing is dead-lettered after the last try, listed with the reason, and processed once retried', async () => {
    // A processor of its own, so that the receiver's does not take the events first.
    await rx.close();
    const logger = createLogger('silent');
    let broken = true;
    const handler: EventHandler = async (tx, e) => {
      if (broken && e.type === 'fuzz.poison') throw new Error('poison: the handler cannot apply this event');
      return applyEvent(tx, e);
    };
    const processor = createEventProcessor({ pool: db.pool, logger, handler, retryBaseMs: 1, retryCapMs: 1, maxAttempts: 3 });
    const poison = event('fuzz.poison', { x: 1 });
    await db.pool.query(`INSERT INTO webhook_events (provider_event_id, type, payload) VALUES ($1, $2, $3)`, [poison.id, poison.type, JSON.stringify(poison)]);
    for (let i = 0; i < 10; i++) {
      await processor.drain();
      await new Promise((r) => setTimeout(r, 20));
    }
    const row = (await rowOf(db, poison.id))!;
    expect(row.processed_at).toBeNull();
    expect(row.dead_lettered_at).not.toBeNull();
    expect(row.attempts).toBe(3);
    expect(row.last_error).toBe('after 3 tries: poison: the handler cannot apply this event');

    const env = { DATABASE_URL: db.url };
    const listed = await runCli(['webhooks', 'dead-letters', '--json'], { env });
    expect(listed.code, listed.stderr).toBe(0);
    const { deadLetters } = JSON.parse(listed.stdout) as { deadLetters: { id: number; eventId: string; reason: string; attempts: number }[] };
    expect(deadLetters).toEqual([expect.objectContaining({ eventId: poison.id, type: 'fuzz.poison', attempts: 3, reason: row.last_error })]);
    const text = await runCli(['webhooks', 'dead-letters'], { env });
    expect(text.stdout).toContain(poison.id);
    expect(text.stdout).toContain('poison: the handler cannot apply this event');

    expect((await runCli(['webhooks', 'retry'], { env })).code).toBe(2);
    broken = false;
    const retried = await runCli(['webhooks', 'retry', String(deadLetters[0]!.id)], { env });
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toContain(`1 event(s) back in the queue: ${poison.id}`);
    await processor.drain();
    expect((await rowOf(db, poison.id))!).toMatchObject({ dead_lettered_at: null, last_error: null, attempts: 1 });
    expect((await rowOf(db, poison.id))!.processed_at).not.toBeNull();
    // Nothing is left: a second retry finds no event.
    expect((await runCli(['webhooks', 'retry', '--all'], { env })).stdout).toContain('0 event(s) back in the queue');
    await processor.stop();
  }, 120_000);
});
