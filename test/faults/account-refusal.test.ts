import { describe, expect, it } from 'vitest';
import { messageStatuses, phone, seedCampaign } from '../dispatch/fixtures.ts';
import { runCli } from '../helpers/cli.ts';
import { eventually } from '../helpers/eventually.ts';
import { expectAllSentOnce, useFaultStack, withWorker } from './stack.ts';

/**
 * The provider refuses the account (403, agreement not accepted) from the
 * first send on (the figure of the issue: all 30 recipients marked failed one
 * by one, the campaign `completed`, the agreement_url dropped). A `bluecast
 * run` worker blocks the campaign instead; after `campaign resume` it finishes.
 */
describe('faults: an account-level 403 mid-campaign', () => {
  const N = 30;
  const stack = useFaultStack('account-refusal', { faults: { accountRefusal: 403 } });

  it('blocks the campaign with the reason and URL, fails nobody, and resumes once fixed', async () => {
    const { db, sim } = stack;
    const phones = Array.from({ length: N }, (_, i) => phone(i, '929'));
    const c = await seedCampaign(db.pool, { phones, concurrency: 8, maxAttempts: 5 });
    await withWorker(stack, 'refused', async (worker) => {
      await eventually(async () => (await db.pool.query(`SELECT status FROM campaigns WHERE id = $1`, [c.id])).rows[0].status === 'blocked' || worker.child.exitCode !== null, 30_000, 'campaign blocked', 100);
      // The sends in flight when the first refusal came back come back too; then every message is queued again.
      await eventually(async () => (await messageStatuses(db.pool, c.id)).queued === N, 10_000, 'every message queued again', 100);
      const requestsWhenBlocked = sim.requests();
      // A while longer: nothing more is tried while blocked.
      await new Promise((r) => setTimeout(r, 1_000));
      expect(sim.requests()).toBe(requestsWhenBlocked);
      // A handful: at most the campaign's concurrency, never the 30.
      expect(requestsWhenBlocked).toBeLessThanOrEqual(8);
      expect(await messageStatuses(db.pool, c.id)).toEqual({ queued: N });

      const shown = await runCli(['campaign', 'show', c.name], { env: { DATABASE_URL: db.url, LOG_LEVEL: 'warn' } });
      expect(shown.code, shown.stderr).toBe(0);
      expect(JSON.parse(shown.stdout)).toMatchObject({
        status: 'blocked',
        blocked: { reason: expect.stringMatching(/agreement has not been accepted/), url: 'https://contiguity.com/agreements/imessage' },
      });

      // The user accepts the agreement, then resumes.
      sim.clearFaults();
      const resumed = await runCli(['campaign', 'resume', c.name], { env: { DATABASE_URL: db.url, LOG_LEVEL: 'warn' } });
      expect(resumed.code, resumed.stderr).toBe(0);
      await eventually(async () => (await messageStatuses(db.pool, c.id)).sent === N || worker.child.exitCode !== null, 60_000, 'every message sent', 200);
    });
    await expectAllSentOnce(stack, c.id, phones);
  });
});
