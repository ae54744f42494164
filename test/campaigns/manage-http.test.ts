import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { campaignEditSchema } from '../../src/campaigns/manage.ts';
import { campaignRoutes } from '../../src/http/routes/campaigns.ts';
import { buildHttpServer } from '../../src/http/server.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { makeCampaign, runImport } from '../import/support.ts';

const TOKEN = 'test-token-0123456789abcdef';

describe('edit a draft, duplicate, archive (HTTP)', async () => {
  const db = await createTestDatabase();
  const app = await buildHttpServer({ logger: createLogger('silent') }, [campaignRoutes({ db, apiToken: TOKEN })]);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  afterAll(() => app.close());
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, any> };
  };

  it('edits a draft and refuses once it is scheduled, with a 409 that says why', async () => {
    const c = await makeCampaign(db);
    const edited = await call('PUT', `/api/campaigns/${c.id}`, { name: `${c.name}-v2`, message: 'Hello {{first_name|you}}', ratePerLine: 0.5 });
    expect(edited.status).toBe(200);
    expect(edited.json).toMatchObject({ id: c.id, name: `${c.name}-v2`, message: 'Hello {{first_name|you}}', status: 'draft' });
    const bad = await call('PUT', `/api/campaigns/${c.id}`, { name: `${c.name}-v2`, message: 'x', at: '2030-01-01T10:00:00Z' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json)).toContain('an edit does not schedule');
    await db.pool.query(`UPDATE campaigns SET status = 'scheduled', schedule_at = now() + interval '1 day' WHERE id = $1`, [c.id]);
    const refused = await call('PUT', `/api/campaigns/${c.id}`, { name: `${c.name}-v3`, message: 'Changed' });
    expect(refused.status).toBe(409);
    expect(JSON.stringify(refused.json)).toContain('is scheduled: only a draft can be edited');
    const row = (await db.pool.query('SELECT name, message FROM campaigns WHERE id = $1', [c.id])).rows[0];
    expect(row).toEqual({ name: `${c.name}-v2`, message: 'Hello {{first_name|you}}' });
  });

  it('the legal settings through the API: PUT with transactional/sendBy/recentContactHours/onCap, shown under legal; a bad onCap is a 400 naming it', async () => {
    const c = await makeCampaign(db);
    const edited = await call('PUT', `/api/campaigns/${c.id}`, { name: c.name, message: 'Your code', transactional: true, sendBy: '2030-01-01T10:00:00Z', recentContactHours: 6, onCap: 'skip' });
    expect(edited.status).toBe(200);
    expect(edited.json.legal).toEqual({ transactional: true, rules: 'federal hours only (transactional)', sendBy: '2030-01-01T10:00:00.000Z', recentContactHours: 6, onCap: 'skip' });
    const bad = await call('PUT', `/api/campaigns/${c.id}`, { name: c.name, message: 'x', onCap: 'maybe' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json)).toMatch(/onCap/);
    // The OpenAPI document is generated from the same zod schema (src/http/openapi.ts).
    const props = (z.toJSONSchema(campaignEditSchema, { io: 'input', unrepresentable: 'any' }) as { properties: Record<string, unknown> }).properties;
    for (const k of ['transactional', 'sendBy', 'recentContactHours', 'onCap']) expect(props).toHaveProperty(k);
  });

  it('duplicates definition and recipients into a new draft, without the schedule; a taken name is a 409', async () => {
    const c = await makeCampaign(db, { ratePerLine: 0.25, cron: '0 10 * * 1' });
    await runImport(db, c, 'phone,first_name\n+14155552671,Ann\n+14155552672,Bob\n');
    const dup = await call('POST', `/api/campaigns/${c.name}/duplicate`, { name: `${c.name}-copy` });
    expect(dup.status).toBe(201);
    const copy = (await db.pool.query('SELECT id, status, rate_per_line, cron_expression, message FROM campaigns WHERE name = $1', [`${c.name}-copy`])).rows[0];
    expect(copy).toMatchObject({ status: 'draft', rate_per_line: 0.25, cron_expression: null, message: c.message });
    const phones = await db.pool.query('SELECT phone, variables FROM campaign_recipients WHERE campaign_id = $1 ORDER BY phone', [copy.id]);
    expect(phones.rows).toEqual([
      { phone: '+14155552671', variables: { first_name: 'Ann' } },
      { phone: '+14155552672', variables: { first_name: 'Bob' } },
    ]);
    expect((await call('POST', `/api/campaigns/${c.name}/duplicate`, { name: `${c.name}-copy` })).status).toBe(409);
    expect((await call('POST', `/api/campaigns/${c.name}/duplicate`, {})).status).toBe(400);
  });

  it('archives a finished campaign out of the default list, refuses one that still sends, and unarchives', async () => {
    const done = await makeCampaign(db);
    const live = await makeCampaign(db);
    await db.pool.query(`UPDATE campaigns SET status = 'completed' WHERE id = $1`, [done.id]);
    await db.pool.query(`UPDATE campaigns SET status = 'running' WHERE id = $1`, [live.id]);
    const a = await call('POST', `/api/campaigns/${done.id}/archive`);
    expect(a.status).toBe(200);
    expect(a.json).toMatchObject({ id: done.id, status: 'completed' });
    expect(a.json.archivedAt).toMatch(/^\d{4}-/);
    const refused = await call('POST', `/api/campaigns/${live.id}/archive`);
    expect(refused.status).toBe(409);
    expect(JSON.stringify(refused.json)).toContain('is running: cancel or unschedule it before archiving it');
    const names = async (q = '') => (await call('GET', `/api/campaigns${q}`)).json.campaigns.map((x: { id: number }) => x.id);
    expect(await names()).not.toContain(done.id);
    expect(await names()).toContain(live.id);
    expect(await names('?archived=true')).toContain(done.id);
    expect((await call('PUT', `/api/campaigns/${done.id}`, { name: done.name, message: 'x' })).status).toBe(409);
    expect((await call('POST', `/api/campaigns/${done.id}/unarchive`)).json.archivedAt).toBeNull();
    expect(await names()).toContain(done.id);
  });
});
