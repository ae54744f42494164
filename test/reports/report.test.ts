import pg from 'pg';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/lib/errors.ts';
import { buildReport } from '../../src/reports/build.ts';
import { compactRollups } from '../../src/reports/compact.ts';
import { recipientsCsvStream } from '../../src/reports/csv.ts';
import { csvSafeSql, formulaSafe } from '../../src/lib/csv.ts';
import { reportSchema, type Report } from '../../src/reports/schema.ts';
import { buildTimeline } from '../../src/reports/timeline.ts';
import { listCampaignSummaries } from '../../src/reports/summaries.ts';
import { failureCause } from '../../src/reports/reasons.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { makeCampaign, runImport } from '../import/support.ts';
import { seedReportData, truthFromMessages, type Seeded } from './seed.ts';

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
}

/** Every figure of the report against plain SQL over the messages. */
async function expectReportMatchesMessages(db: TestDatabase, report: Report, campaignId: number, runId: number | null = null) {
  const truth = await truthFromMessages(db.pool, campaignId, runId);
  const byStatus = Object.fromEntries(Object.entries(report.byStatus).filter(([, n]) => n > 0));
  expect(byStatus).toEqual(truth.byStatus);
  const t = truth.totals;
  expect(report.totals).toMatchObject({
    messages: t.messages,
    sent: t.sent,
    delivered: t.delivered,
    read: t.read,
    fallback: t.fallback,
    autoReportedSpam: t.auto_spam,
    markedSpam: t.marked_spam,
    spamFlagged: t.spam,
    failed: truth.byStatus.failed ?? 0,
    cancelled: truth.byStatus.cancelled ?? 0,
    skippedOptedOut: truth.byStatus.skipped ?? 0,
    replies: truth.replies.replies,
    repliers: truth.replies.repliers,
    optOuts: truth.replies.opt_outs,
  });
  expect(report.failureReasons.map(({ cause, count }) => ({ cause, count }))).toEqual(truth.reasons);
  for (const f of report.failureReasons) expect(failureCause(f.example)).toBe(f.cause);
  const o = truth.outcome;
  expect(report.outcomes).toMatchObject({ delivered: o.delivered, failed: o.failed, unconfirmed: o.unconfirmed, reachedOutcome: o.reached, messages: o.messages });
  expect(report.totals.unconfirmed).toBe(o.unconfirmed);
  const den = o.delivered + o.failed + o.unconfirmed;
  expect(report.rates.delivery).toBe(den > 0 ? o.delivered / den : null);
  expect(report.rates.unconfirmed).toBe(den > 0 ? o.unconfirmed / den : null);
  expect(report.rates.progress).toBe(o.messages > 0 ? o.reached / o.messages : null);
  expect(report.timing.firstSentAt).toBe(t.first_sent?.toISOString() ?? null);
  expect(report.timing.lastSentAt).toBe(t.last_sent?.toISOString() ?? null);
  const lines = report.lines.filter((l) => l.line !== null).map((l) => ({ line: l.line, sent: l.sent, failed: l.failed, spam: l.spamFlags }));
  expect(lines.sort((a, b) => a.line!.localeCompare(b.line!))).toEqual(truth.lines);
  if (report.timing.deliveryLatencyMs.method === 'exact') {
    for (const p of ['p50', 'p95'] as const) {
      if (t[p] === null) expect(report.timing.deliveryLatencyMs[p]).toBeNull();
      else expect(report.timing.deliveryLatencyMs[p]).toBeCloseTo(t[p], 6);
    }
  }
  return truth;
}

describe('campaign report', () => {
  let db: TestDatabase;
  let s: Seeded;
  beforeAll(async () => {
    db = await createTestDatabase();
    s = await seedReportData(db.pool);
  });

  it('agrees with plain SQL over the messages, for the campaign and for each run', async () => {
    const report = reportSchema.parse(await buildReport(db.pool, s.campaignName));
    await expectReportMatchesMessages(db, report, s.campaignId);
    // The seed's shape, spelled out, so that a seed that silently produced nothing fails.
    expect(report.byStatus).toEqual({ queued: 1, sending: 2, sent: 6, delivered: 12, read: 8, failed: 6, unconfirmed: 2, cancelled: 2, skipped: 1, expired: 0 });
    expect(report.totals).toMatchObject({ messages: 40, sent: 30, delivered: 20, read: 8, failed: 6, unconfirmed: 2, fallback: 3, spamFlagged: 3, replies: 7, repliers: 6, optOuts: 2 });
    // Failures at send time (never sent) count against delivery like the one that failed after sending.
    expect(report.failureReasons).toEqual([
      { cause: 'invalid number', count: 3, example: 'invalid number' },
      { cause: 'provider HTTP 400: <phone> cannot receive iMessage', count: 2, example: 'provider HTTP 400: +15557770024 cannot receive iMessage' },
      { cause: '=HYPERLINK("http://evil")', count: 1, example: '=HYPERLINK("http://evil")' },
    ]);
    expect(report.outcomes).toMatchObject({ delivered: 20, failed: 6, unconfirmed: 2, skipped: 1, cancelled: 2, waiting: 3, awaitingDelivery: 6, deliveryOutcomes: 28, reachedOutcome: 29 });
    expect(report.rates.delivery).toBeCloseTo(20 / 28);
    expect(report.rates.failure).toBeCloseTo(6 / 28);
    expect(report.rates.unconfirmed).toBeCloseTo(2 / 28);
    expect(report.rates.progress).toBeCloseTo(29 / 40);
    // Real start (the run's), not the schedule; not complete while its run is open.
    const run = (await db.pool.query(`SELECT started_at FROM campaign_runs WHERE id = $1`, [s.runIds[0]])).rows[0];
    expect(report.timing.startedAt).toBe(run.started_at.toISOString());
    expect(report.timing.startedAt).not.toBe(report.campaign.scheduleAt);
    expect(report.timing.completedAt).toBeNull();
    expect(report.rates.read).toBeCloseTo(8 / 20);
    expect(report.rates.reply).toBeCloseTo(6 / 30);
    expect(report.rates.optOut).toBeCloseTo(2 / 30);
    expect(report.rateDefinitions.delivery).toMatch(/^delivered \(or read\) \/ \(delivered \+ failed \+ unconfirmed\)/);
    expect(report.timing.deliveryLatencyMs).toMatchObject({ method: 'exact', samples: 20 });
    const span = Date.parse(report.timing.lastSentAt!) - Date.parse(report.timing.firstSentAt!);
    expect(span).toBeGreaterThan(500_000); // 30 sends about 20 s apart
    expect(report.timing.messagesPerMinute).toBeCloseTo(30 / (span / 60_000), 6);
    expect(report.recentReplies.map((r) => r.body)).toEqual(['late link', 'stop', '-1 for this', '@mention me', 'STOP', 'When does it end?', 'Thanks!']);
    expect(report.runs).toHaveLength(1);

    for (const runId of s.runIds.slice(1)) {
      const runReport = await buildReport(db.pool, s.cronCampaignId, { runId });
      await expectReportMatchesMessages(db, runReport, s.cronCampaignId, runId);
    }
    const cron = await buildReport(db.pool, String(s.cronCampaignId));
    await expectReportMatchesMessages(db, cron, s.cronCampaignId);
    expect(cron.runs.map((r) => [r.id, r.messages, r.delivered, r.replies])).toEqual([
      [s.runIds[2], 40, 0, 0],
      [s.runIds[1], 40, 40, 3],
    ]);
    const firstRun = await buildReport(db.pool, s.cronCampaignId, { runId: s.runIds[1]! });
    const done = (await db.pool.query(`SELECT completed_at FROM campaign_runs WHERE id = $1`, [s.runIds[1]])).rows[0];
    expect(firstRun.timing.completedAt).toBe(done.completed_at.toISOString());
    expect(firstRun.rates.progress).toBe(1);
    expect(firstRun.rates.delivery).toBe(1);
  });

  it('a campaign cancelled before sending shows no progress and no delivery rate', async () => {
    const report = reportSchema.parse(await buildReport(db.pool, s.cancelledCampaignId));
    await expectReportMatchesMessages(db, report, s.cancelledCampaignId);
    expect(report.outcomes).toMatchObject({ messages: 5, cancelled: 5, reachedOutcome: 0, deliveryOutcomes: 0 });
    expect(report.rates.progress).toBe(0);
    expect(report.rates.delivery).toBeNull();
    expect(report.timing.completedAt).toBeNull();
    const row = (await listCampaignSummaries(db.pool)).find((c) => c.id === s.cancelledCampaignId)!;
    expect(row).toMatchObject({ messages: 5, cancelled: 5, progress: 0, deliveryRate: null });
  });

  it('counts new contacts per line since midnight in the campaign time zone', async () => {
    const report = await buildReport(db.pool, s.campaignId);
    const truth = await db.pool.query(
      `SELECT sticky_line AS line, count(*)::int AS n FROM contacts
        WHERE sticky_line_assigned_at >= date_trunc('day', now() AT TIME ZONE 'America/New_York') AT TIME ZONE 'America/New_York'
        GROUP BY 1`,
    );
    const expected = new Map(truth.rows.map((r: { line: string; n: number }) => [r.line, r.n]));
    expect(report.lines.length).toBeGreaterThan(0);
    for (const l of report.lines) expect(l.newContactsToday).toBe(l.line ? (expected.get(l.line) ?? 0) : 0);
  });

  it('finds a campaign by name or id and refuses unknown ones and foreign runs', async () => {
    expect((await buildReport(db.pool, s.campaignId)).campaign.name).toBe(s.campaignName);
    await expect(buildReport(db.pool, 'no-such-campaign')).rejects.toBeInstanceOf(NotFoundError);
    await expect(buildReport(db.pool, s.campaignId, { runId: s.runIds[1] })).rejects.toThrow(/has no run/);
    const empty = await buildReport(db.pool, s.otherCampaignId);
    expect(empty.totals.messages).toBe(0);
    expect(empty.rates.delivery).toBeNull();
    expect(empty.timing.deliveryLatencyMs).toEqual({ samples: 0, p50: null, p95: null, method: 'exact' });
  });

  it('histogram percentiles stay within the 2% bucket width of percentile_cont', async () => {
    const exact = await buildReport(db.pool, s.campaignId);
    const hist = await buildReport(db.pool, s.campaignId, { exactLatencyLimit: 0 });
    expect(hist.timing.deliveryLatencyMs.method).toBe('histogram');
    expect(hist.timing.deliveryLatencyMs.samples).toBe(exact.timing.deliveryLatencyMs.samples);
    for (const p of ['p50', 'p95'] as const) {
      const e = exact.timing.deliveryLatencyMs[p]!;
      expect(Math.abs(hist.timing.deliveryLatencyMs[p]! - e) / e).toBeLessThan(0.02);
    }
  });

  it('the timeline sums to the events in the messages', async () => {
    const tl = await buildTimeline(db.pool, s.campaignId);
    const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
    const report = await buildReport(db.pool, s.campaignId);
    expect(sum(tl.sent)).toBe(report.totals.sent);
    expect(sum(tl.delivered)).toBe(report.totals.delivered);
    expect(sum(tl.replies)).toBe(report.totals.replies);
    const failedAt = await db.pool.query(`SELECT count(*)::int AS n FROM outbound_messages WHERE campaign_id = $1 AND kind = 'campaign' AND failed_at IS NOT NULL`, [s.campaignId]);
    expect(sum(tl.failed)).toBe(failedAt.rows[0].n);
    expect(tl.minutes.every((m, i) => i === 0 || m - tl.minutes[i - 1]! === 60)).toBe(true);
  });

  it('the campaigns list shows the same progress and rates as the reports', async () => {
    const list = await listCampaignSummaries(db.pool);
    const report = await buildReport(db.pool, s.campaignId);
    const row = list.find((c) => c.id === s.campaignId)!;
    expect(row).toMatchObject({ messages: 40, pending: 3, sent: 30, delivered: 20, failed: 6, unconfirmed: 2, repliers: 6 });
    expect(row.deliveryRate).toBe(report.rates.delivery);
    expect(row.replyRate).toBe(report.rates.reply);
    expect(row.progress).toBe(report.rates.progress);
    expect(row.progress).toBeCloseTo(29 / 40);
  });

  it('exports one CSV row per recipient message with its history, formulas escaped', async () => {
    const text = await readAll(await recipientsCsvStream(db.pool, s.campaignId));
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(40);
    const byStatus = rows.reduce<Record<string, number>>((a, r) => ({ ...a, [r.status!]: (a[r.status!] ?? 0) + 1 }), {});
    const report = await buildReport(db.pool, s.campaignId);
    expect(byStatus).toEqual(Object.fromEntries(Object.entries(report.byStatus).filter(([, n]) => n > 0)));
    // Every value a spreadsheet would evaluate starts with a quote; numbers and E.164 phones are data.
    for (const r of rows) for (const v of Object.values(r)) expect(formulaSafe(v)).toBe(v);
    expect(rows[0]!.phone).toMatch(/^\+1555\d+$/);
    expect(rows.some((r) => r.failure_reason === `'=HYPERLINK("http://evil")`)).toBe(true);
    const replied = rows.filter((r) => r.replied === 'true');
    expect(replied).toHaveLength(report.totals.repliers);
    expect(rows.filter((r) => r.opted_out_by_reply === 'true')).toHaveLength(report.totals.optOuts);
    const delivered = rows.find((r) => r.status === 'read')!;
    expect(Date.parse(delivered.delivered_at!)).toBeGreaterThan(Date.parse(delivered.sent_at!));
    expect(delivered.read_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const perRun = parse(await readAll(await recipientsCsvStream(db.pool, s.cronCampaignId)), { columns: true }) as Record<string, string>[];
    expect(perRun).toHaveLength(80);
    const oneRun = parse(await readAll(await recipientsCsvStream(db.pool, s.cronCampaignId, s.runIds[1]!)), { columns: true }) as Record<string, string>[];
    expect(oneRun).toHaveLength(40);
    expect(oneRun.filter((r) => r.replied === 'true')).toHaveLength(3);
  });
});

describe('report rollups under concurrent writers', () => {
  let db: TestDatabase;
  let s: Seeded;
  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 8 });
    s = await seedReportData(db.pool, 'busy');
  });

  it('two transactions moving messages between the same counters in opposite orders do not deadlock', async () => {
    const ids = (await db.pool.query(`SELECT id FROM outbound_messages WHERE run_id = $1 ORDER BY id LIMIT 4`, [s.runIds[2]])).rows.map((r: { id: number }) => Number(r.id));
    const [a1, a2, b1, b2] = ids as [number, number, number, number];
    const [l1, l2] = s.lines as [string, string];
    await db.pool.query(
      `UPDATE outbound_messages m SET status = 'sent', sent_at = now(), channel = 'imessage', from_line = v.line
         FROM unnest($1::bigint[], $2::text[]) v(id, line) WHERE m.id = v.id`,
      [[a1, a2, b1, b2], [l1, l2, l2, l1]],
    );
    const deliver = (c: pg.PoolClient, id: number) =>
      c.query(`UPDATE outbound_messages SET status = 'delivered', delivered_at = now() WHERE id = $1`, [id]);
    const A = await db.pool.connect();
    const B = await db.pool.connect();
    try {
      // A takes the (sent, l1) → (delivered, l1) counters, B the l2 ones; then
      // each moves a message of the other line. Counter rows shared between
      // writers would make this the textbook deadlock; the messages
      // themselves are all distinct.
      // Without the shards this would hang on a counter row or fail with a deadlock; fail fast instead.
      for (const c of [A, B]) await c.query(`SET lock_timeout = '5s'`);
      await A.query('BEGIN');
      await B.query('BEGIN');
      await deliver(A, a1);
      await deliver(B, b1);
      await Promise.all([deliver(A, a2), deliver(B, b2)]);
      await A.query('COMMIT');
      await B.query('COMMIT');
    } finally {
      for (const c of [A, B]) {
        await c.query('ROLLBACK').catch(() => undefined);
        await c.query('RESET lock_timeout').catch(() => undefined);
      }
      A.release();
      B.release();
    }
    const report = await buildReport(db.pool, s.cronCampaignId, { runId: s.runIds[2] });
    await expectReportMatchesMessages(db, report, s.cronCampaignId, s.runIds[2]!);
    const shards = await db.pool.query(`SELECT count(DISTINCT shard)::int AS n FROM report_counts WHERE run_id = $1`, [s.runIds[2]]);
    expect(shards.rows[0].n).toBeGreaterThan(2);
  });

  it('compaction folds the rows of closed connections into shard 0 and changes no figure', async () => {
    // A connection of its own, closed afterwards: its rows become foldable.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const pid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    await client.query(`UPDATE outbound_messages SET status = 'cancelled', cancelled_at = now() WHERE campaign_id = $1 AND status = 'queued'`, [s.campaignId]);
    await client.query(`DELETE FROM inbound_messages WHERE body = 'late link'`);
    await client.end();
    const deadline = Date.now() + 10_000;
    while ((await db.pool.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount) {
      if (Date.now() > deadline) throw new Error(`backend ${pid} did not go away`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const before = await buildReport(db.pool, s.campaignId);
    await expectReportMatchesMessages(db, before, s.campaignId);
    const moved = await compactRollups(db.pool);
    expect(moved.counts).toBeGreaterThan(0);
    const left = await db.pool.query(`SELECT count(*)::int AS n FROM report_counts WHERE shard = $1`, [pid]);
    expect(left.rows[0].n).toBe(0);
    const after = await buildReport(db.pool, s.campaignId);
    expect({ ...after, generatedAt: '' }).toEqual({ ...before, generatedAt: '' });
    expect(await compactRollups(db.pool, s.campaignId)).toEqual({ counts: 0, series: 0 });
  });

  it('deleting a campaign deletes its messages and its rollups', async () => {
    await db.pool.query('DELETE FROM campaigns WHERE id = $1', [s.cronCampaignId]);
    for (const table of ['report_counts', 'report_series', 'report_replies']) {
      const n = await db.pool.query(`SELECT count(*)::int AS n FROM ${table} WHERE campaign_id = $1`, [s.cronCampaignId]);
      expect(n.rows[0].n).toBe(0);
    }
  });
});

describe('recipient CSV export, exactly', () => {
  it('has plain phones, true/false, the recipient CSV columns as imported and the text sent', async () => {
    const db = await createTestDatabase({ poolSize: 2 });
    const c = await makeCampaign(db, { message: 'Hi {{first_name}}' });
    // "status" collides with a column of the export; "=cmd…" is a formula; timezone is a column of its own.
    const s = await runImport(db, c, 'phone,First Name,Status,Note,Timezone\n+14155552671,Ann,vip,"=cmd|x, y",America/New_York\n+1 415 555 2672,Bob,,plain,\n');
    expect(s).toMatchObject({ imported: 2 });
    await db.pool.query(
      `INSERT INTO contacts (phone, opted_out, opted_out_at) VALUES ('+14155552671', false, NULL), ('+14155552672', true, '2026-12-01T10:00:00Z')
       ON CONFLICT (phone) DO UPDATE SET opted_out = excluded.opted_out, opted_out_at = excluded.opted_out_at`,
    );
    const run = await db.pool.query(`INSERT INTO campaign_runs (campaign_id, scheduled_for, status) VALUES ($1, now(), 'running') RETURNING id`, [c.id]);
    const runId = run.rows[0].id as number;
    await db.pool.query(
      `INSERT INTO outbound_messages (campaign_id, run_id, recipient_id, contact_id, to_phone, body, status, channel, from_line, queued_at, sent_at, delivered_at, attempts)
       SELECT r.campaign_id, $2, r.id, k.id, r.phone, 'Hi Ann, "today"', 'delivered', 'imessage', '+14155550100',
              '2026-12-01T09:00:00Z', '2026-12-01T09:00:01.5Z', '2026-12-01T09:00:03Z', 1
         FROM campaign_recipients r JOIN contacts k ON k.phone = r.phone WHERE r.campaign_id = $1 AND r.phone = '+14155552671'`,
      [c.id, runId],
    );
    const text = await readAll(await recipientsCsvStream(db.pool, c.id));
    expect(text).toBe(
      'phone,timezone,first_name,note,csv_status,run_id,status,message,channel,line,queued_at,sent_at,delivered_at,read_at,failed_at,cancelled_at,failure_reason,attempts,sms_fallback,spam_flagged,replied,opted_out_by_reply,opted_out,opted_out_at,consent_note,not_before,hold_reason\n' +
        `+14155552671,America/New_York,Ann,"'=cmd|x, y",vip,${runId},delivered,"Hi Ann, ""today""",imessage,+14155550100,2026-12-01T09:00:00.000Z,2026-12-01T09:00:01.500Z,2026-12-01T09:00:03.000Z,,,,,1,false,false,false,false,false,,,,\n` +
        // An empty cell of the file stays an empty string (""); no message: empty times, no reply.
        '+14155552672,,Bob,plain,"",,,,,,,,,,,,,,,,false,false,true,2026-12-01T10:00:00.000Z,,,\n',
    );
  });
});

describe('CSV formula escaping', () => {
  it('quotes exactly the values a spreadsheet would evaluate, in SQL and in TypeScript alike', async () => {
    const db = await createTestDatabase({ poolSize: 1 });
    const cases: [string, string][] = [
      ['=1+1', "'=1+1"],
      ['+15551234567', '+15551234567'],
      ['-2', '-2'],
      ['+3.5e2', '+3.5e2'],
      ['@SUM(A1)', "'@SUM(A1)"],
      ["+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"],
      ['-1+1', "'-1+1"],
      ['+1 415 555 2671', "'+1 415 555 2671"],
      ['\tx', "'\tx"],
      ['\rx', "'\rx"],
      ['plain', 'plain'],
      ['', ''],
      ['a=b', 'a=b'],
      [' =1', ' =1'],
    ];
    const res = await db.pool.query(`SELECT ${csvSafeSql('v')} AS out FROM unnest($1::text[]) WITH ORDINALITY AS t(v, i) ORDER BY i`, [cases.map(([v]) => v)]);
    expect(res.rows.map((r: { out: string }) => r.out)).toEqual(cases.map(([, out]) => out));
    expect(cases.map(([v]) => formulaSafe(v))).toEqual(cases.map(([, out]) => out));
  });
});
