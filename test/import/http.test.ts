import { afterAll, describe, expect, it } from 'vitest';
import { buildHttpServer } from '../../src/http/server.ts';
import { campaignRoutes } from '../../src/http/routes/campaigns.ts';
import { recipientRoutes } from '../../src/http/routes/recipients.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { makeCampaign, recipientsOf } from './support.ts';

const TOKEN = 'test-token-0123456789abcdef';

describe('HTTP: recipients upload and campaigns API', async () => {
  const db = await createTestDatabase();
  const app = await buildHttpServer({ logger: createLogger('silent') }, [recipientRoutes({ db, apiToken: TOKEN }), campaignRoutes({ db, apiToken: TOKEN })]);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  afterAll(() => app.close());
  const auth = { authorization: `Bearer ${TOKEN}` };

  it('streams a CSV body into the import and answers the summary', async () => {
    const c = await makeCampaign(db);
    // A body that arrives in pieces, as a large upload does.
    const parts = ['phone,first_name\n+1 415 555 26', '71,Ann\n(415) 555-2672,Bob\n', '+1 555 123 4567,Bad\n'];
    const body = new ReadableStream<Uint8Array>({
      start(ctrl) {
        for (const p of parts) ctrl.enqueue(new TextEncoder().encode(p));
        ctrl.close();
      },
    });
    const res = await fetch(`${url}/api/campaigns/${c.name}/recipients?filename=list.csv`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/csv' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({
      campaignId: c.id,
      fileName: 'list.csv',
      totalRows: 3,
      imported: 2,
      duplicates: 0,
      invalid: 1,
      optedOut: 0,
      rejected: [{ line: 4, reason: '"+1 555 123 4567" is not a valid phone number for US', raw: '+1 555 123 4567,Bad' }],
      rejectedShown: 1,
    });
    expect((await recipientsOf(db, c.id)).map((r) => r.phone)).toEqual(['+14155552671', '+14155552672']);
  });

  it('the campaign lists its imports with their counts; every row left out downloads as CSV', async () => {
    const c = await makeCampaign(db);
    await db.pool.query(`INSERT INTO contacts (phone, opted_out, opted_out_at) VALUES ('+12125550143', true, now()) ON CONFLICT (phone) DO UPDATE SET opted_out = true`);
    const up = await fetch(`${url}/api/campaigns/${c.id}/recipients?filename=list.csv`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/csv' },
      body: 'phone,first_name\n+14155552671,Ann\nnope,Bad\n4155552671,Ann again\n+12125550143,Stop\n',
    });
    const summary = (await up.json()) as { importId: number };
    const described = (await (await fetch(`${url}/api/campaigns/${c.id}`, { headers: auth })).json()) as { imports: Record<string, unknown>[] };
    expect(described.imports).toEqual([
      expect.objectContaining({ id: summary.importId, file: 'list.csv', status: 'committed', total: 4, imported: 1, duplicates: 1, invalid: 1, optedOut: 1, rejected: 3 }),
    ]);
    const res = await fetch(`${url}/api/imports/${summary.importId}/rejections`, { headers: auth });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${c.name}-list-import-${summary.importId}-rejected.csv"`);
    expect(await res.text()).toBe(
      'line,kind,reason,raw\n' +
        '3,invalid,"""nope"" is not a phone number","nope,Bad"\n' +
        '4,duplicate,duplicate: the same number as line 2,+14155552671\n' +
        '5,opted_out,opted out: this number asked to receive no more messages,+12125550143\n',
    );
    expect((await fetch(`${url}/api/imports/999999/rejections`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${url}/api/imports/x/rejections`, { headers: auth })).status).toBe(400);
    expect((await fetch(`${url}/api/imports/${summary.importId}/rejections`)).status).toBe(401);
  });

  it('without a valid bearer token: 401 and nothing imported', async () => {
    const c = await makeCampaign(db);
    for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789' }] as Record<string, string>[]) {
      const res = await fetch(`${url}/api/campaigns/${c.id}/recipients`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'text/csv' },
        body: 'phone\n+14155552671\n',
      });
      expect(res.status).toBe(401);
    }
    expect(await recipientsOf(db, c.id)).toEqual([]);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM imports WHERE campaign_id = $1', [c.id])).rows[0].n).toBe(0);
  });

  it('a file-level problem is a 400 naming it; an unknown campaign a 404', async () => {
    const c = await makeCampaign(db);
    const bad = await fetch(`${url}/api/campaigns/${c.id}/recipients`, { method: 'POST', headers: { ...auth, 'content-type': 'text/csv' }, body: '' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/upload\.csv: the file is empty/);
    const none = await fetch(`${url}/api/campaigns/nope/recipients`, { method: 'POST', headers: { ...auth, 'content-type': 'text/csv' }, body: 'phone\n' });
    expect(none.status).toBe(404);
  });

  it('an upload refused before its end is answered, and the next request (same keep-alive client) is answered too', async () => {
    const c = await makeCampaign(db);
    // Refused at line 2, with most of the 3 MB body still unread.
    const big = `phone,first_name\n+14155552671,${'x'.repeat(3 * 1024 * 1024)}\n`;
    const refused = await fetch(`${url}/api/campaigns/${c.id}/recipients`, { method: 'POST', headers: { ...auth, 'content-type': 'text/csv' }, body: big });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toMatch(/a row is larger than/);
    // The unread rest of the body would leave the connection stuck (and the server's close() waiting for it).
    expect(refused.headers.get('connection')).toBe('close');
    const next = await fetch(`${url}/api/campaigns/${c.id}/recipients`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/csv' },
      body: 'phone\n+14155552671\n',
      signal: AbortSignal.timeout(5_000),
    });
    expect(next.status).toBe(201);
    expect((await recipientsOf(db, c.id)).map((r) => r.phone)).toEqual(['+14155552671']);
  });

  it('campaigns API: create, list, show, pause/resume/cancel with 409 on an illegal move', async () => {
    const create = (body: unknown) => fetch(`${url}/api/campaigns`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    // A send time at creation needs recipients for the launch checks to look at: an API campaign has none yet.
    const early = await create({ name: 'api-one', message: '{Hi|Hey} {{first_name|there}}', at: '2030-05-01T14:00:00Z' });
    expect(early.status).toBe(409);
    expect(((await early.json()) as { error: string }).error).toMatch(/has no recipients yet/);
    const created = await create({ name: 'api-one', message: '{Hi|Hey} {{first_name|there}}' });
    expect(created.status).toBe(201);
    const c = (await created.json()) as { id: number; status: string };
    expect(c.status).toBe('draft');
    const up = await fetch(`${url}/api/campaigns/${c.id}/recipients?filename=one.csv`, { method: 'POST', headers: { ...auth, 'content-type': 'text/csv' }, body: 'phone\n+14155552681\n' });
    expect(up.status).toBe(201);
    // Scheduled as `schedule` leaves it (its route, with the gate, is tested in test/http/schedule.test.ts).
    await db.pool.query(`UPDATE campaigns SET status = 'scheduled', schedule_at = '2030-05-01T14:00:00Z' WHERE id = $1 AND status = 'draft'`, [c.id]);
    const invalid = await fetch(`${url}/api/campaigns`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'api-two', message: 'Hi', cron: 'every day' }),
    });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { issues: { path: string }[] }).issues[0]!.path).toBe('cron');

    const list = (await (await fetch(`${url}/api/campaigns`, { headers: auth })).json()) as { campaigns: { name: string }[] };
    expect(list.campaigns.map((x) => x.name)).toContain('api-one');
    expect((await fetch(`${url}/api/campaigns`)).status).toBe(401);

    const post = (verb: string) => fetch(`${url}/api/campaigns/${c.id}/${verb}`, { method: 'POST', headers: auth });
    expect(await (await post('pause')).json()).toMatchObject({ name: 'api-one', status: 'paused' });
    expect(await (await post('resume')).json()).toMatchObject({ status: 'scheduled' });
    expect(await (await post('cancel')).json()).toMatchObject({ status: 'cancelled', messages: 0 });
    const conflict = await post('resume');
    expect(conflict.status).toBe(409);
    expect(((await conflict.json()) as { error: string }).error).toMatch(/is cancelled; cannot resume it/);
    const shown = (await (await fetch(`${url}/api/campaigns/api-one`, { headers: auth })).json()) as { status: string; recipients: { total: number } };
    expect(shown).toMatchObject({ status: 'cancelled', recipients: { total: 1 } });
  });
});
