import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { dashboardApiRoutes, launchBlockedSchema } from '../../src/http/routes/dashboard-api.ts';
import { openApiPlugin, openApiRoutes } from '../../src/http/openapi.ts';
import { buildHttpServer } from '../../src/http/server.ts';
import { launchGate } from '../../src/planner/gate.ts';
import { runCli } from '../helpers/cli.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { makeCampaign } from '../import/support.ts';

const TOKEN = 'test-token-0123456789abcdef';
const LINES = ['+14155552671', '+14155552672'];

describe('"blocks launch" blocks: scheduling refuses a plan with block checks unless overridden', async () => {
  const db = await createTestDatabase();
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { for (const l of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(l)); done(); } });
  const app = await buildHttpServer({ logger: pino({ level: 'warn' }, sink), before: [openApiPlugin] }, [openApiRoutes, dashboardApiRoutes({ db, apiToken: TOKEN, gate: launchGate(db.pool) })]);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  afterAll(() => app.close());
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${url}/api/campaigns/${path}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const statusOf = async (id: number) => (await db.pool.query<{ status: string }>('SELECT status::text AS status FROM campaigns WHERE id = $1', [id])).rows[0]!.status;
  const withPeople = async (message: string, from = LINES) => {
    const c = await makeCampaign(db, { message, from, timezone: 'UTC' });
    await db.pool.query(`INSERT INTO campaign_recipients (campaign_id, phone, timezone) SELECT $1, '+1312555' || lpad(g::text, 4, '0'), 'UTC' FROM generate_series(1, 5) g`, [c.id]);
    return c;
  };

  it('API: 409 naming the check and its fix (the registered schema), the dry run lists the blocks, ignoreBlocks schedules and is logged', async () => {
    const c = await withPeople('Hi {{first_name|there}}, our sale starts Friday');
    const refused = await post(`${c.id}/schedule`, { now: true });
    expect(refused.status).toBe(409);
    const body = launchBlockedSchema.parse(refused.body);
    expect(body.blocks.map((b) => b.id)).toEqual(['opt-out-missing']);
    expect(body.error).toContain('opt-out-missing');
    expect(body.error).toContain('Reply STOP to opt out');
    expect(await statusOf(c.id)).toBe('draft');

    const dry = await post(`${c.id}/schedule`, { now: true, dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body.blocks.map((b: { id: string }) => b.id)).toEqual(['opt-out-missing']);
    expect(dry.body.ignoredBlocks).toEqual([]);
    expect(await statusOf(c.id)).toBe('draft');

    expect(logs).toEqual([]);
    const done = await post(`${c.id}/schedule`, { now: true, ignoreBlocks: true });
    expect(done.status).toBe(200);
    expect(done.body.status).toBe('scheduled');
    expect(done.body.ignoredBlocks).toEqual(['opt-out-missing']);
    expect(await statusOf(c.id)).toBe('scheduled');
    await new Promise((r) => setTimeout(r, 50));
    expect(logs).toEqual([expect.objectContaining({ level: 40, campaignId: c.id, ignoredBlocks: ['opt-out-missing'], msg: expect.stringMatching(/despite blocking plan checks/) })]);

    // Reschedule is gated the same way.
    const later = new Date(Date.now() + 86_400_000).toISOString();
    expect((await post(`${c.id}/reschedule`, { at: later })).status).toBe(409);
    expect((await post(`${c.id}/reschedule`, { at: later, ignoreBlocks: true })).status).toBe(200);
  });

  it('the OpenAPI document describes the 409 and the ignoreBlocks field', async () => {
    const doc = (await (await fetch(`${url}/api/openapi.json`)).json()) as Record<string, any>;
    const op = doc.paths['/api/campaigns/{id}/schedule'].post;
    expect(op.requestBody.content['application/json'].schema.properties.ignoreBlocks).toEqual({ type: 'boolean' });
    const blocked = op.responses['409'];
    expect(blocked.description).toMatch(/block/);
    expect(blocked.content['application/json'].schema.required).toEqual(['error', 'blocks', 'override']);
  });

  it('API: a plan without block checks schedules as before; ignoreBlocks must be a boolean', async () => {
    const c = await withPeople('Hi {{first_name|there}}, sale Friday. Reply STOP to opt out');
    expect((await post(`${c.id}/schedule`, { now: true, ignoreBlocks: 'yes' })).status).toBe(400);
    const ok = await post(`${c.id}/schedule`, { now: true });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'scheduled', blocks: [], ignoredBlocks: [] });
  });

  it('CLI: campaign schedule refuses with the check and its fix (exit 1, still a draft); --ignore-blocks schedules', async () => {
    const env = { DATABASE_URL: db.url, LOG_LEVEL: 'warn' };
    // No lines (the provider picks): without a CONTIGUITY_API_KEY leased lines could not be checked, itself a block.
    const c = await withPeople('Big sale this Friday', []);
    const refused = await runCli(['campaign', 'schedule', c.name, '--now'], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/cannot be scheduled: its launch plan has 1 blocking check/);
    expect(refused.stderr).toMatch(/opt-out-missing: .*\n\s+fix: add an instruction such as "Reply STOP to opt out"/);
    expect(refused.stderr).toContain('--ignore-blocks');
    expect(await statusOf(c.id)).toBe('draft');
    const dry = await runCli(['campaign', 'schedule', c.name, '--now', '--dry-run'], { env });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/would schedule: .*\n\s+\[block\] opt-out-missing/);
    const bad = await runCli(['campaign', 'schedule', c.name], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--local: choose a date and time, or send now/);
    const done = await runCli(['campaign', 'schedule', c.name, '--now', '--ignore-blocks'], { env });
    expect(done.stderr).toMatch(/scheduled despite blocking plan checks/);
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/is scheduled: .*\n\s+\[block, ignored\] opt-out-missing/);
    expect(await statusOf(c.id)).toBe('scheduled');
  }, 60_000);
});
