import { openDatabase } from '../../src/db/database.ts';
import { buildPlan } from '../../src/planner/plan.ts';
import { startBenchDatabase } from '../support.ts';

/**
 * bench/plan: the launch plan of a big campaign (default 1,000,000 recipients
 * on 50 lines, a tenth of them with a sticky line, a third with a zone
 * column, numbers over many area codes), timed next to a count(*) over the
 * same recipients in the same run.
 *
 *   node --import tsx bench/plan/run.ts [--n N] [--lines L] [--profile] [--explain]
 *
 * --profile times the grouping SQL, the grouping with the engine and the
 * simulation apart; --explain prints the plans of the statements.
 *
 * Target: the plan in under 5 s at 1,000,000 recipients.
 */
const args = process.argv.slice(2);
const arg = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const N = Number(arg('--n') ?? 1_000_000);
const L = Number(arg('--lines') ?? 50);

const bench = await startBenchDatabase('plan');
try {
  const { url } = bench;
  const db = openDatabase(url, { max: 4 });
  const lines = Array.from({ length: L }, (_, i) => `+1415555${String(3000 + i)}`);
  const { rows } = await db.pool.query<{ id: number }>(
    `INSERT INTO campaigns (name, message, sender_lines, updated_at) VALUES ('bench-plan', 'Hi {{first_name|there}}', $1, now()) RETURNING id`,
    [lines],
  );
  const id = rows[0]!.id;
  const codes = ['212', '305', '312', '415', '512', '602', '702', '206', '404', '617', '713', '808', '907', '303'];
  await db.pool.query(
    `INSERT INTO campaign_recipients (campaign_id, phone, timezone)
     SELECT $1, '+1' || ($2::text[])[1 + g % array_length($2::text[], 1)] || lpad((g % 10000000)::text, 7, '0'),
            CASE WHEN g % 3 = 0 THEN 'America/Chicago' END
       FROM generate_series(1, $3) g`,
    [id, codes, N],
  );
  await db.pool.query(
    `INSERT INTO contacts (phone, sticky_line, sticky_line_assigned_at)
     SELECT phone, ($2::text[])[1 + (hashtext(phone) & 1023) % $3], now() - interval '10 days'
       FROM campaign_recipients WHERE campaign_id = $1 AND hashtext(phone) % 10 = 0`,
    [id, lines, L],
  );
  await db.pool.query('ANALYZE');
  const t0 = performance.now();
  await db.pool.query('SELECT count(*) FROM campaign_recipients r LEFT JOIN contacts c ON c.phone = r.phone WHERE r.campaign_id = $1', [id]);
  const countS = (performance.now() - t0) / 1000;
  if (args.includes('--explain')) {
    const { planRecipientGroups, recentlyContacted, sampleRecipients } = await import('../../src/db/sql/plan-recipients.ts');
    const { lineNewContactLoad } = await import('../../src/db/sql/lines.ts');
    const explain = async (label: string, f: (q: { query: (x: { text: string; values: unknown[] }) => Promise<unknown> }) => Promise<unknown>) => {
      const fake = { query: async (x: { text: string; values: unknown[] }) => {
        const r = await db.pool.query(`EXPLAIN (ANALYZE, BUFFERS) ${x.text}`, x.values);
        console.log(`-- ${label}\n${r.rows.map((y: Record<string, string>) => y['QUERY PLAN']).join('\n')}`);
        return { rows: [{ n: '0' }] };
      } };
      await f(fake);
    };
    const now = new Date('2030-07-01T13:00:00Z');
    await explain('groups', (q) => planRecipientGroups(q as never, { campaignId: id, recentSince: new Date(now.getTime() - 24 * 3600_000) }));
    await explain('recently', (q) => recentlyContacted(q as never, { campaignId: id, since: now }));
    await explain('sample', (q) => sampleRecipients(q as never, { campaignId: id, total: N, size: 2000 }));
    await explain('load', (q) => lineNewContactLoad(q as never, { lines, now }));
  }
  if (args.includes('--profile')) {
    const { planRecipients } = await import('../../src/planner/groups.ts');
    const { SendRules } = await import('../../src/compliance/engine.ts');
    const { loadRulesTable } = await import('../../src/compliance/table.ts');
    const { simulate } = await import('../../src/planner/forecast.ts');
    const rules = new SendRules(loadRulesTable());
    const camp = { id, name: 'bench-plan', timezone: 'America/New_York', window: { startMinute: 540, endMinute: 1260 }, senderLines: lines, ratePerLine: 1, newContactsPerHour: 20, newContactsPerDay: 100 };
    const { planRecipientGroups } = await import('../../src/db/sql/plan-recipients.ts');
    let t = performance.now();
    await planRecipientGroups(db.pool, { campaignId: id, recentSince: new Date('2030-06-01T00:00:00Z') });
    console.log(`  planRecipientGroups (SQL) ${((performance.now() - t) / 1000).toFixed(2)} s`);
    t = performance.now();
    const r = await planRecipients(db.pool, camp, rules, new Date('2030-07-01T13:00:00Z'));
    console.log(`  planRecipients ${((performance.now() - t) / 1000).toFixed(2)} s`);
    t = performance.now();
    const f = simulate(camp, r.groups, [], new Date('2030-07-01T13:00:00Z'));
    console.log(`  simulate ${((performance.now() - t) / 1000).toFixed(2)} s, ${f.events} events`);
  }
  const t1 = performance.now();
  const plan = (await buildPlan(db.pool, id, new Date('2030-07-01T13:00:00Z')))!;
  const planS = (performance.now() - t1) / 1000;
  console.log(`bench/plan  (node ${process.version}, ${N} recipients, ${L} lines, ${plan.groups} groups)`);
  console.log(`count(*) over the recipients ${countS.toFixed(2)} s; plan ${planS.toFixed(2)} s; ratio ${(planS / countS).toFixed(2)}; finish ${plan.forecast.finish}`);
  await db.close();
  const rows2 = [{ name: 'plan', measured: planS, unit: 's', reference: countS, referenceLabel: 'count(*) same recipients', target: '< 5 s at 1,000,000', met: N >= 1_000_000 ? planS < 5 : null }];
  console.log(`BENCH_JSON ${JSON.stringify({ bench: 'plan', rows: rows2 })}`);
} finally {
  await bench.stop();
}
