import { providerTime } from './events.ts';

/** What a history entry must carry to be matched with a message we sent. */
export interface SentEntry {
  to: string;
  from: string;
  message: string;
  timestamp: number;
}

/**
 * The one history matcher (the crash reconciler and the delivery reconciler):
 * the entry of a thread's history that is our message. History answers carry
 * no message id, so text, thread and time are all there is: the same body, to
 * `to` and from `from` when given, sent at `since` or later when given (our
 * claim time less the clock skew), and of those the one closest to `near`
 * when given, else the newest-first history's first. Times are the provider's
 * (providerTime: unix seconds, or milliseconds), never raw numbers.
 */
export function matchSentEntry<E extends SentEntry>(
  conversation: readonly E[],
  m: { body: string; to?: string; from?: string | null; since?: Date; near?: Date },
): E | null {
  let best: E | null = null;
  let bestGap = Infinity;
  for (const e of conversation) {
    if (e.message !== m.body) continue;
    if (m.to !== undefined && e.to !== m.to) continue;
    if (m.from && e.from !== m.from) continue;
    const at = providerTime(e.timestamp).getTime();
    if (m.since && at < m.since.getTime()) continue;
    if (!m.near) return e;
    const gap = Math.abs(at - m.near.getTime());
    if (gap < bestGap) {
      best = e;
      bestGap = gap;
    }
  }
  return best;
}
