import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { SESSION_COOKIE, UI_HEADER } from '../../src/http/routes/dashboard.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { startService, type Service } from '../../src/service.ts';
import { runCli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { makeCampaign } from '../import/support.ts';

const TOKEN = 'hardening-api-token-0123456789';
const bearer = { authorization: `Bearer ${TOKEN}` };

async function serve(db: TestDatabase, env: Record<string, string> = {}, lifetimes?: { idleSeconds: number; absoluteSeconds: number }): Promise<Service> {
  const config = loadConfig({ DATABASE_URL: db.url, BLUECAST_API_TOKEN: TOKEN, LOG_LEVEL: 'silent', ...env });
  const app: App = { config, logger: createLogger('silent'), server: { url: db.url, stop: async () => undefined }, db, close: async () => undefined };
  return startService(app, { host: '127.0.0.1', port: 0, worker: false, ...(lifetimes ? { dashboard: { sessionLifetimes: lifetimes } } : {}) });
}

const login = (url: string, token = TOKEN, headers: Record<string, string> = {}) =>
  fetch(`${url}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams({ token }) });

/** GET with the path sent exactly as written (fetch would normalise `%2e%2e` and `..` away). */
function rawGet(base: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const sessionOf = (res: Response) => res.headers.get('set-cookie')!.split(';')[0]!;

/**
 * The findings of the hardening review (issue #16) that a request can reach:
 * every route that needs credentials checks them before reading a body,
 * sessions are per login, revocable, expiring and throttled, the UI proxy
 * cannot leave /api, and odd ids are a 400/404, never a 500.
 */
describe('hardening: hostile requests', () => {
  let db: TestDatabase;
  let service: Service;
  let url: string;
  let campaignId: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    service = await serve(db);
    url = service.url;
    campaignId = (await makeCampaign(db)).id;
  });
  afterAll(() => service?.stop());

  it('an unauthenticated body is refused before it is read: /ui/api answers 401, the login form 413 beyond a few KiB', async () => {
    const big = Buffer.alloc(8 * 1024 * 1024, 0x61);
    const t0 = performance.now();
    const ui = await fetch(`${url}/ui/api/campaigns/${campaignId}/recipients`, { method: 'POST', headers: { 'content-type': 'text/csv', [UI_HEADER]: '1' }, body: big });
    expect(ui.status).toBe(401);
    const form = await fetch(`${url}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.concat([Buffer.from('token='), big]) });
    expect(form.status).toBe(413);
    const exp = await fetch(`${url}/ui/export/${campaignId}`);
    expect(exp.status).toBe(401);
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it('each login gets its own session; logout ends it on the server, not only in the browser', async () => {
    const a = await login(url);
    const b = await login(url);
    expect(a.status).toBe(303);
    const ca = sessionOf(a);
    const cb = sessionOf(b);
    expect(ca).not.toBe(cb);
    expect(ca).toMatch(new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43}$`));
    const api = (cookie: string) => fetch(`${url}/ui/api/campaigns/${campaignId}`, { headers: { cookie, [UI_HEADER]: '1' } });
    expect((await api(ca)).status).toBe(200);
    await fetch(`${url}/logout`, { method: 'POST', redirect: 'manual', headers: { cookie: ca } });
    // The old cookie value, replayed, no longer works; the other session does.
    expect((await api(ca)).status).toBe(401);
    expect((await api(cb)).status).toBe(200);
    expect((await fetch(`${url}/`, { headers: { cookie: ca } })).headers.get('content-type')).toMatch(/html/);
    expect(await (await fetch(`${url}/`, { headers: { cookie: ca } })).text()).toContain('action="/login"');
    // A plain HTTP server on 127.0.0.1 without PUBLIC_URL: the cookie cannot be Secure.
    expect(a.headers.get('set-cookie')).not.toMatch(/Secure/);
    // X-Forwarded-Proto is not believed without TRUST_PROXY.
    expect((await login(url, TOKEN, { 'x-forwarded-proto': 'https' })).headers.get('set-cookie')).not.toMatch(/Secure/);
  });

  it('login is throttled per client: a burst of guesses gets 429s after the first few', async () => {
    const own = await serve(db);
    try {
      const answers: number[] = [];
      for (let i = 0; i < 30; i++) answers.push((await login(own.url, `guess-${i}-xxxxxxxxxxxxxxxx`)).status);
      expect(answers.slice(0, 10).every((s) => s === 401)).toBe(true);
      expect(answers.slice(10).every((s) => s === 429)).toBe(true);
      // The right token is throttled too once the limit is reached: the limit is not an oracle.
      const right = await login(own.url);
      expect(right.status).toBe(429);
      expect(right.headers.get('set-cookie')).toBeNull();
      expect(right.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await right.text()).toContain('Too many sign-in attempts');
    } finally {
      await own.stop();
    }
  });

  it('the cookie is Secure with an https PUBLIC_URL, and behind TRUST_PROXY when X-Forwarded-Proto says https', async () => {
    const viaPublic = await serve(db, { PUBLIC_URL: 'https://bluecast.example.com' });
    const viaProxy = await serve(db, { TRUST_PROXY: 'true' });
    try {
      expect((await login(viaPublic.url)).headers.get('set-cookie')).toMatch(/; Secure/);
      expect((await login(viaProxy.url, TOKEN, { 'x-forwarded-proto': 'https' })).headers.get('set-cookie')).toMatch(/; Secure/);
      expect((await login(viaProxy.url, TOKEN, { 'x-forwarded-proto': 'http' })).headers.get('set-cookie')).not.toMatch(/Secure/);
    } finally {
      await Promise.all([viaPublic.stop(), viaProxy.stop()]);
    }
  });

  it('sessions end after their idle lifetime and after their absolute lifetime', async () => {
    const idle = await serve(db, {}, { idleSeconds: 1, absoluteSeconds: 3600 });
    const absolute = await serve(db, {}, { idleSeconds: 3600, absoluteSeconds: 2 });
    try {
      const api = (base: string, cookie: string) => fetch(`${base}/ui/api/campaigns`, { headers: { cookie, [UI_HEADER]: '1' } }).then((r) => r.status);
      const ci = sessionOf(await login(idle.url));
      const ca = sessionOf(await login(absolute.url));
      expect(await api(idle.url, ci)).toBe(200);
      expect(await api(absolute.url, ca)).toBe(200);
      await new Promise((r) => setTimeout(r, 1_300));
      expect(await api(idle.url, ci)).toBe(401);
      // Used all along, the absolute one still ends on time.
      expect(await api(absolute.url, ca)).toBe(200);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await api(absolute.url, ca)).toBe(401);
    } finally {
      await Promise.all([idle.stop(), absolute.stop()]);
    }
  });

  it('the /ui/api proxy reaches only /api/…, whatever the encoding', async () => {
    const cookie = sessionOf(await login(url));
    const via = (p: string) => rawGet(url, `/ui/api/${p}`, { cookie, [UI_HEADER]: '1' });
    const escapes = ['..%2F..%2Fhealthz', '..%2fhealthz', '../../healthz', '%2e%2e/%2e%2e/healthz', '%2E%2E%2F%2E%2E%2Fhealthz', '..%5C..%5Chealthz', '%252e%252e%252fhealthz', 'campaigns%2F..%2F..%2F..%2Fhealthz', '.%2F..%2Fhealthz', '..%2F..%2Flogin', '%00/healthz'];
    for (const p of escapes) {
      const res = await via(p);
      expect(res.status, p).toBe(404);
      expect(res.body, p).not.toContain('"ok":true');
    }
    expect((await via('campaigns')).status).toBe(200);
  });

  it('odd ids and control characters in paths and queries are 400 or 404, never 500', async () => {
    const cookie = sessionOf(await login(url));
    const ids = ['2147483648', '99999999999999999999', '0', '%00', 'a%00b', '%1F', '-1'];
    for (const id of ids) {
      const answers = await Promise.all([
        fetch(`${url}/api/campaigns/${id}`, { headers: bearer }),
        fetch(`${url}/api/campaigns/${id}/pause`, { method: 'POST', headers: bearer }),
        fetch(`${url}/api/campaigns/${id}/schedule`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: '{}' }),
        fetch(`${url}/api/campaigns/${id}/report`, { headers: bearer }),
        fetch(`${url}/api/campaigns/${id}/recipients`, { method: 'POST', headers: { ...bearer, 'content-type': 'text/csv' }, body: 'phone\n+14155552671\n' }),
        fetch(`${url}/ui/export/${id}`, { headers: { cookie } }),
        fetch(`${url}/ui/api/campaigns/${id}`, { headers: { cookie, [UI_HEADER]: '1' } }),
      ]);
      for (const res of answers) {
        expect([400, 404], `${res.url}: ${res.status}`).toContain(res.status);
        expect(((await res.json()) as { error?: string }).error, res.url).toEqual(expect.any(String));
      }
    }
    for (const run of ['2147483648', '99999999999999999999', '%00']) {
      expect((await fetch(`${url}/api/campaigns/${campaignId}/report?run=${run}`, { headers: bearer })).status, run).toBe(400);
    }
    // A NUL in the upload's file name.
    const upload = await fetch(`${url}/api/campaigns/${campaignId}/recipients?filename=a%00b.csv`, { method: 'POST', headers: { ...bearer, 'content-type': 'text/csv' }, body: 'phone\n+14155552671\n' });
    expect(upload.status).toBe(400);
    expect(await upload.text()).toMatch(/filename/);
    const phoneColumn = await fetch(`${url}/api/campaigns/${campaignId}/recipients?phone_column=%07`, { method: 'POST', headers: { ...bearer, 'content-type': 'text/csv' }, body: 'phone\n+14155552671\n' });
    expect(phoneColumn.status).toBe(400);
  });

  it('the CLI shows a short error, never a library message, for an id out of range', async () => {
    for (const id of ['99999999999999999999', '2147483648']) {
      const r = await runCli(['campaign', 'show', id], { env: { DATABASE_URL: db.url } });
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.stderr.trim()).toBe(`NotFoundError: campaign "${id}" not found`);
    }
    const r = await runCli(['report', '99999999999999999999'], { env: { DATABASE_URL: db.url } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).not.toMatch(/prisma|invocation|\n\s+at /i);
  });
});
