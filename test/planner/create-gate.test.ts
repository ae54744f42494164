import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignRoutes } from '../../src/http/routes/campaigns.ts';
import { buildHttpServer } from '../../src/http/server.ts';
import { launchGate } from '../../src/planner/gate.ts';
import { doctorLineProblems } from '../../src/planner/line-problems.ts';
import { createImessageClient } from '../../src/provider/client.ts';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { runCli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';

const TOKEN = 'test-token-0123456789abcdef';
const later = () => new Date(Date.now() + 3 * 86_400_000).toISOString();

// A campaign created with a send time (`campaign create --at`, POST
// /api/campaigns with `at`) is scheduled through the same launch gate as a
// later `schedule`: blocks refuse with their fix, the logged override works the same.
describe('scheduling at creation goes through the launch gate', () => {
  let db: TestDatabase;
  let sim: SimulatorHandle;
  beforeAll(async () => {
    db = await createTestDatabase();
    // No number has iMessage here, the account's own line aside: another line fails the line check (a block).
    sim = await startSimulator({ recordRequests: true, pacing: false, imessageRatio: 0, seed: 20, lines: ['+14155554001'] });
  });
  afterAll(() => sim?.stop());
  const row = async (name: string) =>
    (await db.pool.query(`SELECT status::text, schedule_at, (SELECT count(*)::int FROM campaign_recipients r WHERE r.campaign_id = c.id) AS recipients FROM campaigns c WHERE name = $1`, [name])).rows[0];

  it('CLI: create --at --csv refuses a blocked plan (exit 1, kept as a draft with its recipients, the fix named); --ignore-blocks schedules and is logged', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'create-gate-'));
    await chmod(dir, 0o755);
    const csv = path.join(dir, 'people.csv');
    await writeFile(csv, 'phone,first_name\n+13125550101,Ann\n+13125550102,Bob\n');
    const env = { DATABASE_URL: db.url, CONTIGUITY_API_KEY: '' };
    const at = later();
    const refused = await runCli(['campaign', 'create', '--name', 'gate-cli', '--message', 'Hi {{first_name|there}}, our sale starts Friday', '--at', at, '--csv', csv], { env });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/created campaign gate-cli \(id \d+\): draft, no schedule yet/);
    expect(refused.stdout).toContain('[block] opt-out-missing');
    expect(refused.stdout).toContain('fix: add an instruction such as "Reply STOP to opt out"');
    expect(refused.stderr).toContain(`campaign "gate-cli" was created as a draft but not scheduled`);
    expect(refused.stderr).toContain(`bluecast campaign schedule gate-cli --at ${at}`);
    expect(await row('gate-cli')).toEqual({ status: 'draft', schedule_at: null, recipients: 2 });

    const forced = await runCli(['campaign', 'create', '--name', 'gate-cli-2', '--message', 'Hi {{first_name|there}}, our sale starts Friday', '--at', at, '--csv', csv, '--ignore-blocks'], { env });
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain(`created campaign gate-cli-2`);
    expect(forced.stdout).toContain('[block, ignored] opt-out-missing');
    expect(forced.stderr).toMatch(/"ignoredBlocks":\["opt-out-missing"\].*despite blocking plan checks/);
    expect(await row('gate-cli-2')).toEqual({ status: 'scheduled', schedule_at: new Date(at), recipients: 2 });

    const clean = await runCli(['campaign', 'create', '--name', 'gate-cli-3', '--message', 'Hi {{first_name|there}}, sale Friday. Reply STOP to opt out', '--at', at, '--csv', csv], { env });
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/gate-cli-3 \(id \d+\): scheduled, at /);
    expect(await row('gate-cli-3')).toMatchObject({ status: 'scheduled', recipients: 2 });

    const orphan = await runCli(['campaign', 'create', '--name', 'gate-cli-4', '--message', 'Hi. Reply STOP to opt out', '--ignore-blocks'], { env });
    expect(orphan.code).toBe(2);
    expect(orphan.stderr).toMatch(/--ignore-blocks: only with --at/);

    // Nobody to check yet (no CSV): refused as `schedule` refuses it, kept as a draft, even with --ignore-blocks.
    const empty = await runCli(['campaign', 'create', '--name', 'gate-cli-5', '--message', 'Hi, sale Friday', '--at', at, '--ignore-blocks'], { env });
    expect(empty.code).not.toBe(0);
    expect(empty.stderr).toMatch(/campaign "gate-cli-5" has no recipients yet: upload a recipients CSV before scheduling it \(campaign "gate-cli-5" was created as a draft, id \d+\)/);
    expect(await row('gate-cli-5')).toEqual({ status: 'draft', schedule_at: null, recipients: 0 });
  }, 90_000);

  it('API: POST /api/campaigns with at is refused while the campaign has nobody to check (nothing created); without at, a draft and no gate', async () => {
    const client = createImessageClient({ baseUrl: sim.url, apiKey: sim.apiKey });
    const app = await buildHttpServer({ logger: pino({ level: 'silent' }) }, [campaignRoutes({ db, apiToken: TOKEN, gate: launchGate(db.pool, { lineProblems: doctorLineProblems(client) }) })]);
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const post = async (body: unknown) => {
        const res = await fetch(`${url}/api/campaigns`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        return { status: res.status, body: (await res.json()) as Record<string, any> };
      };
      // No STOP instruction: with recipients that would block; with none, the first-touch
      // checks have nobody to look at, so scheduling is refused as `schedule` refuses it,
      // even with ignoreBlocks.
      const def = { name: 'gate-api', message: 'Hi, sale Friday', from: ['+14155554001'], at: later() };
      for (const body of [def, { ...def, ignoreBlocks: true }]) {
        const refused = await post(body);
        expect(refused.status).toBe(409);
        expect(refused.body.error).toMatch(/campaign "gate-api" has no recipients yet: upload a recipients CSV before scheduling it/);
        expect(await row('gate-api')).toBeUndefined();
      }
      expect((await post({ ...def, ignoreBlocks: 'yes' })).status).toBe(400);

      const before = sim.availabilityRequests().length;
      expect((await post({ name: 'gate-api-draft', message: 'Hi. Reply STOP to opt out', from: ['+14155559999'] })).body).toMatchObject({ status: 'draft' });
      expect(sim.availabilityRequests().length).toBe(before);
    } finally {
      await app.close();
      client.close();
    }
  }, 60_000);
});
