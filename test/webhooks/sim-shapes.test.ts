import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import type { IncomingShape } from '../../src/simulator/incoming-shapes.ts';
import { messageStatuses, phone, providerClient, seedCampaign, testWorker } from '../dispatch/fixtures.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { eventually } from '../helpers/eventually.ts';
import { expectExactlyOnce } from '../helpers/sends.ts';
import { SECRET, startReceiver, type Receiver } from './helpers.ts';

const LINE = '+14155550100';
const OTHER_LINE = '+14155550101';

/**
 * The simulator itself sends the incoming events of a campaign in each shape
 * the SDK accepts (its `incomingShape` switch), to the real receiver: every
 * signed event is stored, acknowledged and processed (0 lost, none
 * dead-lettered), a STOP that comes with a photo is honoured, and nothing of
 * a later campaign goes to those people.
 */
describe('receiver: the simulator sends incoming events in every documented optional shape', () => {
  let db: TestDatabase;
  let rx: Receiver;
  const sims: SimulatorHandle[] = [];
  const areas = ['212', '213', '214', '215', '216'];

  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 6 });
    rx = await startReceiver(db.pool, { startProcessor: true });
  });
  afterAll(async () => {
    await Promise.all(sims.map((s) => s.stop()));
    await rx?.close();
    await db?.close();
  });

  async function simulator(o: Parameters<typeof startSimulator>[0]) {
    const sim = await startSimulator({
      webhookUrl: `${rx.url}/webhooks/contiguity`,
      secret: SECRET,
      pacing: false,
      imessageRatio: 1,
      smsFailureRate: 0,
      timing: { deliveryMs: 40, readMs: 40, replyMs: 120 },
      ...o,
    });
    sims.push(sim);
    return sim;
  }

  /** Every event the simulator emitted was acknowledged, is stored once and processed, none dead-lettered. */
  async function expectNoneLost(sim: SimulatorHandle, types: string[], expected: number) {
    const emitted = await eventually(() => {
      const recs = sim.webhooks().filter((r) => types.includes(r.event.type));
      return recs.length >= expected && recs.every((r) => r.state !== 'pending') ? recs : undefined;
    }, 20_000, `${expected} ${types.join('/')} events acknowledged`);
    expect(emitted.map((r) => [r.state, r.last])).toEqual(emitted.map(() => ['delivered', 200]));
    const ids = emitted.map((r) => r.event.id);
    const rows = await eventually(async () => {
      const { rows } = await db.pool.query<{ processed_at: Date | null; dead_lettered_at: Date | null }>(
        'SELECT processed_at, dead_lettered_at FROM webhook_events WHERE provider_event_id = ANY($1)',
        [ids],
      );
      return rows.length === ids.length && rows.every((r) => r.processed_at) ? rows : undefined;
    }, 20_000, 'every emitted event stored and processed');
    expect(rows.filter((r) => r.dead_lettered_at)).toEqual([]);
    return emitted;
  }

  const optedOut = async (phones: string[]) =>
    (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM contacts WHERE phone = ANY($1) AND opted_out', [phones])).rows[0]!.n;

  it.each(['documented', 'attachment-no-filename', 'attachment-url', 'fractional-timestamp', 'millisecond-timestamp'] as const)(
    'shape %s: every STOP is stored and honoured; a later campaign sends them nothing',
    async (shape: IncomingShape) => {
      const sim = await simulator({ replyRatio: 1, optOutRatio: 1, faults: { incomingShape: shape } });
      const area = areas.shift();
      const phones = Array.from({ length: 6 }, (_, i) => phone(i, area));
      const first = await seedCampaign(db.pool, { phones, senderLines: [LINE], newContactsPerHour: 1000, newContactsPerDay: 1000, concurrency: 3 });
      await testWorker(db.pool, providerClient(sim)).runOnce();
      expect(await messageStatuses(db.pool, first.id)).toEqual({ sent: 6 });

      const emitted = await expectNoneLost(sim, ['imessage.incoming'], 6);
      // The simulator really sent the shape under test.
      const data = emitted[0]!.event.data as { attachments?: unknown[]; timestamp: number };
      if (shape === 'attachment-no-filename') expect(data.attachments).toEqual([{ url: expect.any(String), mime: 'image/jpeg' }]);
      if (shape === 'attachment-url') expect(data.attachments).toEqual([expect.stringMatching(/^https:\/\//)]);
      if (shape === 'fractional-timestamp') expect(Number.isInteger(data.timestamp)).toBe(false);
      if (shape === 'millisecond-timestamp') expect(data.timestamp).toBeGreaterThan(1e12);
      expect(await optedOut(phones)).toBe(6);
      const stored = await db.pool.query<{ n: number; photos: number; off_clock: number }>(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE cardinality(attachments) > 0)::int AS photos,
                count(*) FILTER (WHERE abs(extract(epoch FROM sent_at - now())) > 60)::int AS off_clock
           FROM inbound_messages WHERE from_phone = ANY($1)`,
        [phones],
      );
      expect(stored.rows[0]!.n).toBe(6);
      // Seconds, fractions and milliseconds all read as the time the person wrote.
      expect(stored.rows[0]!.off_clock).toBe(0);
      if (shape.startsWith('attachment')) expect(stored.rows[0]!.photos).toBe(6);

      // Nothing of a later campaign goes to people who said STOP.
      const later = await seedCampaign(db.pool, { phones, senderLines: [LINE], newContactsPerHour: 1000, newContactsPerDay: 1000, message: 'A second offer for you' });
      await testWorker(db.pool, providerClient(sim)).runOnce();
      expect(sim.sent().filter((s) => phones.includes(s.to) && s.body === 'A second offer for you')).toEqual([]);
      expect((await messageStatuses(db.pool, later.id)).sent ?? 0).toBe(0);
      expectExactlyOnce({ sent: () => sim.sent().filter((s) => s.body !== 'A second offer for you' && !/unsubscribed|opted out|stop/i.test(s.body)) }, phones);
    },
  );

  it('shape null-body: a photo with no text is stored and processed as a reply, nobody opted out, none lost', async () => {
    const sim = await simulator({ replyRatio: 1, optOutRatio: 0, faults: { incomingShape: 'null-body' } });
    const phones = Array.from({ length: 5 }, (_, i) => phone(i, '580'));
    await seedCampaign(db.pool, { phones, senderLines: [LINE], newContactsPerHour: 1000, newContactsPerDay: 1000 });
    await testWorker(db.pool, providerClient(sim)).runOnce();
    const emitted = await expectNoneLost(sim, ['imessage.incoming'], 5);
    expect((emitted[0]!.event.data as { body: unknown }).body).toBeNull();
    expect(await optedOut(phones)).toBe(0);
    const stored = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM inbound_messages WHERE from_phone = ANY($1)', [phones]);
    expect(stored.rows[0]!.n).toBe(5);
  });

  it.each(['with-id', 'null-id'] as const)('numbers.substitution (%s): stored and processed, none lost; with an id the sticky line moves', async (mode) => {
    const sim = await simulator({ replyRatio: 0, faults: { lineSubstitution: mode } });
    const phones = Array.from({ length: 4 }, (_, i) => phone(i, mode === 'with-id' ? '585' : '586'));
    const c = await seedCampaign(db.pool, { phones, senderLines: [LINE], newContactsPerHour: 1000, newContactsPerDay: 1000 });
    await testWorker(db.pool, providerClient(sim)).runOnce();
    expect(await messageStatuses(db.pool, c.id)).toEqual({ sent: 4 });
    const emitted = await expectNoneLost(sim, ['numbers.substitution'], 4);
    expect(emitted.map((r) => (r.event.data as { message_id: unknown }).message_id === null)).toEqual(phones.map(() => mode === 'null-id'));
    expectExactlyOnce(sim, phones);
    const sticky = await db.pool.query<{ sticky_line: string }>('SELECT sticky_line FROM contacts WHERE phone = ANY($1)', [phones]);
    expect(sticky.rows.map((r) => r.sticky_line)).toEqual(phones.map(() => (mode === 'with-id' ? OTHER_LINE : LINE)));
    if (mode === 'with-id') {
      const m = await db.pool.query<{ from_line: string; requested_line: string }>('SELECT from_line, requested_line FROM outbound_messages WHERE campaign_id = $1', [c.id]);
      expect(m.rows).toEqual(phones.map(() => ({ from_line: OTHER_LINE, requested_line: LINE })));
    }
  });
});
