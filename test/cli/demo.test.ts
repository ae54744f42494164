import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { freePort } from '../helpers/net.ts';

// `npm start` as a new user runs it: no database, no provider key, nothing
// configured but a data folder of its own. It must create, import, pass the
// launch gate, send, take the webhooks and print the report at any hour.
describe('npm start (bluecast demo)', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs the sample campaign end to end on the embedded defaults and reports it', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bluecast-demo-'));
    // The embedded cluster runs as the postgres user, who must reach the folder.
    await chmod(dir, 0o755);
    const env = {
      BLUECAST_DATA_DIR: path.join(dir, 'data'),
      EMBEDDED_PG_PORT: String(await freePort()),
      PORT: String(await freePort()),
      // What a fresh clone has: none of the test suite's settings.
      DATABASE_URL: undefined,
      CONTIGUITY_API_KEY: undefined,
      WEBHOOK_SECRET: undefined,
      BLUECAST_API_TOKEN: undefined,
      BLUECAST_LEGAL_WINDOWS: undefined,
    };
    const r = await runCli(['demo', '--exit'], { env, timeoutMs: 240_000 });
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toContain('created campaign "spring-sale-demo"');
    expect(out).toMatch(/^ {2}imported +301$/m);
    // Through the launch gate: the sample's lines are the simulated account's, so nothing blocks it.
    expect(out).toContain('scheduled: Send to 301 people from 16 lines, first message now');
    expect(out).toContain('campaign completed');
    // Every person reached an outcome, and the report says the legal windows held nothing (simulated people).
    expect(out).toMatch(/^ {2}progress +100\.0%/m);
    expect(out).toMatch(/^ {2}total +301$/m);
    expect(out).toContain('Legal rules: off in this deployment');
    expect(out).toMatch(/^dashboard: http:\/\/127\.0\.0\.1:\d+\//m);

    // Run again on the same data: the campaign is reused, nothing is sent twice.
    const again = await runCli(['demo', '--exit'], { env, timeoutMs: 240_000 });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('campaign "spring-sale-demo" exists');
    expect(again.stdout).toContain('campaign is completed: nothing to import or send');
    expect(again.stdout).toMatch(/^ {2}total +301$/m);
  }, 600_000);
});
