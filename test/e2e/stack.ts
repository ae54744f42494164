import { spawn, type ChildProcess } from 'node:child_process';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { BIN } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { freePort } from '../helpers/net.ts';

export const TOKEN = 'e2e-token-0123456789abcdef';
export const SECRET = 'whsec_e2e_secret_0123456789';
export const LINES = ['+14155550100', '+14155550101'];

export interface Stack {
  /** The dashboard and API of the running `bluecast serve`. */
  url: string;
  db: TestDatabase;
  sim: SimulatorHandle;
  /** The environment under which `bluecast` talks to this stack (for runCli). */
  env: Record<string, string>;
  /** What `bluecast serve` wrote to stderr so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

/**
 * The real thing: `bluecast serve` in a child process on its own database,
 * sending to the provider simulator, which posts signed webhooks back to it
 * (deliveries, reads, replies, opt-outs). Only the simulator's timings are
 * shortened; bluecast runs with its defaults.
 */
export interface StackOptions {
  /** Simulator settings over the defaults below (e.g. every send answered). */
  simulator?: Partial<Parameters<typeof startSimulator>[0]>;
  /** A recording proxy bluecast talks to instead of the simulator (it forwards to it). */
  providerProxy?: { url: string; setTarget(url: string): void };
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const db = await createTestDatabase({ poolSize: 4 });
  const port = await freePort();
  const sim = await startSimulator({
    webhookUrl: `http://127.0.0.1:${port}/webhooks/contiguity`,
    secret: SECRET,
    seed: 7,
    lines: LINES,
    imessageRatio: 0.75,
    replyRatio: 0.4,
    optOutRatio: 0.3,
    readRatio: 0.6,
    spamRatio: 0.1,
    smsFailureRate: 0.1,
    timing: { deliveryMs: 200, readMs: 300, replyMs: 500 },
    webhook: { retryDelayMs: 200, maxAttempts: 8 },
    ...opts.simulator,
  });
  opts.providerProxy?.setTarget(sim.url);
  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    CONTIGUITY_API_KEY: sim.apiKey,
    CONTIGUITY_BASE_URL: opts.providerProxy?.url ?? sim.url,
    WEBHOOK_SECRET: SECRET,
    BLUECAST_API_TOKEN: TOKEN,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
  };
  const child: ChildProcess = spawn(process.execPath, [BIN, 'serve'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  // Up when it answers its health check (or dead, with its output to show).
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`bluecast serve exited with ${child.exitCode}:\n${stderr}`);
    if (Date.now() > deadline) throw new Error(`bluecast serve did not come up:\n${stderr}`);
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  let stopping: Promise<void> | undefined;
  return {
    url,
    db,
    sim,
    env: { DATABASE_URL: db.url, LOG_LEVEL: 'warn' },
    log: () => stderr,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await exited;
          clearTimeout(timer);
        }
        await sim.stop();
      })();
      return stopping;
    },
  };
}
