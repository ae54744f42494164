import pLimit from 'p-limit';
import type pg from 'pg';
import { pino } from 'pino';
import { openDatabase } from '../../src/db/database.ts';
import { sleep, systemClock, type Clock } from '../../src/dispatch/clock.ts';
import { SendRules } from '../../src/compliance/engine.ts';
import { loadRulesTable } from '../../src/compliance/table.ts';
import { createLegalHoldCheck, type LegalHoldCheck } from '../../src/dispatch/legal-hold.ts';
import { renderWithTemplates } from '../../src/dispatch/compose.ts';
import { createSharedPacer } from '../../src/dispatch/pacing.ts';
import { createPgDispatchStore } from '../../src/dispatch/store.ts';
import { createWorker, type DispatchEvent } from '../../src/dispatch/worker.ts';
import { createImessageClient } from '../../src/provider/client.ts';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { startBenchDatabase } from '../support.ts';

/**
 * bench/dispatch: the dispatcher end to end (claim → pace → HTTP send to the
 * simulator on 127.0.0.1 → record) on an embedded PostgreSQL.
 *
 *   node --import tsx bench/dispatch/run.ts [--n N] [--only a|b|c]
 *
 * a. zero provider latency, pacing off: messages/s vs the 1,000/s target, and
 *    vs the provider client alone (no database) in the same run;
 * b. 100 ms provider latency, concurrency 64: messages/s vs the 640/s bound;
 * l. the legal checks' cost: case a's setup twice in the same run, the
 *    shipped rules plus a deployment cap (so the per-batch cap transaction
 *    reads recent sends) vs BLUECAST_LEGAL_WINDOWS=off (the campaign window
 *    alone); both on a clock moved to a weekday noon, Eastern, so that the law
 *    allows every recipient whatever the hour the bench runs at. Target: on/off ≥ 0.90;
 * c. pacing fidelity: 10 lines at a scaled rate; every send the simulator
 *    accepted is replayed through the line's bucket (rate, burst): violations
 *    printed, must be 0.
 */
const args = process.argv.slice(2);
const arg = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const N = Number(arg('--n') ?? 20_000);
const only = arg('--only');
const logger = pino({ level: 'silent' });

const phoneOf = (i: number) => `+1${['415', '212', '312', '617', '206'][i % 5]}${String(2_000_000 + Math.floor(i / 5)).padStart(7, '0')}`;

async function seed(pool: pg.Pool, name: string, n: number, s: { concurrency: number; fastTrack: boolean; lines: string[]; rate: number; burst: number }): Promise<number> {
  const { rows } = await pool.query<{ id: number }>(
    `INSERT INTO campaigns (name, message, status, sender_lines, window_start_minute, window_end_minute, concurrency, rate_per_line,
                            burst_per_line, fast_track, jitter_ms, new_contacts_per_hour, new_contacts_per_day)
     VALUES ($1, 'Hi {{first_name|there}}, {news|an update} from the fair', 'scheduled', $2, NULL, NULL, $3, $4, $5, $6, 0, 1000000, 1000000)
     RETURNING id`,
    [name, s.lines, s.concurrency, s.rate, s.burst, s.fastTrack],
  );
  const id = rows[0]!.id;
  const phones = Array.from({ length: n }, (_, i) => phoneOf(i + n * id));
  await pool.query(
    `WITH c AS (INSERT INTO contacts (phone) SELECT unnest($1::text[]) ON CONFLICT (phone) DO UPDATE SET phone = EXCLUDED.phone RETURNING id, phone)
     INSERT INTO campaign_recipients (campaign_id, phone, variables)
     SELECT $2, c.phone, jsonb_build_object('first_name', 'P' || right(c.phone, 3)) FROM c`,
    [phones, id],
  );
  return id;
}

function worker(pool: pg.Pool, sim: SimulatorHandle, onEvent?: (e: DispatchEvent) => void, legal?: { gate?: LegalHoldCheck; clock: Clock }) {
  return createWorker({
    legalHold: legal?.gate,
    store: createPgDispatchStore(pool),
    sender: createImessageClient({ baseUrl: sim.url, apiKey: sim.apiKey, timeoutMs: 10_000 }),
    clock: legal?.clock ?? systemClock,
    logger,
    workerId: 'bench',
    pacer: createSharedPacer(pool),
    render: renderWithTemplates,
    options: { tickSchedule: false, batchSize: 200, maxInFlight: 512, pollIntervalMs: 20 },
    onEvent,
  });
}

/** Enqueue (timed apart), then the dispatcher alone until the run is done. */
async function dispatchRun(pool: pg.Pool, sim: SimulatorHandle, onEvent?: (e: DispatchEvent) => void, legal?: { gate?: LegalHoldCheck; clock: Clock }) {
  const w = worker(pool, sim, onEvent, legal);
  const t0 = performance.now();
  await w.tick();
  const enqueueS = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const s = await w.runOnce();
  const sendS = (performance.now() - t1) / 1000;
  await w.stop();
  return { sent: s.sent, failed: s.failed, retried: s.retried, enqueueS, sendS };
}

/** The provider client alone, same concurrency, no database: the HTTP ceiling. */
async function clientOnly(sim: SimulatorHandle, n: number, concurrency: number): Promise<number> {
  const client = createImessageClient({ baseUrl: sim.url, apiKey: sim.apiKey, timeoutMs: 10_000 });
  const limit = pLimit(concurrency);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, (_, i) => limit(() => client.send({ to: phoneOf(10_000_000 + i), message: `ref ${i}`, fast_track: true }, { retry: 'safe' }))));
  return n / ((performance.now() - t0) / 1000);
}

/** Figures for bench/run-all.ts, printed as one machine-readable line at the end. */
const benchRows: { name: string; measured: number; unit: string; reference: number | null; referenceLabel: string; target: string; met: boolean | null }[] = [];

function row(label: string, measured: number, reference: number, unit: string, refLabel: string) {
  console.log(`${label.padEnd(44)} ${measured.toFixed(1).padStart(9)} ${unit}   ${refLabel} ${reference.toFixed(1).padStart(9)} ${unit}   ratio ${(measured / reference).toFixed(3)}`);
}

const bench = await startBenchDatabase('dispatch');
try {
  const { url } = bench;
  const db = openDatabase(url, { max: 16 });
  const lines = Array.from({ length: 10 }, (_, i) => `+1415555${String(200 + i).padStart(4, '0')}`);
  console.log(`bench/dispatch  (node ${process.version}, ${N} messages in a)`);

  if (!only || only === 'a') {
    const sim = await startSimulator({ pacing: false, imessageRatio: 1, replyRatio: 0, latencyMs: 0, lines });
    await seed(db.pool, 'bench-a', N, { concurrency: 64, fastTrack: true, lines, rate: 1, burst: 1 });
    const r = await dispatchRun(db.pool, sim);
    const ref = await clientOnly(sim, Math.min(N, 10_000), 64);
    const rate = r.sent / r.sendS;
    console.log(`a. zero latency, pacing off: enqueued ${N} in ${r.enqueueS.toFixed(2)} s (${(N / r.enqueueS).toFixed(0)}/s); sent ${r.sent}, failed ${r.failed} in ${r.sendS.toFixed(2)} s`);
    row('a. dispatched end to end', rate, 1000, 'msg/s', 'target');
    row('a. dispatched vs the client alone (no DB)', rate, ref, 'msg/s', 'client');
    benchRows.push({ name: 'dispatch a: zero latency, pacing off', measured: rate, unit: 'msg/s', reference: ref, referenceLabel: 'provider client alone', target: '≥ 1000 msg/s', met: rate >= 1000 });
    await sim.stop();
  }

  if (!only || only === 'l') {
    // Real time moved to 17:00Z (noon EST, 09:00 PST) of a weekday at least two days ahead.
    const target = new Date();
    target.setUTCDate(target.getUTCDate() + 2);
    while ([0, 6].includes(target.getUTCDay())) target.setUTCDate(target.getUTCDate() + 1);
    target.setUTCHours(17, 0, 0, 0);
    const shift = target.getTime() - Date.now();
    const clock: Clock = { now: () => new Date(Date.now() + shift), sleep };
    const shipped = loadRulesTable();
    const withCap = { ...shipped, deployment: { caps: [{ id: 'bench.weekly', kind: 'cap' as const, appliesTo: 'marketing' as const, max: 1000, windowHours: 168, source: { citation: 'bench' } }] } };
    const on = createLegalHoldCheck(new SendRules(withCap));
    const sim = await startSimulator({ pacing: false, imessageRatio: 1, replyRatio: 0, latencyMs: 0, lines });
    const rates: { off: number[]; on: number[] } = { off: [], on: [] };
    // Alternated, twice each, so that a warming machine favours neither.
    for (const leg of ['off', 'on', 'off', 'on'] as const) {
      await seed(db.pool, `bench-l-${leg}-${rates[leg].length}`, N, { concurrency: 64, fastTrack: true, lines, rate: 1, burst: 1 });
      const r = await dispatchRun(db.pool, sim, undefined, { gate: leg === 'on' ? on : undefined, clock });
      if (r.sent !== N) throw new Error(`bench l (${leg}): sent ${r.sent} of ${N}`);
      rates[leg].push(r.sent / r.sendS);
    }
    const best = (xs: number[]) => Math.max(...xs);
    const onRate = best(rates.on);
    const offRate = best(rates.off);
    console.log(`l. legal checks: on ${rates.on.map((x) => x.toFixed(0)).join(', ')} msg/s, off ${rates.off.map((x) => x.toFixed(0)).join(', ')} msg/s (best of two each)`);
    row('l. legal checks on vs off (zero latency)', onRate, offRate, 'msg/s', 'off');
    benchRows.push({ name: 'dispatch l: legal checks on / off, zero latency', measured: onRate, unit: 'msg/s', reference: offRate, referenceLabel: 'BLUECAST_LEGAL_WINDOWS=off', target: '≥ 0.90 × off (checks cost < 10 %)', met: onRate >= 0.9 * offRate });
    await sim.stop();
  }

  if (!only || only === 'b') {
    const n = 64 * 10 * 10; // ten seconds at the bound
    const sim = await startSimulator({ pacing: false, imessageRatio: 1, replyRatio: 0, latencyMs: 100, lines });
    await seed(db.pool, 'bench-b', n, { concurrency: 64, fastTrack: true, lines, rate: 1, burst: 1 });
    const r = await dispatchRun(db.pool, sim);
    const ref = await clientOnly(sim, 64 * 20, 64);
    console.log(`b. 100 ms latency, concurrency 64: sent ${r.sent}, failed ${r.failed} in ${r.sendS.toFixed(2)} s`);
    row('b. dispatched end to end', r.sent / r.sendS, 640, 'msg/s', 'bound ');
    row('b. client alone (no DB), same concurrency', ref, 640, 'msg/s', 'bound ');
    const rateB = r.sent / r.sendS;
    benchRows.push({ name: 'dispatch b: 100 ms latency, concurrency 64', measured: rateB, unit: 'msg/s', reference: 640, referenceLabel: 'bound', target: '≥ 576 msg/s (90% of 640)', met: rateB >= 576 });
    await sim.stop();
  }

  if (!only || only === 'c') {
    const rate = 20;
    const burst = 5;
    const seconds = 5;
    const n = lines.length * (rate * seconds + burst);
    // The simulator enforces the same buckets at arrival: any 429 is a send it judged too early.
    const sim = await startSimulator({ pacing: { ratePerSecond: rate, burst }, imessageRatio: 1, replyRatio: 0, latencyMs: 0, lines });
    const id = await seed(db.pool, 'bench-c', n, { concurrency: 64, fastTrack: false, lines, rate, burst });
    const r = await dispatchRun(db.pool, sim);
    const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbound_messages WHERE campaign_id = $1 AND status = 'sent'`, [id]);
    // Replay every accepted send through its line's bucket, at the simulator's arrival times.
    const toleranceMs = 2;
    let violations = 0;
    let maxBurstSeen = 0;
    const byLine = new Map<string, number[]>();
    for (const s of sim.sent()) byLine.set(s.from, [...(byLine.get(s.from) ?? []), Date.parse(s.at)]);
    for (const times of byLine.values()) {
      times.sort((a, b) => a - b);
      let tokens = burst;
      let last = times[0]!;
      for (const t of times) {
        tokens = Math.min(burst, tokens + ((t - last + toleranceMs) / 1000) * rate);
        last = t;
        tokens -= 1;
        if (tokens < 0) {
          violations++;
          tokens = 0;
        }
      }
      for (let i = 0; i < times.length; i++) {
        let j = i;
        while (j + 1 < times.length && times[j + 1]! - times[i]! < 1000 / rate) j++;
        maxBurstSeen = Math.max(maxBurstSeen, j - i + 1);
      }
    }
    const perLine = [...byLine.values()].map((t) => t.length);
    console.log(`c. pacing: ${lines.length} lines at ${rate}/s burst ${burst}: sent ${rows[0]!.n}/${n} in ${r.sendS.toFixed(2)} s, per line ${Math.min(...perLine)}–${Math.max(...perLine)}; simulator 429s ${r.retried}`);
    row('c. aggregate rate', rows[0]!.n / r.sendS, lines.length * rate + (lines.length * burst) / r.sendS, 'msg/s', 'allowed');
    console.log(`c. pacing violations (bucket replay at arrival, ${toleranceMs} ms clock tolerance): ${violations}   (must be 0); most sends within 1/rate on a line: ${maxBurstSeen} (burst ${burst})`);
    const allowed = lines.length * rate + (lines.length * burst) / r.sendS;
    benchRows.push({ name: 'dispatch c: pacing, aggregate rate', measured: rows[0]!.n / r.sendS, unit: 'msg/s', reference: allowed, referenceLabel: 'allowed', target: '≤ allowed', met: rows[0]!.n / r.sendS <= allowed * 1.01 });
    benchRows.push({ name: 'dispatch c: pacing violations', measured: violations, unit: '', reference: null, referenceLabel: '', target: '0', met: violations === 0 });
    await sim.stop();
  }
  await db.close();
  console.log(`BENCH_JSON ${JSON.stringify({ bench: 'dispatch', rows: benchRows })}`);
} finally {
  await bench.stop();
}
