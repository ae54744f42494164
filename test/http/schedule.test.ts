import { afterAll, describe, expect, it } from 'vitest';
import { dashboardApiRoutes } from '../../src/http/routes/dashboard-api.ts';
import { campaignRoutes } from '../../src/http/routes/campaigns.ts';
import { buildHttpServer } from '../../src/http/server.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { localToInstant } from '../../src/campaigns/schedule.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { makeCampaign } from '../import/support.ts';

const TOKEN = 'test-token-0123456789abcdef';

describe('HTTP: scheduling in the campaign time zone', async () => {
  const db = await createTestDatabase();
  const app = await buildHttpServer({ logger: createLogger('silent') }, [campaignRoutes({ db, apiToken: TOKEN }), dashboardApiRoutes({ db, apiToken: TOKEN })]);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  afterAll(() => app.close());
  const post = async (path: string, body: unknown = {}) => {
    const res = await fetch(`${url}/api/campaigns/${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const withRecipients = async (tz: string, n = 3, lines = ['+14155552671', '+14155552672']) => {
    const c = await makeCampaign(db, { timezone: tz, from: lines });
    await db.pool.query(
      `INSERT INTO campaign_recipients (campaign_id, phone) SELECT $1, '+1702555' || lpad(g::text, 4, '0') FROM generate_series(1, $2) g`,
      [c.id, n],
    );
    return c;
  };
  const stored = async (id: number) => (await db.pool.query(`SELECT status::text, schedule_at FROM campaigns WHERE id = $1`, [id])).rows[0];

  it('reads "local" in the campaign zone, across DST, and confirms before scheduling', async () => {
    const c = await withRecipients('America/Los_Angeles', 1204);
    // 10:00 in Los Angeles in July is 17:00 UTC (PDT, UTC-7); in December 18:00 UTC (PST).
    expect(localToInstant('2030-07-01T10:00', 'America/Los_Angeles').toISOString()).toBe('2030-07-01T17:00:00.000Z');
    expect(localToInstant('2030-12-01T10:00', 'America/Los_Angeles').toISOString()).toBe('2030-12-01T18:00:00.000Z');

    const dry = await post(`${c.id}/schedule`, { local: '2030-07-01T10:00', dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, scheduleAt: '2030-07-01T17:00:00.000Z', recipients: 1204, lines: 2, timezone: 'America/Los_Angeles' });
    expect(dry.body.summary).toBe('Send to 1,204 people from 2 lines, first message ~Jul 1, 2030, 10:00 America/Los_Angeles; only within 09:00-21:00 recipient time');
    expect(await stored(c.id)).toMatchObject({ status: 'draft', schedule_at: null });

    const done = await post(`${c.id}/schedule`, { local: '2030-07-01T10:00' });
    expect(done.status).toBe(200);
    expect(await stored(c.id)).toMatchObject({ status: 'scheduled', schedule_at: new Date('2030-07-01T17:00:00.000Z') });
  });

  it('refuses past times, 0 recipients and a missing time with a message on the field', async () => {
    const c = await withRecipients('America/Chicago');
    const past = await post(`${c.id}/schedule`, { local: '2020-01-01T10:00' });
    expect(past.status).toBe(400);
    expect(past.body.issues).toEqual([{ path: 'local', message: expect.stringMatching(/^Jan 1, 2020, 10:00 America\/Chicago is in the past .*choose a later time, or send now$/) }]);
    const none = await post(`${c.id}/schedule`, {});
    expect(none.status).toBe(400);
    expect(none.body.issues).toEqual([{ path: 'local', message: 'choose a date and time, or send now' }]);
    const bad = await post(`${c.id}/schedule`, { local: '2030-02-30T10:00' });
    expect(bad.status).toBe(400);
    expect(bad.body.issues[0]).toMatchObject({ path: 'local', message: '2030-02-30 is not a date' });
    expect(await stored(c.id)).toMatchObject({ status: 'draft' });

    const empty = await makeCampaign(db);
    const refused = await post(`${empty.id}/schedule`, { now: true });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/has no recipients yet: upload a recipients CSV/);
    expect(await stored(empty.id)).toMatchObject({ status: 'draft' });

    const now = await post(`${c.id}/schedule`, { now: true });
    expect(now.status).toBe(200);
    expect(now.body.sendNow).toBe(true);
    expect(Math.abs(Date.parse(now.body.scheduleAt) - Date.now())).toBeLessThan(10_000);
  });

  it('reschedules and unschedules while no run has started, not after', async () => {
    const c = await withRecipients('Europe/Paris');
    expect((await post(`${c.id}/schedule`, { local: '2030-03-01T09:30' })).status).toBe(200);
    const moved = await post(`${c.id}/reschedule`, { local: '2030-03-02T11:00' });
    expect(moved.status).toBe(200);
    expect(await stored(c.id)).toMatchObject({ status: 'scheduled', schedule_at: new Date('2030-03-02T10:00:00.000Z') });
    const un = await post(`${c.id}/unschedule`);
    expect(un).toMatchObject({ status: 200, body: { status: 'draft' } });
    expect(await stored(c.id)).toMatchObject({ status: 'draft', schedule_at: null });
    expect((await post(`${c.id}/unschedule`)).status).toBe(409);

    expect((await post(`${c.id}/schedule`, { local: '2030-03-01T09:30' })).status).toBe(200);
    await db.pool.query(`INSERT INTO campaign_runs (campaign_id, scheduled_for, status, started_at) VALUES ($1, now(), 'running', now())`, [c.id]);
    const late = await post(`${c.id}/reschedule`, { local: '2030-03-05T09:30' });
    expect(late.status).toBe(409);
    expect(late.body.error).toMatch(/has started sending; it can no longer be rescheduled/);
    expect((await post(`${c.id}/unschedule`)).status).toBe(409);
    expect(await stored(c.id)).toMatchObject({ status: 'scheduled', schedule_at: new Date('2030-03-01T08:30:00.000Z') });
  });

  it('POST /api/campaigns/:id/retry-failed re-queues failed messages, unconfirmed ones only when asked', async () => {
    const c = await withRecipients('UTC', 3);
    await db.pool.query(
      `INSERT INTO contacts (phone) SELECT phone FROM campaign_recipients WHERE campaign_id = $1 ON CONFLICT DO NOTHING`,
      [c.id],
    );
    await db.pool.query(
      `INSERT INTO outbound_messages (campaign_id, recipient_id, contact_id, to_phone, body, status, last_error)
       SELECT r.campaign_id, r.id, ct.id, r.phone, 'Hi', (ARRAY['failed', 'unconfirmed', 'delivered'])[row_number() OVER (ORDER BY r.id)]::message_status, 'x'
         FROM campaign_recipients r JOIN contacts ct ON ct.phone = r.phone WHERE r.campaign_id = $1`,
      [c.id],
    );
    const statuses = async () =>
      (await db.pool.query(`SELECT status::text FROM outbound_messages WHERE campaign_id = $1 ORDER BY recipient_id`, [c.id])).rows.map((r) => r.status);
    expect(await post(`${c.id}/retry-failed`)).toMatchObject({ status: 200, body: { campaign: c.name, requeued: 1 } });
    expect(await statuses()).toEqual(['queued', 'unconfirmed', 'delivered']);
    expect(await post(`${c.id}/retry-failed`, { includeUnconfirmed: true })).toMatchObject({ status: 200, body: { requeued: 1 } });
    expect(await statuses()).toEqual(['queued', 'queued', 'delivered']);
    expect((await post(`${c.id}/retry-failed`, { includeUnconfirmed: 'yes' })).status).toBe(400);
    expect((await post('no-such-campaign/retry-failed')).status).toBe(404);
  });
});
