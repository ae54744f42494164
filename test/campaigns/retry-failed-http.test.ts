import { afterAll, describe, expect, it } from 'vitest';
import { campaignRoutes } from '../../src/http/routes/campaigns.ts';
import { buildHttpServer } from '../../src/http/server.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { messageStatuses, seedCampaign } from '../dispatch/fixtures.ts';

const TOKEN = 'test-token-0123456789abcdef';

describe('POST /api/campaigns/:id/retry-failed', async () => {
  const db = await createTestDatabase();
  const app = await buildHttpServer({ logger: createLogger('silent') }, [campaignRoutes({ db, apiToken: TOKEN })]);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  afterAll(() => app.close());
  const post = (path: string, token = TOKEN) => fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });

  it('re-queues the failed messages, never one delivered after all, and reopens the completed campaign and its run', async () => {
    const c = await seedCampaign(db.pool, { recipients: 3, status: 'running' });
    await db.pool.query(`UPDATE campaigns SET status = 'completed' WHERE id = $1`, [c.id]);
    const { rows: [run] } = await db.pool.query<{ id: number }>(`INSERT INTO campaign_runs (campaign_id, scheduled_for, status, completed_at) VALUES ($1, now(), 'completed', now()) RETURNING id`, [c.id]);
    await db.pool.query(`INSERT INTO contacts (phone) SELECT phone FROM campaign_recipients WHERE campaign_id = $1`, [c.id]);
    await db.pool.query(
      `INSERT INTO outbound_messages (campaign_id, run_id, recipient_id, contact_id, to_phone, body, status, attempts, failed_at, delivered_at)
       SELECT $1, $2, r.id, ct.id, r.phone, 'Hi', 'failed', 5, now(), CASE WHEN row_number() OVER (ORDER BY r.id) = 1 THEN now() END
         FROM campaign_recipients r JOIN contacts ct ON ct.phone = r.phone WHERE r.campaign_id = $1`,
      [c.id, run!.id],
    );

    expect((await post(`/api/campaigns/${c.id}/retry-failed`, 'wrong-token-0123456789')).status).toBe(401);
    const res = await post(`/api/campaigns/${c.name}/retry-failed`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: c.id, campaign: c.name, requeued: 2, runsReopened: 1 });
    expect(await messageStatuses(db.pool, c.id)).toEqual({ queued: 2, failed: 1 });
    expect((await db.pool.query(`SELECT status FROM campaigns WHERE id = $1`, [c.id])).rows[0].status).toBe('running');
    expect((await db.pool.query(`SELECT status FROM campaign_runs WHERE id = $1`, [run!.id])).rows[0].status).toBe('running');

    expect((await post('/api/campaigns/no-such-campaign/retry-failed')).status).toBe(404);
  });
});
