import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { verifySignature } from '../../src/provider/webhooks.ts';
import { BIN, runCli } from '../helpers/cli.ts';
import { numbers } from '../simulator/helpers.ts';
import { startCapture } from './capture.ts';
import { eventually } from '../helpers/eventually.ts';

const LINE = '+14155550100';
const SECRET = 'whsec_cli_test_secret';
const KEY = 'contiguity_sk_cli_test';

/** `bluecast simulator` as a real child process; resolves with the URL it prints. */
function spawnSimulator(args: string[]): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'simulator', ...args], { env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    let out = '';
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c));
    child.stdout!.on('data', (c: Buffer) => {
      out += c;
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve({ child, url: (JSON.parse(line) as { url: string }).url, exited });
    });
    void exited.then((code) => reject(new Error(`simulator exited ${code}: ${err}`)));
  });
}

/**
 * The CLI entry point in this process (the same `main` bin/bluecast.mjs runs),
 * so that the many operations do not each pay a process start-up.
 */
async function inProcess(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const vars = { LOG_LEVEL: 'silent', ...env };
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    const code = await main(['node', 'bluecast', ...args]);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('bluecast simulator + bluecast imessage', () => {
  let sim: Awaited<ReturnType<typeof spawnSimulator>>;
  let receiver: Awaited<ReturnType<typeof startCapture>>;
  let env: Record<string, string>;
  const to = numbers(1)[0]!;

  beforeAll(async () => {
    receiver = await startCapture(() => ({ status: 200 }));
    sim = await spawnSimulator(['--port', '0', '--webhook-url', `${receiver.url}/wh`, '--secret', SECRET, '--seed', '3', '--imessage-ratio', '1', '--reply-ratio', '1', '--no-pacing', '--delivery-ms', '10', '--read-ms', '10', '--reply-ms', '20']);
    env = { CONTIGUITY_BASE_URL: sim.url, CONTIGUITY_API_KEY: KEY };
  });
  afterAll(async () => {
    sim?.child.kill('SIGKILL');
    await receiver?.close();
  });

  it('the real executable: send prints JSON (exit 0); invalid input exits 2 naming each field and sends nothing', async () => {
    const [send, bad] = await Promise.all([
      runCli(['imessage', 'send', '--to', to, '--from', LINE, '--message', 'hello from the CLI', '--fallback-when', 'imessage_unsupported,imessage_fails'], { env }),
      runCli(['imessage', 'send', '--to', '555', '--attachments', 'http://x.com/a.png', '--fallback-when', 'sometimes'], { env }),
    ]);
    expect(send.code, send.stderr).toBe(0);
    expect(JSON.parse(send.stdout)).toEqual({ message_id: expect.stringMatching(/^imsg_/) });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^\s+to: /m);
    expect(bad.stderr).toMatch(/^\s+attachments\.0: /m);
    expect(bad.stderr).toMatch(/^\s+fallback\.when\.0: /m);
    const sent = (await (await fetch(`${sim.url}/__sim/sent`)).json()) as { body: string }[];
    expect(sent.map((s) => s.body)).toEqual(['hello from the CLI']);

    // the simulator started from the CLI signs its webhooks with --secret (here a reply: reply ratio 1)
    await eventually(() => receiver.requests.length > 0, 5_000, 'a webhook');
    const r = receiver.requests[0]!;
    expect(verifySignature(r.body, r.headers['contiguity-signature'] as string, [SECRET])).toMatchObject({ ok: true });
    expect(JSON.parse(r.body)).toMatchObject({ type: 'imessage.incoming', data: { from: to, to: LINE } });
  }, 60_000);

  it('every operation prints its JSON answer', async () => {
    const send = await inProcess(['imessage', 'send', '--to', to, '--from', LINE, '--message', 'second', '--attachments', 'https://cdn.example.com/a.png'], env);
    expect(send.code, send.stderr).toBe(0);
    const { message_id } = JSON.parse(send.stdout) as { message_id: string };
    const incoming = { id: 'evt_1', type: 'imessage.incoming', timestamp: 1, api_version: 'v', data: { from: to, to: LINE, body: 'hi', timestamp: 1, attachments: [] } };
    const results = {
      reply: await inProcess(['imessage', 'reply', '--event', JSON.stringify(incoming), '--message', 'a reply'], env),
      typing: await inProcess(['imessage', 'typing', '--to', to, '--action', 'start', '--from', LINE], env),
      react: await inProcess(['imessage', 'react', '--action', 'add', '--to', to, '--from', LINE, '--tapback', 'like', '--message', 'second'], env),
      read: await inProcess(['imessage', 'read', '--to', to, '--from', LINE], env),
      history: await inProcess(['imessage', 'history', '--to', to, '--from', LINE, '--limit', '5', '--tracking'], env),
      textHistory: await inProcess(['imessage', 'text-history', '--to', to, '--from', LINE, '--limit', '5'], env),
      get: await inProcess(['imessage', 'get', '--id', message_id, '--tracking'], env),
      availability: await inProcess(['imessage', 'availability', '--to', to], env),
    };
    for (const [name, r] of Object.entries(results)) expect(r.code, `${name}: ${r.stderr}`).toBe(0);
    expect(JSON.parse(results.reply.stdout)).toEqual({ message_id: expect.stringMatching(/^imsg_/) });
    expect(JSON.parse(results.typing.stdout)).toEqual({ status: 'started' });
    expect(JSON.parse(results.react.stdout)).toMatchObject({ status: 'added' });
    expect(JSON.parse(results.read.stdout)).toMatchObject({ status: 'sent' });
    const conv = (JSON.parse(results.history.stdout) as { conversation: { message: string; tracking?: unknown[] }[] }).conversation;
    expect(conv.map((c) => c.message)).toContain('second');
    expect(conv.every((c) => Array.isArray(c.tracking))).toBe(true);
    // every send here went out as iMessage: the text thread is empty
    expect(JSON.parse(results.textHistory.stdout)).toMatchObject({ conversation: [], chat: { limit: 5, total: 0 } });
    expect(JSON.parse(results.get.stdout)).toMatchObject({ id: message_id, to, from: LINE, attachments: ['https://cdn.example.com/a.png'], tracking: expect.any(Array) });
    expect(JSON.parse(results.availability.stdout)).toEqual({ available: true });
    const sent = (await (await fetch(`${sim.url}/__sim/sent`)).json()) as { body: string; to: string; from: string }[];
    expect(sent.at(-1)).toMatchObject({ body: 'a reply', to, from: LINE });
  });

  it('exit codes: 2 for invalid flags or a missing key (naming them), 1 for a provider error', async () => {
    const history = await inProcess(['imessage', 'history', '--to', to, '--from', LINE, '--limit', 'lots'], env);
    expect(history.code).toBe(2);
    expect(history.stderr).toMatch(/^\s+limit: /m);
    const react = await inProcess(['imessage', 'react', '--action', 'boop', '--to', to, '--tapback', 'wow'], env);
    expect(react.code).toBe(2);
    expect(react.stderr).toMatch(/^\s+action: /m);
    const noKey = await inProcess(['imessage', 'availability', '--to', to], { CONTIGUITY_BASE_URL: sim.url, CONTIGUITY_API_KEY: '' });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/CONTIGUITY_API_KEY/);
    const notFound = await inProcess(['imessage', 'get', '--id', 'imsg_missing'], env);
    expect(notFound.code).toBe(1);
    expect(notFound.stderr).toMatch(/ProviderError: provider HTTP 404/);
    const badSim = await inProcess(['simulator', '--imessage-ratio', '2', '--port', 'x'], {});
    expect(badSim.code).toBe(2);
    expect(badSim.stderr).toMatch(/--imessage-ratio/);
    expect(badSim.stderr).toMatch(/--port/);
  });

  it('SIGTERM stops a running simulator with exit 0', async () => {
    const other = await spawnSimulator(['--port', '0']);
    expect((await fetch(`${other.url}/__sim/sent`)).status).toBe(200);
    other.child.kill('SIGTERM');
    expect(await other.exited).toBe(0);
  }, 60_000);
});
