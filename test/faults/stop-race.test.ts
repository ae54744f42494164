import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_WORKER_OPTIONS } from '../../src/dispatch/worker.ts';
import { testWorker } from '../dispatch/fixtures.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { runStopRace, STOP_RACE_TIMEOUT_MS } from '../consent/stop-race.ts';

/**
 * The STOP-during-send race with everything at its defaults: the campaign's
 * pacing, burst and jitter, and the worker's own options (lease, pacing wait,
 * hold, claim sizes, scheduler ticks).
 */
describe('faults: STOP from every unsent recipient while a campaign is sending', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 16 });
  });

  it('at the default pacing, burst and jitter: nothing reaches the provider after a STOP is acknowledged', async () => {
    const r = await runStopRace(db.pool, (sender) => testWorker(db.pool, sender, { workerId: 'race', options: { ...DEFAULT_WORKER_OPTIONS } }), 60);
    expect(r.stops).toBeGreaterThan(40);
    expect(r.late.filter((l) => !l.onWire), 'sends after the acknowledgement').toEqual([]);
    expect(r.late.length).toBeLessThanOrEqual(1);
    // Every other person who sent STOP is skipped, but one whose send reached the provider before the STOP's 2xx.
    expect(r.unaccounted.filter((u) => !u.onWire), 'STOPped, not skipped, not sent before the acknowledgement').toEqual([]);
    expect(r.skipped).toBeGreaterThanOrEqual(r.stops - r.late.length - r.sentBeforeAck);
  }, STOP_RACE_TIMEOUT_MS);
});
