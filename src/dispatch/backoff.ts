import { exponentialDelay } from '../lib/backoff.ts';

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 2_000, maxMs: 5 * 60_000 };

/**
 * Delay before attempt `attempt + 1`: exponential with full jitter, never less
 * than what the provider asked for (Retry-After).
 */
export function retryDelayMs(attempt: number, policy: BackoffPolicy, retryAfterMs?: number, random: () => number = Math.random): number {
  return Math.max(exponentialDelay(attempt - 1, policy, 'equal', random), retryAfterMs ?? 0);
}
