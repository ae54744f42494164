import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { runCli } from '../helpers/cli.ts';

describe('bluecast doctor', () => {
  let sim: SimulatorHandle;
  let receiver: Server;
  let receiverUrl: string;
  beforeAll(async () => {
    sim = await startSimulator({ apiKey: 'contiguity_sk_doctor_key', imessageRatio: 1 });
    // Stands for a running bluecast receiver: an unsigned POST is refused with 401.
    receiver = createServer((req, res) => {
      res.statusCode = req.url === '/webhooks/contiguity' ? 401 : 404;
      res.end();
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await sim?.stop();
    await new Promise((r) => receiver?.close(r));
  });

  const doctor = (env: Record<string, string | undefined>) =>
    runCli(['doctor'], { env: { CONTIGUITY_BASE_URL: sim.url, DATABASE_URL: undefined, LOG_LEVEL: 'warn', ...env } });

  it('one line per check, exit 0 when all pass', async () => {
    const r = await doctor({ CONTIGUITY_API_KEY: 'contiguity_sk_doctor_key', PUBLIC_URL: receiverUrl });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ok {4}api key: accepted/m);
    expect(r.stdout).toMatch(/^ok {4}clock: /m);
    expect(r.stdout).toMatch(/^ok {4}webhook receiver: /m);
  });

  it('a wrong key and an unreachable PUBLIC_URL fail, exit 1', async () => {
    const r = await doctor({ CONTIGUITY_API_KEY: 'contiguity_sk_wrong_key', PUBLIC_URL: 'http://127.0.0.1:9' });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL {2}api key: refused: provider HTTP 401/m);
    expect(r.stdout).toMatch(/^FAIL {2}webhook receiver: .*not reachable/m);
  });
});
