/**
 * How many claimed messages a worker may hold for a campaign (sending, or
 * waiting for a concurrency slot): two rounds of its concurrency, or what it
 * sends in `holdMs` at its current pace, whichever is more. Two rounds keep a
 * slow provider busy; the time-based part keeps a fast one busy while the
 * next claim and line assignment are on their way. Either way a held message
 * goes out within a fraction of a second, so an opt-out or a pause arriving
 * meanwhile comes late by no more than that.
 */
export interface HoldPolicy {
  /** A send of the campaign finished (whatever its outcome). */
  noteDone(campaignId: number): void;
  limit(campaignId: number, concurrency: number): number;
}

export function createHoldPolicy(holdMs: number, now: () => number = Date.now): HoldPolicy {
  // Per campaign: sends finished in the current window, and the rate (per ms) of the last one.
  const pace = new Map<number, { since: number; done: number; perMs: number }>();
  const WINDOW_MS = 250;
  return {
    noteDone(id) {
      const t = now();
      const p = pace.get(id);
      if (!p) {
        pace.set(id, { since: t, done: 1, perMs: 0 });
        return;
      }
      p.done++;
      if (t - p.since >= WINDOW_MS) {
        p.perMs = p.done / (t - p.since);
        p.since = t;
        p.done = 0;
      }
    },
    limit(id, concurrency) {
      const p = pace.get(id);
      return Math.max(2 * concurrency, p ? Math.ceil(p.perMs * holdMs) : 0);
    },
  };
}
