/**
 * bench/report: the report of a 1,000,000-message campaign must answer in
 * under 100 ms. Builds that campaign in an embedded PostgreSQL of its own
 * (generate_series INSERTs through the real rollup triggers), then times
 * buildReport() next to a plain count(*) over the same rows, measured in the
 * same run. Also prints what the triggers cost the writers.
 *
 *   node --import tsx bench/report/run.ts [--messages 1000000]
 */
import { parseArgs } from 'node:util';
import { openDatabase } from '../../src/db/database.ts';
import { buildReport } from '../../src/reports/build.ts';
import { startBenchDatabase } from '../support.ts';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '1000000' }, repeat: { type: 'string', default: '30' } } });
const N = Number(values.messages);
const REPEAT = Number(values.repeat);

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { median: at(0.5), p95: at(0.95), min: s[0]! };
}

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const out = await fn();
  return [performance.now() - t0, out];
}

const bench = await startBenchDatabase('report');
try {
  const { url } = bench;
  const db = openDatabase(url, { max: 4 });
  const q = (sql: string, params: unknown[] = []) => db.pool.query(sql, params);
  try {
    console.log(`building a campaign of ${N.toLocaleString('en-US')} messages…`);
    await q(`INSERT INTO campaigns (name, message, status) VALUES ('big', 'Hello {{first_name}}', 'running'), ('small', 'Hi', 'running')`);
    await q(`INSERT INTO campaign_runs (campaign_id, scheduled_for, status) VALUES (1, now() - interval '2 days', 'running')`);
    await q(
      `INSERT INTO contacts (phone, sticky_line, sticky_line_assigned_at)
       SELECT '+1' || (2000000000 + g)::text, '+1555010' || lpad((g % 10)::text, 4, '0'), now() - (g % 1000) * interval '1 day'
         FROM generate_series(1, $1) g`,
      [N],
    );
    await q(`INSERT INTO campaign_recipients (campaign_id, phone) SELECT 1, phone FROM contacts`);
    // Statuses by g % 100; sends 100 ms apart; delivery 0.3–10 s after the send.
    const insertMessages = (table: string) =>
      q(`INSERT INTO ${table} (campaign_id, run_id, recipient_id, contact_id, to_phone, body, status, channel, from_line,
                               requested_line, sent_at, delivered_at, read_at, failed_at, last_error, fallback_used,
                               auto_reported_spam, lease_owner, lease_expires_at, provider_message_id)
         SELECT 1, 1, r.id, ct.id, r.phone, 'Hello',
                s.status::message_status,
                CASE WHEN s.sent THEN (CASE WHEN k >= 97 THEN 'sms' ELSE 'imessage' END)::channel END,
                CASE WHEN s.sent OR k BETWEEN 80 AND 84 THEN '+1555010' || lpad((r.id % 10)::text, 4, '0') END,
                '+1555010' || lpad((r.id % 10)::text, 4, '0'),
                s.sent_at,
                CASE WHEN s.status IN ('delivered', 'read') THEN s.sent_at + (300 + (r.id * 7919) % 9700) * interval '1 millisecond' END,
                CASE WHEN s.status = 'read' THEN s.sent_at + interval '1 minute' END,
                CASE WHEN s.status = 'failed' THEN s.sent_at END,
                CASE WHEN s.status = 'failed' THEN (ARRAY['invalid number', 'provider 500', 'timeout', 'unsupported destination'])[1 + r.id % 4] END,
                k >= 97, k = 42,
                CASE WHEN s.status = 'sending' THEN 'bench' END,
                CASE WHEN s.status = 'sending' THEN now() END,
                CASE WHEN s.sent THEN 'pm-${table}-' || r.id END
           FROM campaign_recipients r
           JOIN contacts ct ON ct.phone = r.phone
          CROSS JOIN LATERAL (SELECT (r.id % 100)::int AS k) kk
          CROSS JOIN LATERAL (
            SELECT st AS status, st IN ('sent', 'delivered', 'read') OR (st = 'failed' AND k = 84) AS sent,
                   CASE WHEN st IN ('sent', 'delivered', 'read') OR (st = 'failed' AND k = 84)
                        THEN now() - interval '2 days' + r.id * interval '100 milliseconds' END AS sent_at
              FROM (SELECT CASE WHEN k < 20 THEN 'read' WHEN k < 60 THEN 'delivered' WHEN k < 80 THEN 'sent'
                                WHEN k < 85 THEN 'failed' WHEN k < 90 THEN 'queued' WHEN k < 92 THEN 'sending'
                                WHEN k < 95 THEN 'cancelled' WHEN k < 97 THEN 'skipped' ELSE 'delivered' END AS st) x
          ) s`);
    // The same rows into a copy of the table without the triggers: the writers' reference.
    await q(`CREATE TABLE bare_messages (LIKE outbound_messages INCLUDING DEFAULTS INCLUDING INDEXES)`);
    const [bareInsertMs] = await time(() => insertMessages('bare_messages'));
    const [insertMs] = await time(() => insertMessages('outbound_messages'));
    const replies = Math.floor(N / 20);
    await q(
      `INSERT INTO inbound_messages (from_phone, to_line, body, channel, sent_at, contact_id, campaign_id, recipient_id, outbound_message_id, is_opt_out)
       SELECT m.to_phone, m.from_line, CASE WHEN m.id % 10 = 0 THEN 'STOP' ELSE 'thanks!' END, 'imessage', m.sent_at + interval '3 minutes',
              m.contact_id, 1, m.recipient_id, m.id, m.id % 10 = 0
         FROM outbound_messages m WHERE m.status IN ('delivered', 'read') ORDER BY m.id LIMIT $1`,
      [replies],
    );
    await q('VACUUM ANALYZE');

    // Single-row status changes, the dispatcher's and the webhooks' pattern.
    const singles = 2000;
    const ids = (await q(`SELECT id FROM outbound_messages WHERE status = 'sent' ORDER BY id LIMIT $1`, [singles])).rows.map((r: { id: number }) => r.id);
    // Alternating between the two tables so that load from elsewhere hits both alike.
    let bareTotal = 0;
    let trigTotal = 0;
    for (const id of ids) {
      const t0 = performance.now();
      await q(`UPDATE bare_messages SET status = 'delivered', delivered_at = now() WHERE id = $1`, [id]);
      const t1 = performance.now();
      await q(`UPDATE outbound_messages SET status = 'delivered', delivered_at = now() WHERE id = $1`, [id]);
      bareTotal += t1 - t0;
      trigTotal += performance.now() - t1;
    }
    const bareUpdateMs = bareTotal / ids.length;
    const updateMs = trigTotal / ids.length;
    await q('VACUUM ANALYZE outbound_messages');

    const counterRows = (await q(`SELECT count(*)::int AS n FROM report_counts`)).rows[0].n as number;
    const countSamples: number[] = [];
    const reportSamples: number[] = [];
    let total = 0;
    let report: Awaited<ReturnType<typeof buildReport>> | undefined;
    for (let i = 0; i < REPEAT + 3; i++) {
      const [c, res] = await time(() => q(`SELECT count(*)::int AS n FROM outbound_messages WHERE campaign_id = 1`));
      const [r, rep] = await time(() => buildReport(db.pool, 'big'));
      if (i < 3) continue; // warm-up
      countSamples.push(c);
      reportSamples.push(r);
      total = res.rows[0].n;
      report = rep;
    }
    const rs = stats(reportSamples);
    const cs = stats(countSamples);
    const lat = report!.timing.deliveryLatencyMs;
    const exact = (
      await q(
        `SELECT percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY extract(epoch FROM delivered_at - sent_at) * 1000) AS p
           FROM outbound_messages WHERE campaign_id = 1 AND sent_at IS NOT NULL AND delivered_at IS NOT NULL`,
      )
    ).rows[0].p as number[];

    const f = (ms: number) => `${ms.toFixed(1)} ms`;
    console.log('');
    console.log(`campaign: ${total.toLocaleString('en-US')} messages, ${replies.toLocaleString('en-US')} replies, ${counterRows} counter rows`);
    console.log(`report (buildReport)          median ${f(rs.median)}  p95 ${f(rs.p95)}  min ${f(rs.min)}   target < 100 ms: ${rs.p95 < 100 ? 'met' : 'MISSED'}`);
    console.log(`reference: plain count(*)     median ${f(cs.median)}  p95 ${f(cs.p95)}  min ${f(cs.min)}`);
    console.log(`ratio report / count(*)       ${(rs.median / cs.median).toFixed(2)}x (median)`);
    console.log(`time to delivery p50/p95      histogram ${lat.p50!.toFixed(0)} / ${lat.p95!.toFixed(0)} ms, exact percentile_cont ${exact[0]!.toFixed(0)} / ${exact[1]!.toFixed(0)} ms`);
    console.log('');
    console.log('cost of the rollup triggers to writers (same rows, same indexes, table without triggers as the reference):');
    console.log(`  INSERT of ${N.toLocaleString('en-US')} queued/sent rows in one statement   ${(insertMs / 1000).toFixed(2)} s vs ${(bareInsertMs / 1000).toFixed(2)} s (${(insertMs / bareInsertMs).toFixed(2)}x)`);
    console.log(`  single-row status UPDATE (x${singles})             ${(updateMs * 1000).toFixed(0)} µs vs ${(bareUpdateMs * 1000).toFixed(0)} µs each (${(updateMs / bareUpdateMs).toFixed(2)}x)`);
    // For bench/run-all.ts: one machine-readable line.
    const benchRows = [
      { name: `report: ${N.toLocaleString('en-US')} messages, p95`, measured: rs.p95, unit: 'ms', reference: cs.p95, referenceLabel: 'count(*) p95', target: '< 100 ms', met: rs.p95 < 100 },
      { name: 'report: rollup triggers, bulk INSERT', measured: insertMs / 1000, unit: 's', reference: bareInsertMs / 1000, referenceLabel: 'no triggers', target: '', met: null },
      { name: 'report: rollup triggers, 1-row UPDATE', measured: updateMs * 1000, unit: 'µs', reference: bareUpdateMs * 1000, referenceLabel: 'no triggers', target: '', met: null },
    ];
    console.log(`BENCH_JSON ${JSON.stringify({ bench: 'report', rows: benchRows })}`);
  } finally {
    await db.close();
  }
} finally {
  await bench.stop();
}
