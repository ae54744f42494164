import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardRoutes, SESSION_COOKIE } from '../../src/http/routes/dashboard.ts';
import { reportRoutes } from '../../src/http/routes/reports.ts';
import { buildHttpServer } from '../../src/http/server.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { buildReport } from '../../src/reports/build.ts';
import type { Report } from '../../src/reports/schema.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seedReportData, type Seeded } from './seed.ts';

const TOKEN = 'test-token-0123456789abcdef';
const bearer = { authorization: `Bearer ${TOKEN}` };

describe('report API and dashboard over HTTP', () => {
  let db: TestDatabase;
  let s: Seeded;
  let url: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    db = await createTestDatabase();
    s = await seedReportData(db.pool);
    const app = await buildHttpServer({ logger: createLogger('silent') }, [
      reportRoutes({ pool: db.pool, apiToken: TOKEN }),
      dashboardRoutes({ pool: db.pool, apiToken: TOKEN }),
    ]);
    url = await app.listen({ port: 0, host: '127.0.0.1' });
    close = () => app.close();
  });
  afterAll(() => close?.());

  const withoutTime = (r: unknown) => ({ ...(r as { generatedAt: string }), generatedAt: '' });

  it('GET /api/campaigns/:id/report needs the bearer token and returns buildReport, by id or by name', async () => {
    expect((await fetch(`${url}/api/campaigns/${s.campaignId}/report`)).status).toBe(401);
    expect((await fetch(`${url}/api/campaigns/${s.campaignId}/report`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const byId = await fetch(`${url}/api/campaigns/${s.campaignId}/report`, { headers: bearer });
    expect(byId.status).toBe(200);
    const byName = await fetch(`${url}/api/campaigns/${encodeURIComponent(s.campaignName)}/report`, { headers: bearer });
    const direct = await buildReport(db.pool, s.campaignId);
    expect(withoutTime(await byId.json())).toEqual(withoutTime(direct));
    expect(withoutTime(await byName.json())).toEqual(withoutTime(direct));
    const run = await fetch(`${url}/api/campaigns/${s.cronCampaignId}/report?run=${s.runIds[1]}`, { headers: bearer });
    expect(((await run.json()) as { runId: number }).runId).toBe(s.runIds[1]);
  });

  it('unknown campaigns are 404, bad run ids 400', async () => {
    const missing = await fetch(`${url}/api/campaigns/nope/report`, { headers: bearer });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'campaign "nope" not found' });
    expect((await fetch(`${url}/api/campaigns/${s.campaignId}/report?run=x`, { headers: bearer })).status).toBe(400);
    expect((await fetch(`${url}/api/campaigns/${s.campaignId}/report?run=${s.runIds[1]}`, { headers: bearer })).status).toBe(404);
  });

  it('serves the CSV export, the timeline and the campaigns list', async () => {
    const csv = await fetch(`${url}/api/campaigns/${s.campaignId}/report/csv`, { headers: bearer });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toContain(`${s.campaignName}-recipients.csv`);
    expect(parse(await csv.text(), { columns: true })).toHaveLength(40);
    const tl = (await (await fetch(`${url}/api/campaigns/${s.campaignName}/report/timeline`, { headers: bearer })).json()) as { sent: number[] };
    expect(tl.sent.reduce((a, b) => a + b, 0)).toBe(30);
    const list = (await (await fetch(`${url}/api/reports/campaigns`, { headers: bearer })).json()) as {
      campaigns: { id: number; name: string; sent: number; progress: number | null; deliveryRate: number | null; unconfirmed: number }[];
    };
    expect(list.campaigns.find((c) => c.name === s.campaignName)?.sent).toBe(30);
    // The list and the report API say the same, for a live campaign and one cancelled before sending.
    for (const id of [s.campaignId, s.cancelledCampaignId]) {
      const rep = (await (await fetch(`${url}/api/campaigns/${id}/report`, { headers: bearer })).json()) as Report;
      const row = list.campaigns.find((c) => c.id === id)!;
      expect([row.progress, row.deliveryRate, row.unconfirmed]).toEqual([rep.rates.progress, rep.rates.delivery, rep.totals.unconfirmed]);
    }
    expect(list.campaigns.find((c) => c.id === s.cancelledCampaignId)).toMatchObject({ progress: 0, deliveryRate: null });
    expect((await fetch(`${url}/api/reports/campaigns`)).status).toBe(401);
  });

  it('the dashboard asks for the token, then sets an HttpOnly SameSite cookie', async () => {
    const first = await fetch(`${url}/`);
    expect(first.status).toBe(200);
    const login = await first.text();
    expect(login).toContain('<form method="post" action="/login">');
    expect(first.headers.get('content-security-policy')).toContain("script-src 'self'");
    const form = (token: string) =>
      fetch(`${url}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }) });
    const wrong = await form('not-the-token');
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('That token is not right.');
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const right = await form(TOKEN);
    expect(right.status).toBe(303);
    const cookie = right.headers.get('set-cookie')!;
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=`));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toContain(TOKEN);
    const session = cookie.split(';')[0]!;
    const app = await fetch(`${url}/`, { headers: { cookie: session } });
    expect(await app.text()).toContain('<script type="module" src="/assets/app.js"></script>');
    const forged = await fetch(`${url}/`, { headers: { cookie: `${SESSION_COOKIE}=forged` } });
    expect(await forged.text()).toContain('action="/login"');
  });

  it('serves uPlot and the app from local files only', async () => {
    const require = createRequire(import.meta.url);
    const uplot = await fetch(`${url}/assets/uplot.js`);
    expect(uplot.headers.get('content-type')).toMatch(/javascript/);
    expect(await uplot.text()).toBe(await readFile(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'));
    expect((await fetch(`${url}/assets/app.css`)).status).toBe(200);
    expect((await fetch(`${url}/assets/..%2F..%2F..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${url}/assets/package.json`)).status).toBe(404);
    const html = await readFile(new URL('../../src/http/dashboard/index.html', import.meta.url), 'utf8');
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('/ui/api forwards to the API with the session, and only with the UI header', async () => {
    const right = await fetch(`${url}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${TOKEN}` });
    const cookie = right.headers.get('set-cookie')!.split(';')[0]!;
    const viaUi = await fetch(`${url}/ui/api/campaigns/${s.campaignId}/report`, { headers: { cookie, 'x-bluecast-ui': '1' } });
    expect(viaUi.status).toBe(200);
    expect(withoutTime(await viaUi.json())).toEqual(withoutTime(await buildReport(db.pool, s.campaignId)));
    expect((await fetch(`${url}/ui/api/campaigns/${s.campaignId}/report`, { headers: { cookie } })).status).toBe(403);
    expect((await fetch(`${url}/ui/api/campaigns/${s.campaignId}/report`, { headers: { 'x-bluecast-ui': '1' } })).status).toBe(401);
    const missing = await fetch(`${url}/ui/api/campaigns/nope/report`, { headers: { cookie, 'x-bluecast-ui': '1' } });
    expect(missing.status).toBe(404);
    const exported = await fetch(`${url}/ui/export/${s.campaignId}`, { headers: { cookie } });
    expect(exported.status).toBe(200);
    expect(parse(await exported.text(), { columns: true })).toHaveLength(40);
    expect((await fetch(`${url}/ui/export/${s.campaignId}`)).status).toBe(401);
    const out = await fetch(`${url}/logout`, { method: 'POST', redirect: 'manual', headers: { cookie } });
    expect(out.headers.get('set-cookie')).toMatch(new RegExp(`${SESSION_COOKIE}=;`));
  });

  it('without BLUECAST_API_TOKEN the dashboard is closed', async () => {
    const app = await buildHttpServer({ logger: createLogger('silent') }, [dashboardRoutes({ pool: db.pool, apiToken: undefined }), reportRoutes({ pool: db.pool, apiToken: undefined })]);
    const closed = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const page = await fetch(`${closed}/`);
      expect(page.status).toBe(503);
      expect(await page.text()).toContain('set BLUECAST_API_TOKEN');
      expect((await fetch(`${closed}/api/campaigns/1/report`, { headers: bearer })).status).toBe(503);
    } finally {
      await app.close();
    }
  });
});
