import { beforeAll, describe, expect, it } from 'vitest';
import type { ImessageClient } from '../../src/provider/client.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { messageStatuses, seedCampaign, testWorker } from './fixtures.ts';
import { eventually } from '../helpers/eventually.ts';

type Sender = Pick<ImessageClient, 'send' | 'history' | 'textHistory'>;

/** A provider whose sends never answer; `honoursAbort`: they end when their signal aborts, else never. */
function hangingSender(honoursAbort: boolean): Sender & { started: () => number } {
  let started = 0;
  return {
    started: () => started,
    send: (_params, opts) => {
      started++;
      return new Promise((_resolve, reject) => {
        if (honoursAbort) opts?.signal?.addEventListener('abort', () => reject(opts.signal!.reason), { once: true });
      });
    },
    // Nothing is in any history: never asked here, the reconciler runs after the tests.
    history: () => Promise.resolve({ conversation: [], reactions: [] }),
    textHistory: () => Promise.resolve({ conversation: [], reactions: [] }),
  } as Sender & { started: () => number };
}

describe('dispatch: shutdown in two phases', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });

  it('drains, then aborts the sends still running: their outcome is unknown, so they stay leased for the reconciler; the rest go back unsent', async () => {
    const c = await seedCampaign(db.pool, { recipients: 6, concurrency: 2, scheduleAt: new Date(Date.now() - 1_000) });
    const sender = hangingSender(true);
    const worker = testWorker(db.pool, sender, { options: { drainMs: 300, stopTimeoutMs: 3_000 } });
    worker.start();
    await worker.tick();
    await eventually(() => sender.started() === 2, 5_000);

    const t0 = Date.now();
    const report = await worker.stop();
    expect(Date.now() - t0).toBeLessThan(2_500);
    expect(report).toEqual({ drained: false, abandoned: 0, errors: [] });
    // The two aborted sends are left `sending` (ambiguous); the four never tried are queued again.
    expect(await messageStatuses(db.pool, c.id)).toEqual({ sending: 2, queued: 4 });
    expect(sender.started()).toBe(2);
  });

  it('a send that ignores its abort does not hold stop() past the overall deadline; it is reported, its lease covers it', async () => {
    await db.pool.query(`UPDATE campaigns SET status = 'paused'`);
    await seedCampaign(db.pool, { recipients: 1, scheduleAt: new Date(Date.now() - 1_000) });
    const sender = hangingSender(false);
    const worker = testWorker(db.pool, sender, { options: { drainMs: 200, stopTimeoutMs: 800 } });
    worker.start();
    await worker.tick();
    await eventually(() => sender.started() === 1, 5_000);

    const t0 = Date.now();
    const report = await worker.stop();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(750);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(report).toMatchObject({ drained: false, abandoned: 1 });
    // Idempotent: the same report, at once.
    expect(await worker.stop()).toBe(report);
  });

  it('with nothing running, stop() is drained at once', async () => {
    const worker = testWorker(db.pool, hangingSender(true));
    worker.start();
    expect(await worker.stop()).toEqual({ drained: true, abandoned: 0, errors: [] });
  });
});
