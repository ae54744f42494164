/**
 * Civil dates and wall-clock times in IANA zones, for compiling schedules.
 * These call Intl and are slow (microseconds); the engine calls them only
 * while compiling a week of a schedule, never per message.
 */

export interface CivilDate {
  y: number;
  m: number;
  d: number;
  /** 0 = Sunday. */
  weekday: number;
  /** "YYYY-MM-DD". */
  iso: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Wall clock of `ms` in `zone`, as if it were UTC (ms since epoch). */
function wallClock(ms: number, zone: string): number {
  const p: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(new Date(ms))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) + (ms % 1000 + 1000) % 1000;
}

/** The zone's UTC offset at `ms`, in ms (negative west of Greenwich). */
function offsetAt(ms: number, zone: string): number {
  return wallClock(ms, zone) - ms;
}

export function civil(y: number, m: number, d: number): CivilDate {
  const t = new Date(Date.UTC(y, m - 1, d));
  const iso = t.toISOString().slice(0, 10);
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate(), weekday: t.getUTCDay(), iso };
}

/** The civil date in `zone` at `ms`. */
export function civilDateAt(ms: number, zone: string): CivilDate {
  const w = new Date(wallClock(ms, zone));
  return civil(w.getUTCFullYear(), w.getUTCMonth() + 1, w.getUTCDate());
}

/**
 * The instant when `zone`'s clocks show `minute` minutes after midnight of
 * `date` (1440 = the next midnight). A time skipped by a spring-forward change
 * maps to the same distance past the change (02:30 → 03:30), a repeated one to
 * its first occurrence: the behaviour of Temporal's "compatible" disambiguation.
 */
export function zonedInstant(date: CivilDate, minute: number, zone: string): number {
  // Schedules of different recipient kinds ask for the same few boundaries
  // (08:00, 20:00, midnight...) in the same few zones: computed once each.
  const key = `${zone}|${date.iso}|${minute}`;
  let hit = instants.get(key);
  if (hit === undefined) {
    hit = computeInstant(date, minute, zone);
    if (instants.size >= 100_000) instants.clear();
    instants.set(key, hit);
  }
  return hit;
}

const instants = new Map<string, number>();

function computeInstant(date: CivilDate, minute: number, zone: string): number {
  const asUtc = Date.UTC(date.y, date.m - 1, date.d, 0, minute);
  const off1 = offsetAt(asUtc, zone);
  const t1 = asUtc - off1;
  const off2 = offsetAt(t1, zone);
  if (off2 === off1) return t1;
  const t2 = asUtc - off2;
  const shows = (t: number) => t + offsetAt(t, zone) === asUtc;
  const ok1 = shows(t1);
  const ok2 = shows(t2);
  if (ok1 && ok2) return Math.min(t1, t2);
  if (ok1) return t1;
  if (ok2) return t2;
  // Neither: a skipped time, placed with the offset before the change.
  return Math.max(t1, t2);
}
