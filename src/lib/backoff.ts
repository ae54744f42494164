/** Bounds of an exponential backoff: the first delay and the cap. */
export interface ExponentialBounds {
  baseMs: number;
  maxMs: number;
}

/**
 * The one exponential backoff: min(cap, base·2^step), then jittered.
 * - none: the delay itself (a loop backing off from a database that is away);
 * - equal: uniform in [delay/2, delay] (message retries: spread, never much sooner);
 * - full: uniform in [0, delay) (HTTP retries: spreads synchronized clients apart).
 * The step is clamped, so a large attempt count cannot overflow into Infinity or NaN.
 */
export function exponentialDelay(step: number, bounds: ExponentialBounds, jitter: 'none' | 'equal' | 'full' = 'none', random: () => number = Math.random): number {
  const ceiling = Math.min(bounds.maxMs, bounds.baseMs * 2 ** Math.min(Math.max(0, step), 30));
  if (jitter === 'full') return Math.floor(random() * ceiling);
  if (jitter === 'equal') return Math.round(ceiling / 2 + random() * (ceiling / 2));
  return ceiling;
}
