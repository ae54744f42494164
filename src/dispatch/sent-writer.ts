import type { SentResult, WorkerContext } from './worker-types.ts';

const MAX_WRITES = 2;
const MAX_BATCH = 1_000;

/**
 * Confirmed sends are recorded in batches, group-commit style: while a write
 * is in flight, the confirmations arriving meanwhile gather, and the next
 * write takes all of them. Batches so grow with the database's latency and
 * the statement count per message shrinks when it matters. Only sends the
 * provider confirmed ever enter the buffer, each with its own row, and each
 * message's task still waits for its own row to be written.
 */
export function createSentWriter(ctx: Pick<WorkerContext, 'store' | 'workerId' | 'clock'>): (result: SentResult) => Promise<void> {
  let buffer: { result: SentResult; done: (err?: unknown) => void }[] = [];
  let writes = 0;
  let queued = false;

  function queueFlush(): void {
    if (queued || writes >= MAX_WRITES || buffer.length === 0) return;
    queued = true;
    // The rest of this turn's confirmations join the batch.
    setImmediate(flush);
  }
  function flush(): void {
    queued = false;
    if (writes >= MAX_WRITES || buffer.length === 0) return;
    const batch = buffer.length <= MAX_BATCH ? buffer : buffer.slice(0, MAX_BATCH);
    buffer = batch === buffer ? [] : buffer.slice(MAX_BATCH);
    writes++;
    ctx.store
      .markSent({ workerId: ctx.workerId, now: ctx.clock.now(), results: batch.map((b) => b.result) })
      .then(
        () => batch.forEach((b) => b.done()),
        (err: unknown) => batch.forEach((b) => b.done(err)),
      )
      .finally(() => {
        writes--;
        queueFlush();
      });
  }
  return (result) =>
    new Promise((resolve, reject) => {
      buffer.push({ result, done: (err) => (err ? reject(err) : resolve()) });
      queueFlush();
    });
}
