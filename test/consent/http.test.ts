import { afterAll, describe, expect, it } from 'vitest';
import { consentRoutes } from '../../src/http/routes/consent.ts';
import { buildHttpServer } from '../../src/http/server.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { createTestDatabase } from '../helpers/db.ts';

const TOKEN = 'test-token-0123456789abcdef';

describe('HTTP: /api/consent', async () => {
  const db = await createTestDatabase();
  const app = await buildHttpServer({ logger: createLogger('silent') }, [consentRoutes({ pool: db.pool, apiToken: TOKEN })]);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  afterAll(() => app.close());
  const auth = { authorization: `Bearer ${TOKEN}` };
  const post = (path: string, body: unknown) => fetch(`${url}${path}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('requires the bearer token', async () => {
    expect((await fetch(`${url}/api/consent/export`)).status).toBe(401);
    expect((await fetch(`${url}/api/consent/opt-out`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(401);
  });

  it('opt-out needs a reason, opt-in a basis; bad bodies are 400s naming the field', async () => {
    let res = await post('/api/consent/opt-out', { phone: '+16505550801' });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toMatch(/reason/);
    res = await post('/api/consent/opt-out', { phone: 'call me', reason: 'x' });
    expect(res.status).toBe(400);
    res = await post('/api/consent/opt-out', { phone: '650 555 0801', reason: 'email to support' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ phone: '+16505550801', changed: true, optedOut: true, skippedMessages: 0 });
    res = await post('/api/consent/opt-in', { phone: '+16505550801' });
    expect(res.status).toBe(400);
    res = await post('/api/consent/opt-in', { phone: '+16505550801', basis: 'keyword JOIN on 2026-12-01' });
    expect(((await res.json()) as { changed: boolean }).changed).toBe(true);
  });

  it('imports a suppression list (all or nothing) and exports the history as CSV and JSON', async () => {
    const up = (body: string) => fetch(`${url}/api/consent/import?filename=dnc.csv`, { method: 'POST', headers: { ...auth, 'content-type': 'text/csv' }, body });
    let res = await up('number\n+16505550811\nnot a number\n');
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toMatch(/line 3/);
    res = await up('number,source\n+16505550811,dnc registry\n+16505550812,\n');
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ rows: 2, optedOut: 2 });

    const csv = await (await fetch(`${url}/api/consent/export`, { headers: auth })).text();
    expect(csv.split('\n')[0]).toBe('number,state,change,time,keyword_or_action,message,source,note');
    expect(csv).toMatch(/^\+16505550811,opted_out,opt_out,[^,]+,IMPORT,,import dnc\.csv: dnc registry,$/m);
    const json = (await (await fetch(`${url}/api/consent/export?format=json`, { headers: auth })).json()) as { number: string; keyword_or_action: string; note: string | null }[];
    expect(json.map((j) => [j.number, j.keyword_or_action, j.note])).toEqual([
      ['+16505550801', 'MANUAL', 'email to support'],
      ['+16505550801', 'MANUAL', 'keyword JOIN on 2026-12-01'],
      ['+16505550811', 'IMPORT', null],
      ['+16505550812', 'IMPORT', null],
    ]);
    expect((await fetch(`${url}/api/consent/export?format=xml`, { headers: auth })).status).toBe(400);
  });
});
