import { describe, expect, it } from 'vitest';
import { createWriteBatcher, type PendingWrite } from '../../src/lib/write-batcher.ts';

/** A writer whose writes finish when the test says so. */
function controlledWriter(maxBatch: number, maxInFlight: number) {
  const writes: { batch: number[]; finish(): void; fail(err: Error): void }[] = [];
  let inFlight = 0;
  let peak = 0;
  const batcher = createWriteBatcher<number, number>({
    maxBatch,
    maxInFlight,
    write: (batch: PendingWrite<number, number>[]) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      return new Promise<void>((resolve, reject) => {
        writes.push({
          batch: batch.map((b) => b.item),
          finish: () => {
            inFlight--;
            for (const b of batch) b.resolve(b.item * 10);
            resolve();
          },
          fail: (err) => {
            inFlight--;
            reject(err);
          },
        });
      });
    },
  });
  return { batcher, writes, peak: () => peak };
}

const turn = () => new Promise<void>((r) => setImmediate(r));

describe('write batcher', () => {
  it('writes the items of one turn as one batch and settles each with its own result', async () => {
    const { batcher, writes } = controlledWriter(100, 1);
    const results = [1, 2, 3].map((n) => batcher.add(n));
    await turn();
    expect(writes.map((w) => w.batch)).toEqual([[1, 2, 3]]);
    writes[0]!.finish();
    expect(await Promise.all(results)).toEqual([10, 20, 30]);
  });

  it('gathers what arrives while the writes in flight are busy into the next write', async () => {
    const { batcher, writes, peak } = controlledWriter(100, 1);
    const first = batcher.add(1);
    await turn();
    const later = [2, 3, 4].map((n) => batcher.add(n));
    await turn();
    expect(writes).toHaveLength(1);
    writes[0]!.finish();
    await first;
    // The finished write's bookkeeping, then the next turn's flush.
    await turn();
    await turn();
    expect(writes.map((w) => w.batch)).toEqual([[1], [2, 3, 4]]);
    writes[1]!.finish();
    expect(await Promise.all(later)).toEqual([20, 30, 40]);
    expect(peak()).toBe(1);
  });

  it('splits at maxBatch and keeps at most maxInFlight writes going', async () => {
    const { batcher, writes, peak } = controlledWriter(2, 2);
    const all = [1, 2, 3, 4, 5].map((n) => batcher.add(n));
    await turn();
    expect(writes.map((w) => w.batch)).toEqual([[1, 2], [3, 4]]);
    writes[0]!.finish();
    await turn();
    await turn();
    expect(writes.map((w) => w.batch)).toEqual([[1, 2], [3, 4], [5]]);
    writes[1]!.finish();
    writes[2]!.finish();
    expect(await Promise.all(all)).toEqual([10, 20, 30, 40, 50]);
    expect(peak()).toBe(2);
  });

  it('fails every item of a write that rejects, and goes on with the next', async () => {
    const { batcher, writes } = controlledWriter(100, 1);
    const a = batcher.add(1);
    const b = batcher.add(2);
    await turn();
    writes[0]!.fail(new Error('connection lost'));
    await expect(a).rejects.toThrow('connection lost');
    await expect(b).rejects.toThrow('connection lost');
    const c = batcher.add(3);
    await turn();
    writes[1]!.finish();
    expect(await c).toBe(30);
  });

  it('is idle only when nothing is queued or in flight', async () => {
    const { batcher, writes } = controlledWriter(100, 1);
    void batcher.add(1);
    let idle = false;
    const waiting = batcher.idle().then(() => (idle = true));
    await turn();
    await turn();
    expect(idle).toBe(false);
    writes[0]!.finish();
    await waiting;
    expect(idle).toBe(true);
  });
});
