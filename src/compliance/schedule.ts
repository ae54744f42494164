import { civil, civilDateAt, zonedInstant, type CivilDate } from '../lib/zoned.ts';

/** Allowed local times on one day, [startMinute, endMinute) pairs, sorted; null = the whole day. */
export type DayIntervals = readonly (readonly [number, number])[] | null;

/** One constraint on local time, e.g. a state's hours or a holiday calendar. */
export type Layer = (date: CivilDate, zone: string) => DayIntervals;

const DAY_MS = 86_400_000;
/** Schedules are compiled a week at a time, on UTC week boundaries from the epoch. */
export const CHUNK_MS = 7 * DAY_MS;
/** The furthest nextAllowed looks: past it, "never". */
export const HORIZON_MS = 400 * DAY_MS;
/** Compiled weeks kept per schedule; a long-running process moves forward through time. */
const MAX_CHUNKS = 16;

/** Sorted, disjoint [start, end) UTC ms pairs, flattened: [s0, e0, s1, e1, ...]. */
type Intervals = number[];

function intersect(a: Intervals, b: Intervals): Intervals {
  const out: Intervals = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const s = Math.max(a[i]!, b[j]!);
    const e = Math.min(a[i + 1]!, b[j + 1]!);
    if (s < e) out.push(s, e);
    if (a[i + 1]! < b[j + 1]!) i += 2;
    else j += 2;
  }
  return out;
}

function intersectDay(a: DayIntervals, b: DayIntervals): DayIntervals {
  if (a === null) return b;
  if (b === null) return a;
  const out: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const s = Math.max(a[i]![0], b[j]![0]);
    const e = Math.min(a[i]![1], b[j]![1]);
    if (s < e) out.push([s, e]);
    if (a[i]![1] < b[j]![1]) i++;
    else j++;
  }
  return out;
}

/**
 * The instants allowed by every layer in every zone, compiled lazily into UTC
 * intervals a week at a time and cached, so that "may it go at T" is a binary
 * search and "when next" a scan of a few intervals. The zones are all those a
 * recipient may be in: a message is allowed only when it is allowed in each.
 */
export class Schedule {
  private readonly chunks = new Map<number, Intervals>();

  constructor(
    private readonly layers: readonly Layer[],
    private readonly zones: readonly string[],
  ) {}

  private zoneIntervals(zone: string, from: number, to: number): Intervals {
    const out: Intervals = [];
    // Local dates overlapping [from, to): from the day before (zones west of
    // UTC) to the day after (east).
    const first = civilDateAt(from - DAY_MS, zone);
    for (let k = 0; ; k++) {
      const date = civil(first.y, first.m, first.d + k);
      let day: DayIntervals = null;
      for (const layer of this.layers) {
        day = intersectDay(day, layer(date, zone));
        if (day !== null && day.length === 0) break;
      }
      const dayStart = zonedInstant(date, 0, zone);
      if (dayStart >= to) break;
      for (const [s, e] of day ?? [[0, 1440] as const]) {
        const us = s === 0 ? dayStart : zonedInstant(date, s, zone);
        const ue = zonedInstant(date, e, zone);
        if (ue <= us) continue;
        // Adjacent days join (an allowed 24:00 meets the next day's 00:00).
        if (out.length > 0 && out[out.length - 1]! >= us) out[out.length - 1] = Math.max(out[out.length - 1]!, ue);
        else out.push(us, ue);
      }
    }
    return intersect(out, [from, to]);
  }

  private chunk(index: number): Intervals {
    let hit = this.chunks.get(index);
    if (!hit) {
      const from = index * CHUNK_MS;
      const to = from + CHUNK_MS;
      hit = [from, to];
      for (const zone of this.zones) {
        hit = intersect(hit, this.zoneIntervals(zone, from, to));
        if (hit.length === 0) break;
      }
      if (this.chunks.size >= MAX_CHUNKS) this.chunks.clear();
      this.chunks.set(index, hit);
    }
    return hit;
  }

  /** Index of the first interval whose end is after `ms` (in pairs), or -1. */
  private static firstEndingAfter(iv: Intervals, ms: number): number {
    let lo = 0;
    let hi = iv.length / 2;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (iv[mid * 2 + 1]! <= ms) lo = mid + 1;
      else hi = mid;
    }
    return lo < iv.length / 2 ? lo : -1;
  }

  isAllowed(ms: number): boolean {
    const iv = this.chunk(Math.floor(ms / CHUNK_MS));
    const i = Schedule.firstEndingAfter(iv, ms);
    return i >= 0 && iv[i * 2]! <= ms;
  }

  /** The first allowed instant at or after `ms`, or null within the horizon. */
  nextAllowed(ms: number, horizonMs = HORIZON_MS): number | null {
    const last = Math.floor((ms + horizonMs) / CHUNK_MS);
    for (let c = Math.floor(ms / CHUNK_MS); c <= last; c++) {
      const iv = this.chunk(c);
      const i = Schedule.firstEndingAfter(iv, ms);
      if (i >= 0) {
        const at = Math.max(ms, iv[i * 2]!);
        return at <= ms + horizonMs ? at : null;
      }
    }
    return null;
  }
}
