import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { WEBHOOK_PATH } from '../../src/http/routes/webhooks.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { buildPlan } from '../../src/planner/plan.ts';
import { startService, type Service } from '../../src/service.ts';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { runCli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { eventually } from '../helpers/eventually.ts';
import { freePort } from '../helpers/net.ts';
import { phone, seedCampaign } from '../dispatch/fixtures.ts';

// Seed sends' delivery followed by the campaign messages' own path: the
// delivery reconciler's polls (iMessage) and the webhook handler
// (text.delivery.* of an SMS fallback), recorded in seed_sends and shown by
// the plan, while no campaign count moves.
// Both ways the contract leaves open for the SMS fallback's report: the
// iMessage's id ('same') or an id of its own ('own', matched by recipient,
// line and time, as a campaign message's fallback is).
describe.each(['same', 'own'] as const)('seed sends: delivery followed, outside the counts (fallback SMS id: %s)', (fallbackSmsId) => {
  let db: TestDatabase;
  let sim: SimulatorHandle;
  let service: Service;
  const LINE = '+14155554001';
  beforeAll(async () => {
    db = await createTestDatabase();
    const port = await freePort();
    sim = await startSimulator({
      pacing: false, imessageRatio: 0.5, smsFailureRate: 0, readRatio: 1, seed: 20, lines: [LINE],
      timing: { deliveryMs: 50, readMs: 50, replyMs: 60_000 }, replyRatio: 0,
      webhookUrl: `http://127.0.0.1:${port}${WEBHOOK_PATH}`, secret: 'whsec_seed_delivery',
    });
    sim.setFaults({ fallbackSmsId });
    const config = loadConfig({ DATABASE_URL: db.url, CONTIGUITY_API_KEY: sim.apiKey, CONTIGUITY_BASE_URL: sim.url, WEBHOOK_SECRET: 'whsec_seed_delivery', LOG_LEVEL: 'silent' });
    const app: App = { config, logger: createLogger('silent'), server: { url: db.url, stop: async () => undefined }, db, close: async () => undefined };
    service = await startService(app, {
      host: '127.0.0.1', port, worker: false,
      webhooks: { processor: { pollIntervalMs: 100 }, reconciler: { intervalMs: 100, policy: { firstDelayMs: 300, maxDelayMs: 300 } } },
    });
  });
  afterAll(async () => {
    await service?.stop();
    await sim?.stop();
  });

  it('records delivered / read (polls) and SMS delivery (webhook) on the seed rows, shown in the plan, with no campaign count moved', async () => {
    const seeds = Array.from({ length: 12 }, (_, i) => `+1415555${String(7100 + i)}`);
    const imessageSeed = seeds.find((s) => sim.hasImessage(s))!;
    const smsSeed = seeds.find((s) => !sim.hasImessage(s))!;
    expect(imessageSeed && smsSeed).toBeTruthy();
    const c = await seedCampaign(db.pool, { phones: [phone(1, '312')], status: 'draft', senderLines: [LINE], fallbackWhen: ['imessage_unsupported'] });
    const env = { DATABASE_URL: db.url, CONTIGUITY_API_KEY: sim.apiKey, CONTIGUITY_BASE_URL: sim.url };
    const res = await runCli(['campaign', 'plan', c.name, '--seed', imessageSeed, smsSeed], { env });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);

    const rows = await eventually(async () => {
      const { rows } = await db.pool.query(
        `SELECT to_phone, status::text, channel::text, delivered_at IS NOT NULL AS delivered, read_at IS NOT NULL AS read FROM seed_sends WHERE campaign_id = $1`,
        [c.id],
      );
      const by = Object.fromEntries(rows.map((r) => [r.to_phone, r]));
      return by[imessageSeed]?.status === 'read' && by[imessageSeed]?.channel && by[smsSeed]?.status === 'delivered' ? by : null;
    }, 20_000, 'the seed sends delivered and read');
    expect(rows[imessageSeed]).toMatchObject({ status: 'read', channel: 'imessage', delivered: true, read: true });
    expect(rows[smsSeed]).toMatchObject({ status: 'delivered', channel: 'sms', delivered: true });
    // The SMS came back as a signed text.delivery.confirmed, stored and applied to the seed row.
    const events = await eventually(async () => {
      const { rows } = await db.pool.query(`SELECT type, last_error AS note FROM webhook_events WHERE type LIKE 'text.delivery.%' AND processed_at IS NOT NULL`);
      return rows.length ? rows : null;
    }, 10_000, 'the delivery report processed');
    const note = fallbackSmsId === 'same' ? 'a seed send (plan --seed): recorded in seed_sends' : expect.stringMatching(/^matched to an SMS fallback by recipient, line and time .*: a seed send \(plan --seed\): recorded in seed_sends$/);
    expect(events).toEqual([{ type: 'text.delivery.confirmed', note }]);

    const plan = (await buildPlan(db.pool, c.id, new Date()))!;
    expect(plan.seedSends.map((s) => `${s.to}:${s.status}:${s.channel}`).sort()).toEqual([`${imessageSeed}:read:imessage`, `${smsSeed}:delivered:sms`].sort());
    expect(plan.forecast.total).toBe(1);
    const text = await runCli(['campaign', 'plan', c.name], { env });
    expect(text.stdout).toContain('seed sends (latest first; outside every count above):');
    expect(text.stdout).toMatch(new RegExp(`\\${smsSeed} <- row of \\+13122000001: delivered via sms, delivered `));
    expect(text.stdout).toMatch(new RegExp(`\\${imessageSeed} <- row of \\+13122000001: read via imessage, delivered .*, read `));
    const after = await db.pool.query(
      `SELECT (SELECT count(*)::int FROM outbound_messages) AS messages, (SELECT count(*)::int FROM report_counts WHERE campaign_id = $1) AS rollups,
              (SELECT status::text FROM campaigns WHERE id = $1) AS status`,
      [c.id],
    );
    expect(after.rows[0]).toEqual({ messages: 0, rollups: 0, status: 'draft' });
  }, 60_000);
});
