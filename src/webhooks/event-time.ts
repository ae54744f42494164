import { providerTime } from '../provider/events.ts';

/**
 * How far ahead of our clock a provider timestamp may be and still be taken as
 * the time of the event (clock skew between two well-run hosts is seconds).
 */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;

// Before this (2001-09-09) a timestamp is a placeholder or garbage, not a real event.
const EARLIEST_MS = 1e12;

/**
 * The time an event counts as having happened, which orders consent (a STOP
 * and a START of one person) and dates replies and delivery states: the
 * provider's timestamp, unless it cannot be right — not a date at all
 * (`9e15`), before 2001, or in the future beyond the skew — and then the time
 * bluecast received the event. A STOP dated ten years ahead would otherwise
 * win over every later START, and an event with an impossible date would fail
 * on every try.
 */
export function effectiveEventTime(providerTimestamp: number, receivedAt: Date, skewMs = MAX_FUTURE_SKEW_MS): Date {
  const t = providerTime(providerTimestamp).getTime();
  if (!Number.isFinite(t) || t < EARLIEST_MS || t > receivedAt.getTime() + skewMs) return receivedAt;
  return new Date(t);
}
