import type pg from 'pg';

/**
 * A campaign with messages in every status, built the way the worker and the
 * webhooks would build it: messages inserted as queued in one statement, then
 * moved on by UPDATEs (several rows at once and one at a time, from several
 * connections), replies and opt-outs inserted as the webhook processor would.
 * Every figure a report shows can then be checked against plain SQL over the
 * messages themselves.
 */
export interface Seeded {
  campaignId: number;
  campaignName: string;
  cronCampaignId: number;
  runIds: number[];
  otherCampaignId: number;
  /** Cancelled before anything was sent: every message cancelled. */
  cancelledCampaignId: number;
  lines: string[];
}

/** The provider's text when a carrier never confirmed (src/simulator/world.ts SMS_FAILURE). */
export const UNCONFIRMED_TEXT = 'Carrier never provided delivery confirmation. Your message may have delivered, but Contiguity has no idea if it did.';

export const LINES = ['+15550100001', '+15550100002', '+15550100003'];

export async function seedReportData(pool: pg.Pool, prefix = 'spring'): Promise<Seeded> {
  const q = (sql: string, params: unknown[] = []) => pool.query(sql, params);
  const camp = await q(
    `INSERT INTO campaigns (name, message, sender_lines, schedule_at, status, timezone)
     VALUES ($1, 'Hi {{first_name}}', $2, now() - interval '2 hours', 'running', 'America/New_York'),
            ($3, 'Weekly news', $2, NULL, 'running', 'Europe/Paris'),
            ($4, 'Other', '{}', NULL, 'draft', 'UTC')
     RETURNING id`,
    [prefix, LINES, `${prefix}-weekly`, `${prefix}-other`],
  );
  const [campaignId, cronCampaignId, otherCampaignId] = camp.rows.map((r: { id: number }) => r.id) as [number, number, number];
  await q(`UPDATE campaigns SET cron_expression = '0 9 * * 1' WHERE id = $1`, [cronCampaignId]);

  // 60 contacts; the first 40 are recipients of the one-off campaign, 20..59 of the cron one.
  await q(
    `INSERT INTO contacts (phone, sticky_line, sticky_line_assigned_at, created_at)
     SELECT '+1555${prefix.length}' || lpad(g::text, 6, '0'),
            CASE WHEN g % 4 = 3 THEN NULL ELSE ($1::text[])[1 + g % 3] END,
            CASE WHEN g % 2 = 0 THEN now() - interval '1 minute' ELSE now() - interval '3 days' END,
            now() - interval '10 days'
       FROM generate_series(0, 59) g`,
    [LINES],
  );
  const phone = (g: number) => `+1555${prefix.length}${String(g).padStart(6, '0')}`;
  await q(
    `INSERT INTO campaign_recipients (campaign_id, phone, variables)
     SELECT $1, phone, jsonb_build_object('first_name', 'R' || id) FROM contacts WHERE phone = ANY($2::text[])`,
    [campaignId, Array.from({ length: 40 }, (_, g) => phone(g))],
  );
  await q(
    `INSERT INTO campaign_recipients (campaign_id, phone)
     SELECT $1, phone FROM contacts WHERE phone = ANY($2::text[])`,
    [cronCampaignId, Array.from({ length: 40 }, (_, g) => phone(g + 20))],
  );
  const runs = await q(
    `INSERT INTO campaign_runs (campaign_id, scheduled_for, status, started_at)
     VALUES ($1, now() - interval '2 hours', 'running', now() - interval '115 minutes'),
            ($2, now() - interval '7 days', 'completed', now() - interval '7 days' + interval '1 minute'),
            ($2, now() - interval '1 hour', 'running', now() - interval '1 hour')
     RETURNING id`,
    [campaignId, cronCampaignId],
  );
  const runIds = runs.rows.map((r: { id: number }) => r.id) as [number, number, number];

  // Enqueue: one multi-row INSERT per run, like the dispatcher's set-based enqueue.
  await q(
    `INSERT INTO outbound_messages (campaign_id, run_id, recipient_id, contact_id, to_phone, body, requested_line, queued_at)
     SELECT r.campaign_id, $2, r.id, c.id, r.phone, 'Hi', c.sticky_line, now() - interval '2 hours'
       FROM campaign_recipients r JOIN contacts c ON c.phone = r.phone WHERE r.campaign_id = $1`,
    [campaignId, runIds[0]],
  );
  for (const run of [runIds[1], runIds[2]]) {
    await q(
      `INSERT INTO outbound_messages (campaign_id, run_id, recipient_id, contact_id, to_phone, body, queued_at)
       SELECT r.campaign_id, $2, r.id, c.id, r.phone, 'News', now() - interval '1 hour'
         FROM campaign_recipients r JOIN contacts c ON c.phone = r.phone WHERE r.campaign_id = $1`,
      [cronCampaignId, run],
    );
  }
  // An auto-reply and an opt-out confirmation: not campaign messages, never counted.
  await q(
    `INSERT INTO outbound_messages (campaign_id, contact_id, kind, to_phone, body, status, sent_at, from_line, channel)
     SELECT $1, id, k::message_kind, phone, 'thanks', 'sent', now(), $2, 'imessage'
       FROM contacts, unnest(ARRAY['auto_reply', 'opt_out_confirmation']) k WHERE phone = $3`,
    [campaignId, LINES[0], phone(1)],
  );

  // Claim 36 of the one-off campaign's 40 (4 stay queued), as the worker would.
  const ids = (
    await q(`SELECT id FROM outbound_messages WHERE run_id = $1 ORDER BY id`, [runIds[0]])
  ).rows.map((r: { id: number }) => Number(r.id));
  const batch = (from: number, to: number) => ids.slice(from, to);
  await q(
    `UPDATE outbound_messages SET status = 'sending', lease_owner = 'w1', lease_expires_at = now() + interval '1 minute', attempts = attempts + 1
      WHERE id = ANY($1::bigint[])`,
    [batch(0, 36)],
  );
  // 2 stay 'sending'; 30 get sent, one by one from several connections (distinct shards).
  await Promise.all(
    batch(0, 30).map((id, i) =>
      q(
        `UPDATE outbound_messages
            SET status = 'sent', lease_owner = NULL, lease_expires_at = NULL,
                sent_at = now() - interval '90 minutes' + ($2::int * interval '20 seconds'),
                from_line = coalesce(requested_line, $3), channel = 'imessage', provider_message_id = 'pm-' || id
          WHERE id = $1`,
        [id, i, LINES[i % 3]],
      ),
    ),
  );
  // 4 fail at send time (no sent_at) with ranked reasons, one with a formula-like reason.
  const failures: [number, string][] = [
    [30, 'invalid number'],
    [31, 'invalid number'],
    [32, '=HYPERLINK("http://evil")'],
    [33, 'provider HTTP 400: +15557770033 cannot receive iMessage'],
  ];
  for (const [i, reason] of failures) {
    await q(
      `UPDATE outbound_messages SET status = 'failed', failed_at = now() - interval '80 minutes', last_error = $2,
              lease_owner = NULL, lease_expires_at = NULL WHERE id = $1`,
      [ids[i], reason],
    );
  }
  // Deliveries with known latencies (ms) for 20 of the 30 sent.
  await q(
    `UPDATE outbound_messages m SET status = 'delivered', delivered_at = m.sent_at + (v.ms * interval '1 millisecond')
       FROM unnest($1::bigint[], $2::int[]) AS v(id, ms) WHERE m.id = v.id`,
    [batch(0, 20), Array.from({ length: 20 }, (_, i) => 400 + i * i * 37)],
  );
  // 8 read, 3 through SMS fallback, spam flags on 3 (one with both flags).
  await q(`UPDATE outbound_messages SET status = 'read', read_at = delivered_at + interval '5 minutes' WHERE id = ANY($1::bigint[])`, [batch(0, 8)]);
  await q(`UPDATE outbound_messages SET fallback_used = true, channel = 'sms' WHERE id = ANY($1::bigint[])`, [batch(17, 20)]);
  await q(`UPDATE outbound_messages SET auto_reported_spam = true WHERE id = ANY($1::bigint[])`, [batch(10, 12)]);
  await q(`UPDATE outbound_messages SET marked_spam = true WHERE id = ANY($1::bigint[])`, [batch(11, 13)]);
  // One sent message fails on delivery: it keeps its sent_at and counts as sent.
  await q(`UPDATE outbound_messages SET status = 'failed', failed_at = now(), last_error = 'invalid number' WHERE id = $1`, [ids[25]]);
  // Another of the same cause as #33, naming another person: one group of 2.
  await q(`UPDATE outbound_messages SET status = 'failed', failed_at = now(), last_error = $2 WHERE id = $1`, [ids[24], 'provider HTTP 400: +15557770024 cannot receive iMessage']);
  // Two the carrier never confirmed: unconfirmed, not failed.
  await q(`UPDATE outbound_messages SET status = 'unconfirmed', failed_at = now(), last_error = $2 WHERE id = ANY($1::bigint[])`, [batch(26, 28), UNCONFIRMED_TEXT]);
  // Cancelled and skipped (opted out before the claim).
  await q(`UPDATE outbound_messages SET status = 'cancelled', cancelled_at = now() WHERE id = ANY($1::bigint[])`, [batch(36, 38)]);
  await q(`UPDATE outbound_messages SET status = 'skipped' WHERE id = $1`, [ids[38]]);
  // A lease-like update that touches no counted column: must change nothing.
  await q(`UPDATE outbound_messages SET next_poll_at = now(), poll_attempts = poll_attempts + 1 WHERE run_id = $1`, [runIds[0]]);

  // The cron campaign: the first run fully delivered, the second half sent.
  await q(
    `UPDATE outbound_messages SET status = 'delivered', sent_at = now() - interval '7 days', delivered_at = now() - interval '7 days' + interval '3 seconds',
            from_line = $2, channel = 'imessage' WHERE run_id = $1`,
    [runIds[1], LINES[2]],
  );
  await q(`UPDATE campaign_runs SET completed_at = now() - interval '7 days' + interval '30 minutes' WHERE id = $1`, [runIds[1]]);

  // A campaign cancelled before its first send: its 5 messages were cancelled.
  const cancelled = await q(
    `INSERT INTO campaigns (name, message, schedule_at, status, timezone) VALUES ($1, 'Never', now() - interval '1 day', 'cancelled', 'America/Chicago') RETURNING id`,
    [`${prefix}-cancelled`],
  );
  const cancelledCampaignId = cancelled.rows[0].id as number;
  await q(
    `INSERT INTO campaign_recipients (campaign_id, phone) SELECT $1, phone FROM contacts WHERE phone = ANY($2::text[])`,
    [cancelledCampaignId, Array.from({ length: 5 }, (_, g) => phone(g))],
  );
  const cancelledRun = await q(
    `INSERT INTO campaign_runs (campaign_id, scheduled_for, status, started_at) VALUES ($1, now() - interval '1 day', 'cancelled', now() - interval '1 day') RETURNING id`,
    [cancelledCampaignId],
  );
  await q(
    `INSERT INTO outbound_messages (campaign_id, run_id, recipient_id, contact_id, to_phone, body, status, cancelled_at)
     SELECT r.campaign_id, $2, r.id, c.id, r.phone, 'Never', 'cancelled', now()
       FROM campaign_recipients r JOIN contacts c ON c.phone = r.phone WHERE r.campaign_id = $1`,
    [cancelledCampaignId, cancelledRun.rows[0].id],
  );
  await q(
    `UPDATE outbound_messages SET status = 'sent', sent_at = now() - interval '30 minutes', from_line = $2, channel = 'imessage'
      WHERE run_id = $1 AND id % 2 = 0`,
    [runIds[2], LINES[1]],
  );

  // Replies: a webhook event, inbound messages linked to the latest outbound message,
  // recipients marked replied, opt-outs with their consent events.
  const replies: [number, string, boolean][] = [
    [0, 'Thanks!', false],
    [0, 'When does it end?', false],
    [1, 'STOP', true],
    [2, '@mention me', false],
    [3, '-1 for this', false],
    [25, 'stop', true],
  ];
  for (const [k, [i, body, optOut]] of replies.entries()) {
    const ev = await q(
      `INSERT INTO webhook_events (provider_event_id, type, payload, processed_at) VALUES ($1, 'imessage.incoming', $2, now()) RETURNING id`,
      [`evt-${prefix}-${i}-${body}`, JSON.stringify({ body })],
    );
    const inbound = await q(
      `INSERT INTO inbound_messages (webhook_event_id, from_phone, to_line, body, channel, sent_at, contact_id, campaign_id, recipient_id, outbound_message_id, is_opt_out)
       SELECT $1, m.to_phone, coalesce(m.from_line, $5), $2, 'imessage', now() - interval '10 minutes' + ($6::int * interval '1 second'),
              m.contact_id, m.campaign_id, m.recipient_id, m.id, $3
         FROM outbound_messages m WHERE m.id = $4 RETURNING id, contact_id`,
      [ev.rows[0].id, body, optOut, ids[i], LINES[0], k],
    );
    await q(`UPDATE campaign_recipients SET replied_at = coalesce(replied_at, now()) WHERE id = (SELECT recipient_id FROM outbound_messages WHERE id = $1)`, [ids[i]]);
    if (optOut) {
      await q(`UPDATE contacts SET opted_out = true, opted_out_at = now() WHERE id = $1`, [inbound.rows[0].contact_id]);
      await q(`INSERT INTO consent_events (contact_id, kind, keyword, source, inbound_message_id) VALUES ($1, 'opt_out', 'STOP', 'reply', $2)`, [
        inbound.rows[0].contact_id,
        inbound.rows[0].id,
      ]);
    }
  }
  // A reply inserted first without links, linked later (the processor may do it in two steps).
  const late = await q(
    `INSERT INTO inbound_messages (from_phone, to_line, body, channel, sent_at) VALUES ($1, $2, 'late link', 'sms', now() - interval '5 minutes') RETURNING id`,
    [phone(4), LINES[1]],
  );
  await q(
    `UPDATE inbound_messages i SET campaign_id = m.campaign_id, recipient_id = m.recipient_id, outbound_message_id = m.id, contact_id = m.contact_id
       FROM outbound_messages m WHERE i.id = $1 AND m.id = $2`,
    [late.rows[0].id, ids[4]],
  );
  // A reply to the cron campaign's first run, and one to a campaign we are not reporting on.
  await q(
    `INSERT INTO inbound_messages (from_phone, to_line, body, channel, sent_at, contact_id, campaign_id, recipient_id, outbound_message_id)
     SELECT to_phone, from_line, 'weekly reply', 'imessage', now(), contact_id, campaign_id, recipient_id, id
       FROM outbound_messages WHERE run_id = $1 ORDER BY id LIMIT 3`,
    [runIds[1]],
  );
  return { campaignId, campaignName: prefix, cronCampaignId, runIds, otherCampaignId, cancelledCampaignId, lines: LINES };
}

/** The figures of a report computed straight from the messages, the slow way. */
export async function truthFromMessages(pool: pg.Pool, campaignId: number, runId: number | null = null) {
  const where = `campaign_id = $1 AND kind = 'campaign' AND ($2::int IS NULL OR run_id = $2)`;
  const byStatus = await pool.query(`SELECT status::text, count(*)::int AS n FROM outbound_messages WHERE ${where} GROUP BY status`, [campaignId, runId]);
  const totals = await pool.query(
    `SELECT count(*)::int AS messages,
            count(*) FILTER (WHERE sent_at IS NOT NULL)::int AS sent,
            count(*) FILTER (WHERE delivered_at IS NOT NULL OR status IN ('delivered', 'read'))::int AS delivered,
            count(*) FILTER (WHERE read_at IS NOT NULL OR status = 'read')::int AS read,
            count(*) FILTER (WHERE fallback_used OR channel IN ('sms', 'mms'))::int AS fallback,
            count(*) FILTER (WHERE auto_reported_spam)::int AS auto_spam,
            count(*) FILTER (WHERE marked_spam)::int AS marked_spam,
            count(*) FILTER (WHERE auto_reported_spam OR marked_spam)::int AS spam,
            min(sent_at) AS first_sent, max(sent_at) AS last_sent,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM delivered_at - sent_at) * 1000) AS p50,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM delivered_at - sent_at) * 1000) AS p95
       FROM outbound_messages WHERE ${where}`,
    [campaignId, runId],
  );
  // Causes: the seed's reasons only name people as +E.164 numbers.
  const reasons = await pool.query(
    `SELECT regexp_replace(coalesce(nullif(last_error, ''), 'unknown'), '\\+[0-9]{7,15}', '<phone>', 'g') AS cause, count(*)::int AS count
       FROM outbound_messages
      WHERE ${where} AND status = 'failed' GROUP BY 1 ORDER BY count(*) DESC, 1`,
    [campaignId, runId],
  );
  const outcome = await pool.query(
    `SELECT count(*) FILTER (WHERE status IN ('delivered', 'read'))::int AS delivered,
            count(*) FILTER (WHERE status = 'failed')::int AS failed,
            count(*) FILTER (WHERE status = 'unconfirmed')::int AS unconfirmed,
            count(*) FILTER (WHERE status IN ('delivered', 'read', 'failed', 'unconfirmed', 'skipped'))::int AS reached,
            count(*)::int AS messages
       FROM outbound_messages WHERE ${where}`,
    [campaignId, runId],
  );
  const lines = await pool.query(
    `SELECT coalesce(from_line, requested_line) AS line,
            count(*) FILTER (WHERE sent_at IS NOT NULL)::int AS sent,
            count(*) FILTER (WHERE status = 'failed')::int AS failed,
            count(*) FILTER (WHERE auto_reported_spam OR marked_spam)::int AS spam
       FROM outbound_messages WHERE ${where} AND coalesce(from_line, requested_line) IS NOT NULL GROUP BY 1 ORDER BY 1`,
    [campaignId, runId],
  );
  const replies = await pool.query(
    `SELECT count(*)::int AS replies,
            count(DISTINCT (o.run_id, i.recipient_id)) FILTER (WHERE i.recipient_id IS NOT NULL)::int AS repliers,
            count(DISTINCT (o.run_id, i.recipient_id)) FILTER (WHERE i.is_opt_out)::int AS opt_outs
       FROM inbound_messages i LEFT JOIN outbound_messages o ON o.id = i.outbound_message_id
      WHERE i.campaign_id = $1 AND ($2::int IS NULL OR o.run_id = $2)`,
    [campaignId, runId],
  );
  return {
    byStatus: Object.fromEntries(byStatus.rows.map((r: { status: string; n: number }) => [r.status, r.n])) as Record<string, number>,
    totals: totals.rows[0],
    reasons: reasons.rows as { cause: string; count: number }[],
    outcome: outcome.rows[0] as { delivered: number; failed: number; unconfirmed: number; reached: number; messages: number },
    lines: lines.rows as { line: string; sent: number; failed: number; spam: number }[],
    replies: replies.rows[0] as { replies: number; repliers: number; opt_outs: number },
  };
}
