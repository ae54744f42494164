import { createWriteBatcher } from '../lib/write-batcher.ts';
import type { SentResult, WorkerContext } from './worker-types.ts';

/**
 * Confirmed sends are recorded group-commit style (lib/write-batcher): while a
 * write is in flight, the confirmations arriving meanwhile gather, and the
 * next write takes all of them, so the statement count per message shrinks
 * when the database is the bottleneck. Only sends the provider confirmed ever
 * enter the buffer, each with its own row, and each message's task still
 * waits for its own row to be written.
 */
export function createSentWriter(ctx: Pick<WorkerContext, 'store' | 'workerId' | 'clock'>): (result: SentResult) => Promise<void> {
  const batcher = createWriteBatcher<SentResult, void>({
    maxBatch: 1_000,
    maxInFlight: 2,
    write: async (batch) => {
      await ctx.store.markSent({ workerId: ctx.workerId, now: ctx.clock.now(), results: batch.map((b) => b.item) });
      for (const b of batch) b.resolve();
    },
  });
  return (result) => batcher.add(result);
}
