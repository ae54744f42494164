import pLimit from 'p-limit';
import type pg from 'pg';
import { takeLineToken } from '../db/sql/lines.ts';
import type { Clock } from './clock.ts';

/**
 * Per-line token buckets. `take` takes a token and returns 0, or returns how
 * many ms until one is due. Rate and burst belong to the line (from the
 * campaign), never to a worker or a concurrency slot, so limits do not
 * multiply with concurrency.
 */
export interface Pacer {
  take(line: string, ratePerSecond: number, burst: number): Promise<number>;
}

/**
 * Buckets in the database (sender_lines): every worker on the database paces a
 * line together. In this process, one take per line is in flight at a time
 * (the others queue here, in order) and a few in all: concurrent takes of one
 * line would only wait on the bucket's row lock inside PostgreSQL, each
 * holding a pool connection that claims and result writes need.
 */
export function createSharedPacer(pool: pg.Pool, maxConcurrentTakes = 4): Pacer {
  const limit = pLimit(maxConcurrentTakes);
  const tails = new Map<string, Promise<unknown>>();
  const takeOnce = async (line: string, ratePerSecond: number, burst: number) => {
    for (;;) {
      const wait = await takeLineToken(pool, { line, ratePerSecond, burst });
      if (wait >= 0) return wait;
    }
  };
  return {
    take(line, ratePerSecond, burst) {
      const run = (tails.get(line) ?? Promise.resolve()).then(() => limit(() => takeOnce(line, ratePerSecond, burst)));
      const tail = run.catch(() => undefined);
      tails.set(line, tail);
      void tail.then(() => {
        if (tails.get(line) === tail) tails.delete(line);
      });
      return run;
    },
  };
}

/** Buckets in this process: right when a single worker sends on the lines. */
export function createLocalPacer(clock: Clock): Pacer {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    async take(line, ratePerSecond, burst) {
      const now = clock.now().getTime();
      const b = buckets.get(line) ?? { tokens: burst, at: now };
      const avail = Math.min(burst, b.tokens + (ratePerSecond * Math.max(0, now - b.at)) / 1000);
      if (avail >= 1) {
        buckets.set(line, { tokens: avail - 1, at: now });
        return 0;
      }
      buckets.set(line, { tokens: avail, at: now });
      return Math.ceil(((1 - avail) / ratePerSecond) * 1000);
    },
  };
}

/**
 * Wait for a token on `line`, up to `maxWaitMs` in all. Returns 0 once a token
 * is taken, or the remaining wait when it would be longer than allowed (the
 * caller gives the message back rather than sit on its lease).
 * `marginAfterWaitMs` delays a send whose token had to be waited for (never
 * one from a full bucket): the provider's bucket for the line runs behind ours
 * by the latency of the request that last found it full, so a token just due
 * in ours may not be due in the provider's yet (429).
 */
export async function acquireToken(
  pacer: Pacer,
  clock: Clock,
  p: { line: string; ratePerSecond: number; burst: number; maxWaitMs: number; signal?: AbortSignal; marginAfterWaitMs?: number },
): Promise<number> {
  let waited = 0;
  for (;;) {
    const wait = await pacer.take(p.line, p.ratePerSecond, p.burst);
    if (wait === 0) {
      if (waited > 0 && p.marginAfterWaitMs) await clock.sleep(p.marginAfterWaitMs, p.signal);
      return 0;
    }
    if (waited + wait > p.maxWaitMs) return wait;
    await clock.sleep(wait, p.signal);
    waited += wait;
  }
}
