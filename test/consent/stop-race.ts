import type pg from 'pg';
import { expect } from 'vitest';
import { DEFAULT_WORKER_OPTIONS, type Worker } from '../../src/dispatch/worker.ts';
import { createImessageClient, type ImessageClient } from '../../src/provider/client.ts';
import { recipientsCsvStream } from '../../src/reports/csv.ts';
import { startSimulator } from '../../src/simulator/index.ts';
import { phone, seedCampaign } from '../dispatch/fixtures.ts';
import { eventually } from '../helpers/eventually.ts';
import { incoming, startReceiver } from '../webhooks/helpers.ts';
import { startRecordingProxy } from '../webhooks/sim.ts';

export const RACE_LINE = '+14155550100';

/** Until the burst is out (a few seconds when idle; the race's own pacing is wall-clock, at 1 msg/s). */
const BURST_WAIT_MS = 20_000;
/** Until every message is final after the STOPs: each claimed one gets its token first (maxPacingWaitMs is 15 s at most). */
const SETTLE_WAIT_MS = 30_000;
/**
 * A test timeout that covers every wait of the race, so that a slow (loaded)
 * run fails on the wait that was too slow, by name, rather than on the test's
 * timeout halfway through: setup, the burst, the STOPs, the settle, the
 * 1.5 s linger, the worker's stop (at most stopTimeoutMs), teardown.
 */
export const STOP_RACE_TIMEOUT_MS = 20_000 + BURST_WAIT_MS + SETTLE_WAIT_MS + 1_500 + DEFAULT_WORKER_OPTIONS.stopTimeoutMs + 20_000;

export interface RaceResult {
  recipients: number;
  stops: number;
  /** Sends of an opted-out person that reached the provider after their STOP was acknowledged. */
  late: { to: string; ackAt: number; sentAt: number; onWire: boolean }[];
  /**
   * People who sent STOP whose message is not skipped, and whose send did not
   * reach the provider before the STOP's 2xx either (a send between the
   * snapshot of who is unsent and the acknowledgement is legitimate, and more
   * likely the slower the machine): must be none, but for a flagged on-wire one.
   */
  unaccounted: { to: string; status: string; onWire: boolean }[];
  /** People who sent STOP whose send had reached the provider before the STOP's 2xx. */
  sentBeforeAck: number;
  sentBeforeStop: number;
  skipped: number;
}

/**
 * The STOP-during-send race (issue #15): a campaign on one line at the
 * campaign defaults (1 msg/s, burst 5, jitter 400 ms), many recipients; once
 * the burst is out, every recipient not yet sent replies STOP through the real
 * signed receiver. A recording proxy on 127.0.0.1 in front of the simulator
 * notes when each send arrives; the STOP's 2xx time is noted per person.
 */
export async function runStopRace(pool: pg.Pool, makeWorker: (sender: ImessageClient) => Worker, recipients = 40): Promise<RaceResult> {
  const proxy = await startRecordingProxy();
  const sim = await startSimulator({ lines: [RACE_LINE], imessageRatio: 1, replyRatio: 0, pacing: false, latencyMs: 5 });
  proxy.setTarget(sim.url);
  const client = createImessageClient({ baseUrl: proxy.url, apiKey: sim.apiKey, timeoutMs: 5_000, retry: { maxRetries: 1, baseDelayMs: 10, maxDelayMs: 50 } });
  const rx = await startReceiver(pool);
  const phones = Array.from({ length: recipients }, (_, i) => phone(i, '650'));
  // Campaign defaults for pacing, burst and jitter (the columns' defaults).
  const { rows } = await pool.query<{ rate_per_line: number; burst_per_line: number; jitter_ms: number }>(
    `SELECT rate_per_line, burst_per_line, jitter_ms FROM (SELECT 1) x, LATERAL (
       SELECT (SELECT column_default FROM information_schema.columns WHERE table_name = 'campaigns' AND column_name = 'rate_per_line')::float8 AS rate_per_line,
              (SELECT column_default FROM information_schema.columns WHERE table_name = 'campaigns' AND column_name = 'burst_per_line')::int AS burst_per_line,
              (SELECT column_default FROM information_schema.columns WHERE table_name = 'campaigns' AND column_name = 'jitter_ms')::int AS jitter_ms) d`,
  );
  const defaults = rows[0]!;
  const campaign = await seedCampaign(pool, {
    phones,
    status: 'scheduled',
    scheduleAt: new Date(Date.now() - 1_000),
    senderLines: [RACE_LINE],
    window: null,
    concurrency: 8,
    ratePerLine: defaults.rate_per_line,
    burstPerLine: defaults.burst_per_line,
    jitterMs: defaults.jitter_ms,
  });
  const sends = () => proxy.calls.filter((c) => c.method === 'POST' && c.path === '/send/imessage');
  const worker = makeWorker(client);
  const acks = new Map<string, number>();
  try {
    worker.start();
    // The burst is out and the rest is claimed, waiting for the line's tokens.
    await eventually(() => sends().length >= defaults.burst_per_line + 1, BURST_WAIT_MS, 'the burst out and one paced send');
    const sentNow = new Set(sends().map((c) => String(c.body?.to)));
    const unsent = phones.filter((p) => !sentNow.has(p));
    await Promise.all(
      unsent.map(async (p) => {
        const res = await rx.post(incoming(p, 'STOP', { to: RACE_LINE }));
        expect(res.status, `STOP of ${p}`).toBe(200);
        acks.set(p, Date.now());
      }),
    );
    // Long enough for every claimed message to have had its token (maxPacingWaitMs is 15 s at most).
    await eventually(async () => {
      const r = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbound_messages WHERE campaign_id = $1 AND status IN ('queued', 'sending')`, [campaign.id]);
      return r.rows[0]!.n === 0;
    }, SETTLE_WAIT_MS, 'every message final after the STOPs');
    await new Promise((r) => setTimeout(r, 1_500));
  } finally {
    await worker.stop();
    await rx.close();
    client.close();
    await sim.stop();
    await proxy.close();
  }
  const onWire = new Set(
    (await pool.query<{ to_phone: string }>(`SELECT to_phone FROM outbound_messages WHERE campaign_id = $1 AND on_wire_at_opt_out`, [campaign.id])).rows.map((r) => r.to_phone),
  );
  const late = sends()
    .filter((c) => acks.has(String(c.body?.to)) && c.at > acks.get(String(c.body?.to))!)
    .map((c) => ({ to: String(c.body?.to), ackAt: acks.get(String(c.body?.to))!, sentAt: c.at, onWire: onWire.has(String(c.body?.to)) }));
  const firstSendAt = new Map<string, number>();
  for (const c of sends()) if (!firstSendAt.has(String(c.body?.to))) firstSendAt.set(String(c.body?.to), c.at);
  const statuses = await pool.query<{ to_phone: string; status: string }>(`SELECT to_phone, status::text AS status FROM outbound_messages WHERE campaign_id = $1`, [campaign.id]);
  const sentBeforeAck = [...acks].filter(([p, ackAt]) => (firstSendAt.get(p) ?? Infinity) <= ackAt).length;
  const unaccounted = statuses.rows
    .filter((m) => acks.has(m.to_phone) && m.status !== 'skipped' && !((firstSendAt.get(m.to_phone) ?? Infinity) <= acks.get(m.to_phone)!))
    .map((m) => ({ to: m.to_phone, status: m.status, onWire: onWire.has(m.to_phone) }));
  // The report says which sends an opt-out could not stop.
  const notes = (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbound_messages WHERE campaign_id = $1 AND on_wire_at_opt_out`, [campaign.id])).rows[0]!.n;
  const csv = await new Promise<string>((resolve, reject) => {
    void recipientsCsvStream(pool, campaign.id).then((stream) => {
      let text = '';
      stream.on('data', (c: Buffer) => (text += c));
      stream.on('end', () => resolve(text));
      stream.on('error', reject);
    }, reject);
  });
  expect(csv.split('\n').filter((l) => l.includes('on the wire when the opt-out arrived'))).toHaveLength(notes);
  const skipped = (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbound_messages WHERE campaign_id = $1 AND status = 'skipped'`, [campaign.id])).rows[0]!.n;
  return { recipients, stops: acks.size, late, unaccounted, sentBeforeAck, sentBeforeStop: recipients - acks.size, skipped };
}
