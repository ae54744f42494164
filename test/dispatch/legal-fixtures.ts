import { afterAll, beforeAll } from 'vitest';
import { SendRules } from '../../src/compliance/engine.ts';
import { loadRulesTable } from '../../src/compliance/table.ts';
import type { Clock } from '../../src/dispatch/clock.ts';
import { createLegalHoldCheck, type LegalHoldCheck } from '../../src/dispatch/legal-hold.ts';
import type { Worker } from '../../src/dispatch/worker.ts';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { providerClient, testWorker } from './fixtures.ts';

/** The real dispatcher under the shipped send rules, on a clock the test moves. `db` and `sim` are set in beforeAll. */
export interface LegalDispatch {
  db: TestDatabase;
  sim: SimulatorHandle;
  /** The legal check with the shipped rules table (what the service runs by default). */
  readonly legalHold: LegalHoldCheck;
  /** A dispatcher on `clock` sending to the simulator, held by `legalHold` unless told otherwise. */
  worker(clock: Clock, o?: Omit<NonNullable<Parameters<typeof testWorker>[2]>, 'clock'>): Worker;
}

/**
 * Registers the describe block's beforeAll/afterAll: a database of its own
 * (pool of `poolSize`) and a simulator (pacing off, every number on
 * iMessage, seeded) for the legal-window, cap and send-by tests.
 */
export function useLegalDispatch(o: { poolSize: number; seed: number }): LegalDispatch {
  const legal = {
    legalHold: createLegalHoldCheck(new SendRules(loadRulesTable())),
    worker: (clock, w = {}) => testWorker(legal.db.pool, providerClient(legal.sim), { legalHold: legal.legalHold, ...w, clock }),
  } as LegalDispatch;
  beforeAll(async () => {
    legal.db = await createTestDatabase({ poolSize: o.poolSize });
    legal.sim = await startSimulator({ pacing: false, imessageRatio: 1, seed: o.seed });
  });
  afterAll(() => legal.sim?.stop());
  return legal;
}
