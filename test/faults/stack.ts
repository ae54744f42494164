import { afterAll, beforeAll, expect } from 'vitest';
import { startSimulator, type SimulatorHandle, type SimulatorOptions } from '../../src/simulator/index.ts';
import { messageStatuses } from '../dispatch/fixtures.ts';
import { spawnCli, type CliProcess } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { seededPrng } from '../helpers/prng.ts';
import { expectExactlyOnce } from '../helpers/sends.ts';

/** What a fault file runs against: its own database and a simulated provider. Set in beforeAll. */
export interface FaultStack {
  db: TestDatabase;
  sim: SimulatorHandle;
  /** What a `bluecast` process needs to reach both. */
  env(): Record<string, string>;
}

/**
 * Registers the file's beforeAll/afterAll: a database of its own (pool of 4)
 * and a simulator that answers at once, every number on iMessage, no replies,
 * seeded by `label` so a failure replays; `sim` adds the fault under test.
 */
export function useFaultStack(label: string, sim: SimulatorOptions = {}): FaultStack {
  const rnd = seededPrng(label);
  const stack = {} as FaultStack;
  stack.env = () => ({ DATABASE_URL: stack.db.url, CONTIGUITY_BASE_URL: stack.sim.url, CONTIGUITY_API_KEY: stack.sim.apiKey });
  beforeAll(async () => {
    stack.db = await createTestDatabase({ poolSize: 4 });
    stack.sim = await startSimulator({ pacing: false, imessageRatio: 1, replyRatio: 0, seed: rnd.seed, ...sim });
  });
  afterAll(() => stack.sim?.stop());
  return stack;
}

/**
 * A `bluecast run` worker (poll 100 ms) named `workerId` through `body`; then
 * it must still be alive and stop cleanly on SIGTERM (exit 0). It is killed
 * whatever happens, so no child outlives the test.
 */
export async function withWorker(stack: FaultStack, workerId: string, body: (worker: CliProcess) => Promise<void>): Promise<void> {
  const worker = spawnCli(['run', '--poll-ms', '100'], { ...stack.env(), WORKER_ID: workerId });
  try {
    await body(worker);
    expect(worker.child.exitCode, worker.stderr()).toBeNull();
    worker.child.kill('SIGTERM');
    expect(await worker.exit, worker.stderr()).toBe(0);
  } finally {
    worker.child.kill('SIGKILL');
  }
}

/** The end state a fault must not spoil: every message recorded sent, each recipient sent exactly one. */
export async function expectAllSentOnce(stack: FaultStack, campaignId: number, phones: string[]): Promise<void> {
  expect(await messageStatuses(stack.db.pool, campaignId)).toEqual({ sent: phones.length });
  expectExactlyOnce(stack.sim, phones);
}
