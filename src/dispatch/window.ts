/**
 * The send window: minutes after local midnight in the recipient's zone,
 * [start, end). start > end spans midnight (e.g. 22:00–06:00); null bounds mean
 * any time.
 */
export interface SendWindow {
  startMinute: number | null;
  endMinute: number | null;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(zone, f);
  }
  return f;
}

/** True when `zone` is an IANA time zone this runtime knows. */
export function isValidTimeZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** Local time of day in `zone`, in (fractional) minutes after midnight. */
export function localMinuteOfDay(at: Date, zone: string): number {
  let h = 0;
  let m = 0;
  let s = 0;
  for (const part of formatter(zone).formatToParts(at)) {
    if (part.type === 'hour') h = Number(part.value);
    else if (part.type === 'minute') m = Number(part.value);
    else if (part.type === 'second') s = Number(part.value);
  }
  return h * 60 + m + (s + at.getUTCMilliseconds() / 1000) / 60;
}

export function isInWindow(at: Date, zone: string, w: SendWindow): boolean {
  if (w.startMinute === null || w.endMinute === null || w.startMinute === w.endMinute) return true;
  return isMinuteInWindow(localMinuteOfDay(at, zone), w);
}

/** The window test on a local minute of the day (the planner computes local minutes from a cached UTC offset). */
export function isMinuteInWindow(m: number, w: SendWindow): boolean {
  if (w.startMinute === null || w.endMinute === null || w.startMinute === w.endMinute) return true;
  return w.startMinute < w.endMinute ? m >= w.startMinute && m < w.endMinute : m >= w.startMinute || m < w.endMinute;
}

/**
 * The next instant at or after `at` when the window opens in `zone`. Walks
 * forward by the local-time distance, then corrects once for a UTC offset
 * change (DST) on the way.
 */
export function nextWindowOpening(at: Date, zone: string, w: SendWindow): Date {
  if (isInWindow(at, zone, w) || w.startMinute === null) return at;
  const start = w.startMinute;
  const now = localMinuteOfDay(at, zone);
  let delta = start - now;
  if (delta <= 0) delta += 1440;
  let candidate = new Date(at.getTime() + delta * 60_000);
  const drift = start - localMinuteOfDay(candidate, zone);
  // A DST change between now and then shifts local time by the offset change.
  const wrapped = ((drift + 720) % 1440 + 1440) % 1440 - 720;
  if (Math.abs(wrapped) > 1e-6) candidate = new Date(candidate.getTime() + wrapped * 60_000);
  return new Date(Math.ceil(candidate.getTime() / 1000) * 1000);
}
