import { beforeAll, describe, expect, it } from 'vitest';
import { listThreads, markThreadRead, threadEvents } from '../../src/db/sql/inbox.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { LINE, seedCampaign, seedMessage, seedRecipient } from '../webhooks/helpers.ts';

/** A reply as the receiver stores it: the provider's whole-second time, and when it arrived. */
async function reply(db: TestDatabase, phone: string, body: string, providerTime: string, arrived: string): Promise<number> {
  const r = await db.pool.query<{ id: number }>(
    `INSERT INTO inbound_messages (from_phone, to_line, body, channel, sent_at, created_at) VALUES ($1, $2, $3, 'imessage', $4, $5) RETURNING id::int`,
    [phone, LINE, body, providerTime, arrived],
  );
  return r.rows[0]!.id;
}

describe('a thread in the order things happened, within one second too', () => {
  let db: TestDatabase;
  let campaignId: number;
  beforeAll(async () => {
    db = await createTestDatabase();
    campaignId = await seedCampaign(db.pool, {});
  });
  const ours = async (phone: string, body: string, sentAt: string) => {
    const r = await seedRecipient(db.pool, campaignId, phone);
    return seedMessage(db.pool, { campaignId, ...r, to: phone, body, sentAt: new Date(sentAt) });
  };
  const bodies = async (phone: string) => (await threadEvents(db.pool, phone, LINE, 100)).map((e) => e.body);

  it('a reply stamped with the second of our message, arriving after it, comes after it', async () => {
    const phone = '+14155551201';
    // Ours at .500; theirs stamped :10 (whole seconds) but arrived at .800.
    await ours(phone, 'Big news', '2026-12-01T10:00:10.500Z');
    // Inserted first, so its id is lower than a later row's would be: ids of two tables say nothing.
    await reply(db, phone, 'Tell me more', '2026-12-01T10:00:10.000Z', '2026-12-01T10:00:10.800Z');
    expect(await bodies(phone)).toEqual(['Big news', 'Tell me more']);
    const [t] = await listThreads(db.pool, { search: phone, limit: 5 });
    expect(t).toMatchObject({ last_body: 'Tell me more', last_direction: 'in' });
  });

  it('a reply that arrived before our message in the same second comes before it, and the order holds poll after poll', async () => {
    const phone = '+14155551202';
    await reply(db, phone, 'Hello?', '2026-12-01T11:00:10.000Z', '2026-12-01T11:00:10.200Z');
    await ours(phone, 'Hi, how can we help?', '2026-12-01T11:00:10.700Z');
    await reply(db, phone, 'Price please', '2026-12-01T11:00:10.000Z', '2026-12-01T11:00:10.900Z');
    const first = await bodies(phone);
    expect(first).toEqual(['Hello?', 'Hi, how can we help?', 'Price please']);
    for (let i = 0; i < 3; i++) expect(await bodies(phone)).toEqual(first);
    // Each reply once.
    expect(first.filter((b) => b === 'Hello?')).toHaveLength(1);
  });

  it('a reply stamped with the second the thread was opened in, but arriving after, is unread', async () => {
    const phone = '+14155551203';
    await ours(phone, 'Offer', new Date(Date.now() - 60_000).toISOString());
    await markThreadRead(db.pool, phone, LINE);
    const second = new Date(Math.floor(Date.now() / 1000) * 1000 - 1000).toISOString();
    await reply(db, phone, 'Is it still on?', second, new Date(Date.now() + 1000).toISOString());
    const [t] = await listThreads(db.pool, { search: phone, limit: 5 });
    expect(t).toMatchObject({ phone, unread: 1 });
  });
});
