import { sleep } from '../lib/sleep.ts';

/** Time as the dispatcher sees it; tests inject their own to control "now". */
export interface Clock {
  now(): Date;
  /** Resolves after `ms`, or rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export { sleep };

export const systemClock: Clock = {
  now: () => new Date(),
  sleep,
};

/** A clock whose "now" is fixed or moved by hand while waits stay real (short in tests). */
export function manualClock(start: Date): Clock & { set(d: Date): void; advance(ms: number): void } {
  let t = start.getTime();
  return {
    now: () => new Date(t),
    sleep,
    set(d) {
      t = d.getTime();
    },
    advance(ms) {
      t += ms;
    },
  };
}
