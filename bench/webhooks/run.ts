/**
 * Webhook receiver benchmark: node --import tsx bench/webhooks/run.ts
 *
 * Signed events are fired by a separate process (fire.ts, autocannon) at
 * `POST /webhooks/contiguity` on 127.0.0.1, and at a bare fastify endpoint that
 * does nothing, in the same run: first flat out (capacity), then at a fixed
 * 3,000 events/s (latency at the target rate). Afterwards every event answered
 * 2xx must be stored, and duplicates processed once.
 *
 * Uses DATABASE_URL's server when set (a fresh database is created on it),
 * otherwise an embedded PostgreSQL in a temp dir. Knobs: BENCH_SECONDS (8),
 * BENCH_CONNECTIONS (64), BENCH_RATE (3000).
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { openDatabase } from '../../src/db/database.ts';
import { buildHttpServer } from '../../src/http/server.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { webhookRoutes } from '../../src/http/routes/webhooks.ts';
import { createWebhookPipeline } from '../../src/webhooks/pipeline.ts';
import { startBenchDatabase } from '../support.ts';
import { benchPhone, type FireConfig, type FireResult } from './mix.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const RATE = Number(process.env.BENCH_RATE ?? 3000);
/** 0: process the stored events only after the runs (measures the receiver alone). */
const LIVE = process.env.BENCH_LIVE_PROCESSING !== '0';
const SECRET = 'whsec_bench_secret';
const LINE = '+14155550100';
const MESSAGES = 5000;
const FIRE = fileURLToPath(new URL('./fire.ts', import.meta.url));

function fire(cfg: FireConfig): Promise<FireResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIRE, JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited with ${code}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!) as FireResult);
    });
  });
}

/** On the server DATABASE_URL names when set (a database of its own there), else an embedded one. */
function database() {
  let adminUrl: string | undefined;
  if (process.env.DATABASE_URL) {
    const admin = new URL(process.env.DATABASE_URL);
    admin.pathname = '/postgres';
    adminUrl = admin.toString();
  }
  return startBenchDatabase('webhooks', { database: `bench_webhooks_${process.pid}`, adminUrl });
}

async function main() {
  const server = await database();
  const db = openDatabase(server.url, { max: 10 });
  const logger = createLogger('silent');

  // What the dispatcher would have written: a campaign, its recipients, their sent messages.
  const { rows: [campaign] } = await db.pool.query<{ id: number }>(`INSERT INTO campaigns (name, message, status) VALUES ('bench', 'hi', 'running') RETURNING id`);
  await db.pool.query(
    `WITH c AS (
       INSERT INTO contacts (phone) SELECT DISTINCT p FROM unnest($2::text[]) p RETURNING id, phone),
     r AS (
       INSERT INTO campaign_recipients (campaign_id, phone) SELECT $1, phone FROM c RETURNING id, phone)
     INSERT INTO outbound_messages (campaign_id, recipient_id, contact_id, to_phone, from_line, body, status, provider_message_id, sent_at, channel)
     SELECT $1, r.id, c.id, r.phone, $3, 'hi', 'sent', 'imsg_bench_' || (substr(r.phone, 9)::int), now(), 'imessage' FROM r JOIN c ON c.phone = r.phone`,
    [campaign!.id, Array.from({ length: MESSAGES }, (_, k) => benchPhone(k)), LINE],
  );

  const bare = Fastify({ logger: false });
  bare.post('/bare', async () => ({ received: true }));
  const bareUrl = await bare.listen({ port: 0, host: '127.0.0.1' });

  const pipeline = createWebhookPipeline({ pool: db.pool, logger });
  const app = await buildHttpServer({ logger }, [webhookRoutes({ secrets: [SECRET], inbox: pipeline.inbox, logger })]);
  const appUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  if (LIVE) pipeline.start();

  const idsFile = (tag: string) => path.join(server.dir, `${tag}.json`);
  const base = { secret: SECRET, connections: CONNECTIONS, durationSeconds: SECONDS, messages: MESSAGES, line: LINE };
  const results: Record<string, FireResult> = {};
  // Fixed rate first, then flat out; each run starts with no processing backlog (see settle()).
  const runs: [string, string, string, number | undefined][] = [
    [`bare, ${RATE}/s`, bareUrl, '/bare', RATE],
    [`webhooks, ${RATE}/s`, appUrl, '/webhooks/contiguity', RATE],
    ['bare, flat out', bareUrl, '/bare', undefined],
    ['webhooks, flat out', appUrl, '/webhooks/contiguity', undefined],
  ];
  const drains: Record<string, number> = {};
  /** Waits until every stored event is processed; returns the seconds it took. */
  const settle = async () => {
    const t0 = Date.now();
    for (;;) {
      const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_events WHERE processed_at IS NULL`);
      if (rows[0]!.n === 0) return (Date.now() - t0) / 1000;
      if (Date.now() - t0 > 300_000) throw new Error(`processing did not finish: ${rows[0]!.n} events left`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  // A short warm-up of both servers (JIT, connections) that is not measured.
  await fire({ ...base, durationSeconds: 2, url: bareUrl, path: '/bare', tag: 'warm0', idsFile: idsFile('warm0') });
  await fire({ ...base, durationSeconds: 2, url: appUrl, path: '/webhooks/contiguity', tag: 'warm1', idsFile: idsFile('warm1') });
  if (LIVE) await settle();
  for (const [i, [name, url, p, rate]] of runs.entries()) {
    results[name] = await fire({ ...base, url, path: p, overallRate: rate, tag: `r${i}`, idsFile: idsFile(`r${i}`) });
    if (LIVE) drains[name] = await settle();
  }

  pipeline.start();
  // Everything answered 2xx is stored; duplicates made no second row and no second reply.
  const drainSeconds = await settle();
  await app.close();
  await pipeline.stop();
  await bare.close();

  const checks: string[] = [];
  let ok = true;
  for (const [i, [name, , p]] of runs.entries()) {
    if (p === '/bare') continue;
    const r = results[name]!;
    const answered = JSON.parse(await readFile(idsFile(`r${i}`), 'utf8')) as { ok: string[]; incoming: string[] };
    const { rows: [s] } = await db.pool.query<{ stored: number; answeredStored: number; answeredReplies: number; unprocessed: number }>(
      `SELECT count(*)::int AS stored,
              count(*) FILTER (WHERE provider_event_id = ANY($2::text[]))::int AS "answeredStored",
              (SELECT count(*)::int FROM inbound_messages i JOIN webhook_events w ON w.id = i.webhook_event_id
                WHERE w.provider_event_id = ANY($3::text[])) AS "answeredReplies",
              count(*) FILTER (WHERE processed_at IS NULL)::int AS unprocessed
         FROM webhook_events WHERE provider_event_id LIKE $1`,
      [`evt_r${i}_%`, answered.ok, answered.incoming],
    );
    const { rows: [dupInbound] } = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT webhook_event_id FROM inbound_messages GROUP BY 1 HAVING count(*) > 1) d`,
    );
    // Requests cut off by the end of the run (sent, stored, answer never read) are stored but not counted as answered.
    const storedOk = s!.answeredStored === r.distinctOk && s!.stored - r.distinctOk <= CONNECTIONS;
    const repliesOk = s!.answeredReplies === r.distinctIncomingOk && dupInbound!.n === 0;
    ok &&= storedOk && repliesOk && r.non2xx === 0 && r.errors === 0 && s!.unprocessed === 0;
    checks.push(
      `${name}: ${r.ok2xx} answers 2xx (${r.duplicatesSent} of them duplicates) = ${r.distinctOk} distinct events, all stored: ${s!.answeredStored}/${r.distinctOk} ${storedOk ? '✓' : '✗'} ` +
        `(${s!.stored - r.distinctOk} more stored whose answer the cut-off run never read); ` +
        `replies: ${r.distinctIncomingOk} distinct answered, ${s!.answeredReplies} reply rows ${repliesOk ? '✓' : '✗'}; unprocessed ${s!.unprocessed}; non-2xx ${r.non2xx}, errors ${r.errors}`,
    );
  }

  const row = (name: string) => {
    const r = results[name]!;
    return `${name.padEnd(22)} ${r.requestsPerSecond.toFixed(0).padStart(8)} req/s   p50 ${String(r.p50).padStart(4)} ms   p99 ${String(r.p99).padStart(4)} ms   max ${String(r.max).padStart(5)} ms`;
  };
  console.log(`\nwebhook receiver, ${CONNECTIONS} connections, ${SECONDS} s per run, load from a separate process (autocannon), processing ${LIVE ? 'live' : 'after the runs'}\n`);
  for (const [name] of runs) console.log(row(name));
  const flatW = results['webhooks, flat out']!.requestsPerSecond;
  const flatB = results['bare, flat out']!.requestsPerSecond;
  const rateW = results[`webhooks, ${RATE}/s`]!;
  const rateB = results[`bare, ${RATE}/s`]!;
  console.log(`\ncapacity: webhooks ${flatW.toFixed(0)} events/s vs bare ${flatB.toFixed(0)} req/s → ratio ${(flatW / flatB).toFixed(2)}`);
  console.log(`at ${RATE}/s: webhooks p99 ${rateW.p99} ms vs bare p99 ${rateB.p99} ms; sustained ${rateW.requestsPerSecond.toFixed(0)} events/s`);
  console.log(`target (≥ 3000 events/s, p99 < 50 ms): ${flatW >= 3000 && rateW.requestsPerSecond >= RATE * 0.97 && rateW.p99 < 50 ? 'met' : 'NOT met'}`);
  if (LIVE) {
    for (const [name, , p] of runs) {
      if (p === '/bare') continue;
      const r = results[name]!;
      const total = r.durationSeconds + drains[name]!;
      console.log(`${name}: processing finished ${drains[name]!.toFixed(1)} s after the run (≈ ${(r.distinctOk / total).toFixed(0)} events/s processed, live)`);
    }
  } else {
    console.log(`processing (started after the runs) took ${drainSeconds.toFixed(1)} s`);
  }
  console.log('');
  for (const c of checks) console.log(c);
  console.log(ok ? '\nintegrity: every 2xx stored, duplicates processed once ✓' : '\nintegrity: FAILED');
  // For bench/run-all.ts: one machine-readable line.
  const benchRows = [
    { name: 'webhooks: capacity, flat out', measured: flatW, unit: 'events/s', reference: flatB, referenceLabel: 'bare fastify', target: '≥ 3000 events/s', met: flatW >= 3000 },
    { name: `webhooks: p99 at ${RATE}/s`, measured: rateW.p99, unit: 'ms', reference: rateB.p99, referenceLabel: 'bare fastify', target: `< 50 ms, ≥ ${Math.round(RATE * 0.97)}/s sustained`, met: rateW.p99 < 50 && rateW.requestsPerSecond >= RATE * 0.97 },
    { name: 'webhooks: integrity (2xx stored, dupes once)', measured: ok ? 1 : 0, unit: '', reference: null, referenceLabel: '', target: 'all', met: ok },
  ];
  console.log(`BENCH_JSON ${JSON.stringify({ bench: 'webhooks', rows: benchRows })}`);

  await db.close();
  await server.stop();
  process.exitCode = ok ? 0 : 1;
}

await main();
