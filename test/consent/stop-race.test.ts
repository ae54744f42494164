import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { testWorker } from '../dispatch/fixtures.ts';
import { runStopRace, STOP_RACE_TIMEOUT_MS } from './stop-race.ts';

describe('consent: nothing leaves after a STOP is acknowledged', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ poolSize: 12 });
  });
  afterAll(() => undefined);

  it('one line at 1 msg/s, STOP from every recipient not yet sent: no send after its 2xx, the rest skipped', async () => {
    const r = await runStopRace(db.pool, (sender) => testWorker(db.pool, sender, { options: { tickSchedule: false } }));
    expect(r.stops).toBeGreaterThan(25);
    // A message handed to the provider before the STOP was processed is the only exception, and it is flagged.
    expect(r.late.filter((l) => !l.onWire), 'sends after the acknowledgement').toEqual([]);
    expect(r.late.length).toBeLessThanOrEqual(1);
    // Every other person who sent STOP is skipped, but one whose send reached the provider before the STOP's 2xx.
    expect(r.unaccounted.filter((u) => !u.onWire), 'STOPped, not skipped, not sent before the acknowledgement').toEqual([]);
    expect(r.skipped).toBeGreaterThanOrEqual(r.stops - r.late.length - r.sentBeforeAck);
  }, STOP_RACE_TIMEOUT_MS);
});
