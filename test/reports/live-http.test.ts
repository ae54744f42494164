import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportRoutes } from '../../src/http/routes/reports.ts';
import { buildHttpServer } from '../../src/http/server.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { liveState } from '../../src/reports/live-state.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';

const TOKEN = 'test-token-0123456789abcdef';
const bearer = { authorization: `Bearer ${TOKEN}` };

/**
 * "Why waiting" and the recipient lookup over HTTP, against messages put in
 * each state the dispatcher leaves them in: due, deferred by the send window
 * or a cap (defer_reason), held by a legal rule (hold_reasons), waiting for a
 * retry after a failure, in flight.
 */
describe('why waiting and recipient lookup', () => {
  let db: TestDatabase;
  let url: string;
  let close: () => Promise<void>;
  let campaignId: number;
  const now = Date.now();
  const at = (ms: number) => new Date(now + ms);

  beforeAll(async () => {
    db = await createTestDatabase();
    const q = (sql: string, params: unknown[] = []) => db.pool.query(sql, params);
    campaignId = (
      await q(`INSERT INTO campaigns (name, message, status, timezone, window_start_minute, window_end_minute, sender_lines, updated_at)
               VALUES ('live', 'Hi', 'running', 'America/Chicago', 540, 1200, ARRAY['+14155550100'], now()) RETURNING id`)
    ).rows[0].id as number;
    await q(`INSERT INTO campaign_recipients (campaign_id, phone, source_line) SELECT $1, '+1702555' || lpad(g::text, 4, '0'), g + 1 FROM generate_series(1, 9) g`, [campaignId]);
    await q(`INSERT INTO contacts (phone) SELECT phone FROM campaign_recipients WHERE campaign_id = $1`, [campaignId]);
    await q(
      `INSERT INTO outbound_messages (campaign_id, recipient_id, contact_id, to_phone, body, status, next_attempt_at, defer_reason, attempts, last_error, not_before, hold_reasons, lease_owner, lease_expires_at, sent_at, delivered_at)
       SELECT r.campaign_id, r.id, ct.id, r.phone, 'Hi', s.status::message_status, s.next_at, s.reason, s.attempts, s.err, s.not_before, s.holds::jsonb,
              CASE WHEN s.status = 'sending' THEN 'worker-1' END, CASE WHEN s.status = 'sending' THEN $3::timestamptz END,
              CASE WHEN s.status = 'delivered' THEN $2::timestamptz END, CASE WHEN s.status = 'delivered' THEN $2::timestamptz END
         FROM campaign_recipients r JOIN contacts ct ON ct.phone = r.phone
         JOIN (VALUES
           (1, 'queued', $2::timestamptz, NULL, 0, NULL, NULL::timestamptz, NULL),
           (2, 'queued', $2::timestamptz, NULL, 0, NULL, NULL, NULL),
           (3, 'queued', $3::timestamptz, 'window', 0, NULL, NULL, NULL),
           (4, 'queued', $4::timestamptz, 'window', 0, NULL, NULL, NULL),
           (5, 'queued', $3::timestamptz, 'caps', 0, NULL, NULL, NULL),
           (6, 'queued', $3::timestamptz, NULL, 1, 'provider HTTP 503', NULL, NULL),
           (7, 'queued', $4::timestamptz, NULL, 0, NULL, $4::timestamptz, '[{"rule":"US-TX.hours","jurisdiction":"US-TX"}]'),
           (8, 'sending', $2::timestamptz, NULL, 1, NULL, NULL, NULL),
           (9, 'delivered', $2::timestamptz, NULL, 1, NULL, NULL, NULL)
         ) AS s(n, status, next_at, reason, attempts, err, not_before, holds) ON r.source_line = s.n + 1
        WHERE r.campaign_id = $1`,
      [campaignId, at(-60_000), at(3_600_000), at(7_200_000)],
    );
    // The person of message 9: sent, delivered, read, replied STOP, opted out.
    await q(`UPDATE campaign_recipients SET created_at = $2 WHERE campaign_id = $1`, [campaignId, at(-100_000)]);
    await q(`UPDATE outbound_messages SET queued_at = $2 WHERE campaign_id = $1`, [campaignId, at(-90_000)]);
    await q(`UPDATE outbound_messages SET sent_at = $2, delivered_at = $3, read_at = $4, from_line = '+14155550100', channel = 'imessage' WHERE campaign_id = $1 AND to_phone = '+17025550009'`, [campaignId, at(-50_000), at(-40_000), at(-30_000)]);
    await q(`INSERT INTO inbound_messages (from_phone, to_line, body, channel, sent_at, campaign_id, is_opt_out) VALUES ('+17025550009', '+14155550100', 'STOP', 'imessage', $2, $1, true)`, [campaignId, at(-20_000)]);
    await q(`INSERT INTO consent_events (contact_id, kind, keyword, source, at) SELECT id, 'opt_out', 'STOP', 'reply', $1 FROM contacts WHERE phone = '+17025550009'`, [at(-19_000)]);
    const app = await buildHttpServer({ logger: createLogger('silent') }, [reportRoutes({ pool: db.pool, apiToken: TOKEN })]);
    url = await app.listen({ port: 0, host: '127.0.0.1' });
    close = () => app.close();
  });
  afterAll(() => close?.());

  it('counts the unsent messages by why they wait, with until when', async () => {
    expect((await fetch(`${url}/api/campaigns/${campaignId}/report/waiting`)).status).toBe(401);
    const res = await fetch(`${url}/api/campaigns/${campaignId}/report/waiting`, { headers: bearer });
    expect(res.status).toBe(200);
    const live = (await res.json()) as Awaited<ReturnType<typeof liveState>>;
    expect(live.unsent).toBe(8);
    const by = Object.fromEntries(live.reasons.map((r) => [r.rule ?? r.reason, r]));
    expect(Object.fromEntries(Object.entries(by).map(([k, r]) => [k, r.messages]))).toEqual({ due: 2, window: 2, caps: 1, retry: 1, 'US-TX.hours': 1, claimed: 1 });
    expect(by.window).toMatchObject({ from: at(3_600_000).toISOString(), until: at(7_200_000).toISOString() });
    expect(by.window!.explanation).toBe('2 messages outside the send window: they go from 09:00 recipient time (window 09:00-20:00).');
    expect(by['US-TX.hours']).toMatchObject({ reason: 'rule', until: at(7_200_000).toISOString() });
    expect(by.due!.explanation).toBe('2 messages due now, sent in turn at 1 per second per line over 1 line (pacing).');
  });

  it('a paused campaign holds every unsent message for that reason alone', async () => {
    await db.pool.query(`UPDATE campaigns SET status = 'paused' WHERE id = $1`, [campaignId]);
    try {
      const live = await liveState(db.pool, campaignId);
      expect(live.reasons).toEqual([{ reason: 'paused', rule: null, messages: 8, until: null, from: null, explanation: 'Paused: 8 messages wait for Resume.' }]);
    } finally {
      await db.pool.query(`UPDATE campaigns SET status = 'running' WHERE id = $1`, [campaignId]);
    }
  });

  it('a waiting message in the lookup says why it waits: the legal rule and jurisdiction, or the deferral', async () => {
    const look = async (typed: string) =>
      ((await (await fetch(`${url}/api/campaigns/${campaignId}/report/recipient?phone=${encodeURIComponent(typed)}`, { headers: bearer })).json()) as { events: { event: string; detail: string | null }[] }).events;
    expect((await look('702 555 0007')).find((e) => e.event === 'queued')).toMatchObject({ detail: 'waiting: US-TX.hours (US-TX)' });
    expect((await look('702 555 0003')).find((e) => e.event === 'queued')).toMatchObject({ detail: 'window' });
    expect((await look('702 555 0001')).find((e) => e.event === 'queued')).toMatchObject({ detail: null });
  });

  it('looks a person up by the number as typed: messages, reply, consent, newest first', async () => {
    const res = await fetch(`${url}/api/campaigns/${campaignId}/report/recipient?phone=${encodeURIComponent('(702) 555-0009')}`, { headers: bearer });
    expect(res.status).toBe(200);
    const r = (await res.json()) as { phone: string; recipient: boolean; optedOut: boolean; events: { event: string; text: string | null; line: string | null }[] };
    expect(r).toMatchObject({ phone: '+17025550009', recipient: true, optedOut: true });
    expect(r.events.map((e) => e.event)).toEqual(['opt_out', 'reply', 'read', 'delivered', 'sent', 'queued', 'imported']);
    expect(r.events[1]).toMatchObject({ text: 'STOP', line: '+14155550100' });
    const bad = await fetch(`${url}/api/campaigns/${campaignId}/report/recipient?phone=hello`, { headers: bearer });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('"path":"phone"');
    const stranger = (await (await fetch(`${url}/api/campaigns/${campaignId}/report/recipient?phone=%2B14155550199`, { headers: bearer })).json()) as { recipient: boolean; events: unknown[] };
    expect(stranger).toMatchObject({ recipient: false, events: [] });
  });
});
