import { describe, expect, it } from 'vitest';
import { createPollLoop } from '../../src/lib/poll-loop.ts';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('poll loop', () => {
  it('runs a round at once, then one per interval; wake() ends a wait early', async () => {
    let rounds = 0;
    const loop = createPollLoop({ round: async () => void rounds++, intervalMs: 10_000, onError: () => undefined });
    loop.start();
    await tick(20);
    expect(rounds).toBe(1);
    loop.wake();
    await tick(20);
    expect(rounds).toBe(2);
    await loop.stop();
  });

  it('a wake during a round makes the next wait end at once', async () => {
    let rounds = 0;
    let loop: ReturnType<typeof createPollLoop>;
    loop = createPollLoop({
      round: async () => {
        rounds++;
        if (rounds === 1) loop.wake();
      },
      intervalMs: 10_000,
      onError: () => undefined,
    });
    loop.start();
    await tick(30);
    expect(rounds).toBe(2);
    await loop.stop();
  });

  it('a failed round waits what onError returns, with the failures in a row counted', async () => {
    const seen: number[] = [];
    let rounds = 0;
    const loop = createPollLoop({
      round: async () => {
        rounds++;
        throw new Error('database away');
      },
      intervalMs: 10_000,
      onError: (_err, failures) => {
        seen.push(failures);
        return 5;
      },
    });
    loop.start();
    await tick(60);
    await loop.stop();
    expect(rounds).toBeGreaterThanOrEqual(3);
    expect(seen.slice(0, 3)).toEqual([1, 2, 3]);
  });

  it('stop() calls onStop, waits for the round in progress and starts no other; start() after stop() does nothing', async () => {
    let rounds = 0;
    let finished = false;
    const order: string[] = [];
    const loop = createPollLoop({
      round: async () => {
        rounds++;
        await tick(30);
        finished = true;
      },
      intervalMs: 0,
      onError: () => undefined,
      onStop: () => order.push('onStop'),
    });
    loop.start();
    await tick(5);
    await loop.stop();
    order.push('stopped');
    expect(finished).toBe(true);
    expect(order).toEqual(['onStop', 'stopped']);
    loop.start();
    await tick(20);
    expect(rounds).toBe(1);
  });

  it('delayFirst waits an interval before the first round', async () => {
    let rounds = 0;
    const loop = createPollLoop({ round: async () => void rounds++, intervalMs: 40, onError: () => undefined, delayFirst: true });
    loop.start();
    await tick(10);
    expect(rounds).toBe(0);
    await tick(60);
    expect(rounds).toBeGreaterThanOrEqual(1);
    await loop.stop();
  });
});
