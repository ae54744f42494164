import { afterAll, describe, expect, it } from 'vitest';
import { planRoutes } from '../../src/http/routes/plan.ts';
import { buildHttpServer } from '../../src/http/server.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { makeCampaign } from '../import/support.ts';

const TOKEN = 'test-token-0123456789abcdef';
const LINES = ['+14155552671', '+14155552672'];

describe('plan: from the database, over HTTP', async () => {
  const db = await createTestDatabase();
  const app = await buildHttpServer({ logger: createLogger('silent') }, [planRoutes({ db, apiToken: TOKEN })]);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  afterAll(() => app.close());
  const get = async (path: string) => {
    const res = await fetch(`${url}/api/campaigns/${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  it('counts recipients by zone and sticky line, leaves out opted-out ones, and simulates the caps', async () => {
    const c = await makeCampaign(db, { timezone: 'America/New_York', from: LINES, window: '09:00-21:00', newContactsPerHour: 10, newContactsPerDay: 30 });
    // 100 Las Vegas numbers without a zone column (area code 702: Los Angeles time), 20 with New York's.
    await db.pool.query(
      `INSERT INTO campaign_recipients (campaign_id, phone, timezone)
       SELECT $1, '+1702555' || lpad(g::text, 4, '0'), CASE WHEN g <= 20 THEN 'America/New_York' END FROM generate_series(1, 120) g`,
      [c.id],
    );
    // 5 already have a sticky line (not under the caps); 1 opted out.
    await db.pool.query(
      `INSERT INTO contacts (phone, sticky_line, sticky_line_assigned_at, opted_out)
       SELECT '+1702555' || lpad(g::text, 4, '0'), CASE WHEN g <= 25 THEN $1 END, now() - interval '30 days', g = 120
         FROM generate_series(21, 120) g`,
      [LINES[0]],
    );
    // 14:00 UTC: 09:00 in New York, 06:00 in Las Vegas.
    const { status, body } = await get(`${c.id}/plan?now=2030-07-01T13:00:00Z`);
    expect(status).toBe(200);
    const f = body.forecast;
    expect(f.total).toBe(119);
    expect(body.groups).toBe(3);
    expect(f.firstSend).toBe('2030-07-01T13:00:00.000Z');
    // New York's 20 at once (2 lines × 10 an hour = 20); Las Vegas opens at 16:00 UTC:
    // its 5 sticky ones at once, 94 new ones at 20 an hour until the lines'
    // day (30 each) is full: 60 - 20 = 40 that day.
    expect(f.perHour[0]).toEqual({ hour: '2030-07-01T13:00:00.000Z', sends: 20 });
    expect(f.perHour[1]).toEqual({ hour: '2030-07-01T16:00:00.000Z', sends: 25 });
    expect(f.perDay[0]).toEqual({ day: '2030-07-01', sends: 20 + 5 + 40 });
    expect(f.unscheduled).toBe(0);
    expect(f.perDay.reduce((a: number, d: { sends: number }) => a + d.sends, 0)).toBe(119);
    // 702 places its numbers: no unknown zone; the message has a variable but no opt-out line.
    expect(body.checks.map((x: { id: string }) => x.id)).toEqual(['opt-out-missing']);
  });

  it('?preview= renders the named recipients; a bad phone is a 400 naming the field', async () => {
    const c = await makeCampaign(db, { message: 'Hi {{first_name|there}}. Reply STOP to opt out', from: LINES });
    await db.pool.query(`INSERT INTO campaign_recipients (campaign_id, phone, variables) VALUES ($1, '+13125550123', '{"first_name": "Ada"}')`, [c.id]);
    const { status, body } = await get(`${c.id}/plan?preview=%2B13125550123,%2B13125550124`);
    expect(status).toBe(200);
    expect(body.preview.map((p: { verdict: string }) => p.verdict)).toEqual(['preview', 'not-a-recipient']);
    expect(body.preview[0].chosen).toEqual({ variantIndex: 0, body: 'Hi Ada. Reply STOP to opt out', encoding: 'GSM-7', segments: 1, ucs2Characters: [] });
    const bad = await get(`${c.id}/plan?preview=3125550123`);
    expect(bad.status).toBe(400);
    expect(bad.body.issues[0].path).toBe('preview');
  });

  it('other campaigns\' queued first contacts on the same lines take their caps first', async () => {
    const other = await makeCampaign(db, { from: LINES });
    const c = await makeCampaign(db, { timezone: 'UTC', from: LINES, newContactsPerHour: 10, newContactsPerDay: 1000 });
    await db.pool.query(`INSERT INTO campaign_recipients (campaign_id, phone, timezone) SELECT $1, '+1312555' || lpad(g::text, 4, '0'), 'UTC' FROM generate_series(1, 10) g`, [c.id]);
    await db.pool.query(
      `WITH ct AS (INSERT INTO contacts (phone) SELECT '+1646555' || lpad(g::text, 4, '0') FROM generate_series(1, 20) g RETURNING id, phone)
       INSERT INTO outbound_messages (campaign_id, contact_id, to_phone, body, requested_line, status)
       SELECT $1, ct.id, ct.phone, 'x', $2, 'queued' FROM ct`,
      [other.id, LINES[0]],
    );
    const { body } = await get(`${c.id}/plan?now=2030-07-01T13:00:00Z`);
    // Line 1 is full for the hour (20 reserved > 10): only line 2 takes new contacts.
    expect(body.forecast.perHour[0]).toEqual({ hour: '2030-07-01T13:00:00.000Z', sends: 10 });
  });

  it('the checks see recipients with no known zone and people messaged in the last day', async () => {
    const c = await makeCampaign(db, { message: 'Sale Friday. Reply STOP to opt out.', from: LINES });
    // +1 800 numbers place no one; one recipient got a message an hour ago.
    await db.pool.query(`INSERT INTO campaign_recipients (campaign_id, phone) SELECT $1, '+1800555' || lpad(g::text, 4, '0') FROM generate_series(1, 3) g`, [c.id]);
    await db.pool.query(
      `WITH ct AS (INSERT INTO contacts (phone) VALUES ('+18005550001') RETURNING id, phone)
       INSERT INTO outbound_messages (contact_id, to_phone, body, status, sent_at) SELECT ct.id, ct.phone, 'x', 'sent', $1::timestamptz - interval '1 hour' FROM ct`,
      ['2030-07-01T13:00:00Z'],
    );
    const { body } = await get(`${c.id}/plan?now=2030-07-01T13:00:00Z`);
    expect(body.checks.map((x: { id: string; level: string }) => `${x.level}:${x.id}`)).toEqual(['warn:unknown-zone', 'warn:identical-bodies', 'warn:recent-contact']);
    expect(body.checks[2].message).toBe('1 recipient(s) were messaged in the last 24 hours');
  });

  it('explains phones: the earliest send time and every rule that holds it, through the engine', async () => {
    const c = await makeCampaign(db, { timezone: 'America/New_York', from: LINES, window: '09:00-21:00' });
    await db.pool.query(`INSERT INTO campaign_recipients (campaign_id, phone) VALUES ($1, '+13055550100'), ($1, '+12125550100')`, [c.id]);
    // 01:30Z on 2 July is 21:30 EDT on the 1st: Florida allows 08:00–20:00, the campaign 09:00–21:00.
    const { status, body } = await get(`${c.id}/plan?now=2030-07-02T01:30:00Z&explain=%2B13055550100,%2B19995550100`);
    expect(status).toBe(200);
    const [fl, none] = body.explain;
    expect(fl).toMatchObject({ phone: '+13055550100', verdict: 'wait', earliest: '2030-07-02T13:00:00.000Z', zones: ['America/New_York'], newContact: true });
    expect(fl.jurisdictions).toEqual(['US', 'US-FL']);
    expect(fl.reasons.map((r: { rule: string; until: string }) => `${r.rule}@${r.until}`).sort()).toEqual(
      ['US-FL.hours@2030-07-02T12:00:00.000Z', 'campaign.window@2030-07-02T13:00:00.000Z', 'US.hours@2030-07-02T12:00:00.000Z'].sort(),
    );
    expect(none).toMatchObject({ phone: '+19995550100', verdict: 'not-a-recipient' });
    expect((await get(`${c.id}/plan?explain=305`)).status).toBe(400);
  });

  it("a person's cap from the rules table (Florida: 3 in 24 hours) holds them until their oldest message is a day old", async () => {
    const c = await makeCampaign(db, { timezone: 'America/New_York', from: LINES, window: '09:00-20:00', message: 'Hi {{first_name|there}}. Reply STOP to opt out.' });
    await db.pool.query(`INSERT INTO campaign_recipients (campaign_id, phone) VALUES ($1, '+13055550200'), ($1, '+13055550201')`, [c.id]);
    // Three messages to the first person: 20, 10 and 2 hours before 14:00Z (10:00 EDT).
    await db.pool.query(
      `WITH ct AS (INSERT INTO contacts (phone) VALUES ('+13055550200') RETURNING id, phone)
       INSERT INTO outbound_messages (contact_id, to_phone, body, status, sent_at)
       SELECT ct.id, ct.phone, 'x', 'sent', $1::timestamptz - h * interval '1 hour' FROM ct, unnest(ARRAY[20, 10, 2]) h`,
      ['2030-07-01T14:00:00Z'],
    );
    const { body } = await get(`${c.id}/plan?now=2030-07-01T14:00:00Z&explain=%2B13055550200`);
    expect(body.heldByCap).toBe(1);
    // The other goes at once; the capped one when the 20-hour-old message is 24 hours old (18:00Z, 14:00 EDT).
    expect(body.forecast.perHour).toEqual([
      { hour: '2030-07-01T14:00:00.000Z', sends: 1 },
      { hour: '2030-07-01T18:00:00.000Z', sends: 1 },
    ]);
    expect(body.explain[0]).toMatchObject({ verdict: 'wait', earliest: '2030-07-01T18:00:00.000Z' });
    expect(body.explain[0].reasons).toEqual([expect.objectContaining({ rule: 'US-FL.cap', kind: 'cap', max: 3, count: 3 })]);
  });

  it('answers 404 for an unknown campaign and 400 for a bad time', async () => {
    expect((await get('no-such-campaign/plan')).status).toBe(404);
    const c = await makeCampaign(db);
    const bad = await get(`${c.id}/plan?now=tomorrow`);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('now');
  });
});
