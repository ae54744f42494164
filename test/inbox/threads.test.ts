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

describe('threads filtered by campaign and line, searched by number or text', () => {
  let db: TestDatabase;
  let spring: number;
  let fall: number;
  const OTHER_LINE = '+14155550199';
  beforeAll(async () => {
    db = await createTestDatabase();
    spring = await seedCampaign(db.pool, { name: 'spring' });
    fall = await seedCampaign(db.pool, { name: 'fall' });
    const seed = async (campaignId: number, phone: string, line: string, text: string) => {
      const r = await seedRecipient(db.pool, campaignId, phone);
      const id = await seedMessage(db.pool, { campaignId, ...r, to: phone, from: line, sentAt: new Date(Date.now() - 60_000) });
      await db.pool.query(
        `INSERT INTO inbound_messages (from_phone, to_line, body, channel, sent_at, campaign_id, outbound_message_id) VALUES ($1, $2, $3, 'imessage', now(), $4, $5)`,
        [phone, line, text, campaignId, id],
      );
    };
    await seed(spring, '+16505550301', LINE, 'Is 50% off real?');
    await seed(fall, '+16505550302', LINE, 'What about shoes');
    await seed(spring, '+16505550303', OTHER_LINE, 'Shoes please');
  });
  const phones = async (f: Parameters<typeof listThreads>[1]) => (await listThreads(db.pool, f)).map((t) => t.phone).sort();

  it('by campaign, by line, and both', async () => {
    expect(await phones({ campaignId: spring, limit: 50 })).toEqual(['+16505550301', '+16505550303']);
    expect(await phones({ campaignId: fall, limit: 50 })).toEqual(['+16505550302']);
    expect(await phones({ line: OTHER_LINE, limit: 50 })).toEqual(['+16505550303']);
    expect(await phones({ campaignId: spring, line: LINE, limit: 50 })).toEqual(['+16505550301']);
    const [t] = await listThreads(db.pool, { search: '+16505550302', limit: 5 });
    expect(t!.campaigns).toEqual([{ id: fall, name: 'fall' }]);
  });

  it('searches a reply literally, whatever the case, and a number however it is written', async () => {
    expect(await phones({ search: 'shoes', limit: 50 })).toEqual(['+16505550302', '+16505550303']);
    // % is a character here, not a wildcard.
    expect(await phones({ search: '50%', limit: 50 })).toEqual(['+16505550301']);
    expect(await phones({ search: '%', limit: 50 })).toEqual(['+16505550301']);
    expect(await phones({ search: '(650) 555-0303', limit: 50 })).toEqual(['+16505550303']);
    expect(await phones({ search: '555 030', limit: 50 })).toEqual(['+16505550301', '+16505550302', '+16505550303']);
  });
});
