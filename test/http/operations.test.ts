import { createHmac } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded.ts';
import { DESCRIBED_ROUTES } from '../../src/http/openapi.ts';
import { healthRoutes } from '../../src/http/routes/health.ts';
import { buildHttpServer } from '../../src/http/server.ts';
import { createHeartbeat } from '../../src/lib/heartbeat.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { createMetrics } from '../../src/metrics/metrics.ts';
import { createImessageClient } from '../../src/provider/client.ts';
import { ProviderError } from '../../src/provider/errors.ts';
import { startService, type Service } from '../../src/service.ts';
import { startSimulator } from '../../src/simulator/index.ts';
import { eventually } from '../helpers/eventually.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { freePort } from '../helpers/net.ts';
import { pgCtl } from '../helpers/pg-ctl.ts';
import { seedReportData } from '../reports/seed.ts';

const TOKEN = 'operations-test-token-0123456789';

describe('GET /healthz', () => {
  let dir: string;
  let server: EmbeddedPostgres;
  let port: number;
  let pool: pg.Pool;
  beforeAll(async () => {
    // A cluster of this file's own: the test stops it.
    dir = await mkdtemp(path.join(tmpdir(), 'bluecast-healthz-'));
    await chmod(dir, 0o755);
    port = await freePort();
    server = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port, ephemeral: true });
    pool = new pg.Pool({ connectionString: server.adminUrl, max: 2, connectionTimeoutMillis: 5_000 });
    pool.on('error', () => undefined);
  }, 60_000);
  afterAll(async () => {
    await pool?.end().catch(() => undefined);
    await pgCtl(server.dataDir, ['stop', '-m', 'immediate', '-w']).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('answers 503 with the reason while the database is down, 200 again once it is back', async () => {
    const http = await buildHttpServer({ logger: createLogger('silent') }, [healthRoutes({ pool, databaseTimeoutMs: 1_000 })]);
    const url = await http.listen({ port: 0, host: '127.0.0.1' });
    try {
      const up = await fetch(`${url}/healthz`);
      expect(up.status).toBe(200);
      expect(await up.json()).toEqual({ ok: true, database: 'ok', worker: 'not running here' });

      await pgCtl(server.dataDir, ['stop', '-m', 'fast', '-w']);
      const t0 = Date.now();
      const down = await fetch(`${url}/healthz`);
      expect(Date.now() - t0).toBeLessThan(5_000); // the check has a short timeout of its own
      expect(down.status).toBe(503);
      const body = (await down.json()) as { ok: boolean; reason: string; database: string };
      expect(body.ok).toBe(false);
      expect(body.reason).toMatch(/^database unreachable: /);

      server = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port, ephemeral: true });
      await eventually(async () => (await fetch(`${url}/healthz`)).status === 200, 15_000);
    } finally {
      await http.close();
    }
  }, 60_000);

  it('answers 503 when the worker loop has not turned for its stall limit', async () => {
    let now = 1_000_000;
    const heartbeat = createHeartbeat(30_000, () => now);
    const http = await buildHttpServer({ logger: createLogger('silent') }, [healthRoutes({ pool, worker: heartbeat })]);
    const url = await http.listen({ port: 0, host: '127.0.0.1' });
    try {
      now += 29_000;
      expect(await (await fetch(`${url}/healthz`)).json()).toMatchObject({ ok: true, worker: 'ok' });
      now += 2_000;
      const stalled = await fetch(`${url}/healthz`);
      expect(stalled.status).toBe(503);
      expect(await stalled.json()).toMatchObject({ ok: false, reason: 'worker stalled: its loop has not turned for 31 s', database: 'ok' });
      heartbeat.beat();
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      await http.close();
    }
  });
});

/** One sample of an exposition: `name{labels} value`. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('metrics', () => {
  it('counts provider attempts by outcome (429s apart), sends, token waits and database state', async () => {
    const db = await createTestDatabase();
    const metrics = createMetrics({ pool: db.pool });
    const sim = await startSimulator({ port: 0, pacing: false, apiKey: 'contiguity_sk_metrics' });
    const client = createImessageClient({ baseUrl: sim.url, apiKey: sim.apiKey, retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1 }, onAttempt: (a) => metrics.onProviderAttempt(a) });
    try {
      // Real requests through the one HTTP chokepoint: an answer, and an error answer.
      await client.availability('+14155552671');
      const wrongKey = createImessageClient({ baseUrl: sim.url, apiKey: 'contiguity_sk_wrong', retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1 }, onAttempt: (a) => metrics.onProviderAttempt(a) });
      await expect(wrongKey.availability('+14155552671')).rejects.toBeInstanceOf(ProviderError);
      wrongKey.close();
    } finally {
      client.close();
      await sim.stop();
    }
    metrics.onProviderAttempt({ op: 'send', durationMs: 12, status: 429, outcome: 'http' });
    metrics.onProviderAttempt({ op: 'send', durationMs: 15_000, outcome: 'timeout' });
    metrics.onDispatchEvent({ type: 'sent', messageId: 1, campaignId: 1, providerMessageId: 'm1' });
    metrics.onDispatchEvent({ type: 'sent', messageId: 2, campaignId: 1, providerMessageId: 'm2' });
    metrics.onDispatchEvent({ type: 'deferred', count: 3, reason: 'pacing' });
    const waits = [250, 0];
    const pacer = metrics.observePacer({ take: async () => waits.shift() ?? 0 });
    expect(await pacer.take('+14155550100', 1, 5)).toBe(250);
    expect(await pacer.take('+14155550100', 1, 5)).toBe(0);

    await seedReportData(db.pool);
    await db.pool.query(
      `INSERT INTO webhook_events (provider_event_id, type, payload, received_at) VALUES ('evt_metrics_1', 'message.delivered', '{}', now() - interval '42 seconds')`,
    );
    const text = (await metrics.scrape()).body;

    expect(sample(text, 'bluecast_provider_request_duration_seconds_count', 'op="availability",outcome="ok"')).toBe(1);
    expect(sample(text, 'bluecast_provider_request_duration_seconds_count', 'op="availability",outcome="http"')).toBe(1);
    expect(sample(text, 'bluecast_provider_errors_total', 'op="availability",status="401"')).toBe(1);
    expect(sample(text, 'bluecast_provider_errors_total', 'op="send",status="timeout"')).toBe(1);
    expect(sample(text, 'bluecast_provider_rate_limited_total', 'op="send"')).toBe(1);
    expect(text).not.toMatch(/bluecast_provider_errors_total\{[^}]*status="429"/);
    expect(sample(text, 'bluecast_messages_sent_total')).toBe(2);
    expect(sample(text, 'bluecast_dispatch_outcomes_total', 'outcome="deferred"')).toBe(3);
    expect(sample(text, 'bluecast_line_token_wait_seconds_count')).toBe(1);
    expect(sample(text, 'bluecast_line_token_wait_seconds_sum')).toBe(0.25);
    expect(sample(text, 'bluecast_database_up')).toBe(1);
    // The rollups agree with the messages themselves, status by status.
    const truth = (await db.pool.query<{ status: string; n: number }>(`SELECT status::text AS status, count(*)::int AS n FROM outbound_messages WHERE kind = 'campaign' GROUP BY 1`)).rows;
    expect(truth.length).toBeGreaterThan(2);
    for (const { status, n } of truth) expect(sample(text, 'bluecast_messages', `status="${status}"`), status).toBe(n);
    const backlog = (await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_events WHERE processed_at IS NULL`)).rows[0]!.n;
    expect(backlog).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'bluecast_webhook_backlog_events')).toBe(backlog);
    expect(sample(text, 'bluecast_webhook_processing_lag_seconds')).toBeGreaterThanOrEqual(42);
    expect(sample(text, 'bluecast_queue_depth')).toBeGreaterThanOrEqual(0);
  });
});

describe('bluecast serve: /metrics and /api/openapi.json', () => {
  let service: Service;
  const routes: { method: string; url: string }[] = [];
  beforeAll(async () => {
    const db = await createTestDatabase();
    const config = loadConfig({ DATABASE_URL: db.url, BLUECAST_API_TOKEN: TOKEN, WEBHOOK_SECRET: 'whsec_operations_test', LOG_LEVEL: 'silent' });
    const app: App = { config, logger: createLogger('silent'), server: { url: db.url, stop: async () => undefined }, db, close: async () => undefined };
    service = await startService(app, {
      host: '127.0.0.1',
      port: 0,
      worker: false,
      onRoute: (r) => {
        for (const method of [r.method].flat()) routes.push({ method, url: r.url });
      },
    });
  });
  afterAll(() => service?.stop());

  it('serves the metrics to the bearer token only, and counts webhook deliveries by answer', async () => {
    expect((await fetch(`${service.url}/metrics`)).status).toBe(401);
    const bad = await fetch(`${service.url}/webhooks/contiguity`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(401);
    const res = await fetch(`${service.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(sample(text, 'bluecast_webhooks_received_total', 'status="401"')).toBe(1);
    expect(text).toMatch(/^# TYPE bluecast_messages gauge$/m);
    expect(text).toMatch(/^# TYPE bluecast_provider_request_duration_seconds histogram$/m);
  });

  it('counts signed events stored although off their documented shape', async () => {
    const body = JSON.stringify({ id: 'evt_ops_off_shape_1', type: 'imessage.incoming', timestamp: 1_780_000_000, api_version: 'v2026.8.2', data: { to: '+14155550100', body: 'no sender' } });
    const t = Math.floor(Date.now() / 1000);
    const v1 = createHmac('sha256', 'whsec_operations_test').update(`${t}.${body}`).digest('hex');
    const res = await fetch(`${service.url}/webhooks/contiguity`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'contiguity-signature': `t=${t},v1=${v1}` } });
    expect(res.status).toBe(200);
    const text = await (await fetch(`${service.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(sample(text, 'bluecast_webhook_events_off_shape_total', 'type="imessage.incoming"')).toBe(1);
    expect(text).toMatch(/^# TYPE bluecast_history_entries_skipped_total counter$/m);
  });

  it('describes every registered /api route in /api/openapi.json, with the zod-described parts', async () => {
    const res = await fetch(`${service.url}/api/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, { parameters?: { in: string; name: string }[]; requestBody?: unknown; security?: unknown }>> };
    expect(doc.openapi).toBe('3.1.0');
    const api = routes.filter((r) => r.url.startsWith('/api/') && r.method !== 'HEAD');
    expect(api.length).toBeGreaterThan(8);
    const toOpenApi = (url: string) => url.replace(/:([A-Za-z_]+)/g, '{$1}');
    const missing = api.filter((r) => !doc.paths[toOpenApi(r.url)]?.[r.method.toLowerCase()]).map((r) => `${r.method} ${r.url}`);
    expect(missing).toEqual([]);
    for (const ops of ['/healthz', '/metrics', '/webhooks/contiguity']) expect(Object.keys(doc.paths)).toContain(ops);
    // Every table entry names a registered route (none left behind by a renamed one).
    const registered = new Set(routes.map((r) => `${r.method} ${r.url}`));
    expect(DESCRIBED_ROUTES.filter((k) => !registered.has(k))).toEqual([]);

    const create = doc.paths['/api/campaigns']!.post!;
    expect(JSON.stringify(create.requestBody)).toContain('"name"');
    expect(create.security).toEqual([{ bearer: [] }]);
    const report = doc.paths['/api/campaigns/{id}/report']!.get!;
    expect(report.parameters!.map((p) => `${p.in}:${p.name}`).sort()).toEqual(['path:id', 'query:run']);
  });
});
