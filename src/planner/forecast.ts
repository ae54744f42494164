/**
 * What the planner needs of a campaign: its pool, pacing and caps, and the
 * rules settings the engine reads (window, transactional, send-by, recent
 * contact, on-cap) when plan.ts compiles the recipients' policies.
 */
export interface PlanCampaign {
  id: number;
  name: string;
  timezone: string;
  window: { startMinute: number | null; endMinute: number | null };
  senderLines: string[];
  ratePerLine: number;
  newContactsPerHour: number;
  newContactsPerDay: number;
  sendBy?: Date | null;
  transactional?: boolean;
  recentContactHours?: number | null;
  onCap?: 'wait' | 'skip';
}

/** When a group may send: the engine's compiled schedule (compliance/schedule.ts) of its recipients' policy. */
export interface AllowedTimes {
  isAllowed(ms: number): boolean;
  /** The first allowed instant at or after `ms`, or null within the engine's horizon. */
  nextAllowed(ms: number): number | null;
}

/**
 * Recipients counted together: the same policy (zone set, jurisdictions, the
 * campaign's settings, so the same allowed times), the same sticky line (null:
 * a new contact, under the pool's caps) and the same first allowed instant
 * (later than now when a per-person cap or the recent-contact rule holds them).
 */
export interface RecipientGroup {
  allowed: AllowedTimes;
  stickyLine: string | null;
  count: number;
  notBefore?: number;
  /** For display: the zones and jurisdictions of the policy. */
  label?: string;
}

/** A line's state at the start: new contacts it took on (or reserved, other campaigns' queued first contacts included) in the last hour and day. */
export interface LineStart {
  line: string;
  lastHour: number;
  lastDay: number;
}

export interface Forecast {
  total: number;
  perHour: { hour: string; sends: number }[];
  perDay: { day: string; sends: number }[];
  firstSend: string | null;
  lastSend: string | null;
  /** When the last send is due to be over (its batch at the lines' rate). */
  finish: string | null;
  waitingPast: { days1: number; days3: number; days7: number };
  /** Not sendable within the horizon (e.g. no allowed time at all). */
  unscheduled: number;
  /** Not sent before the campaign's send-by deadline: the dispatcher expires them. */
  expired: number;
  /** Events the simulation stepped through (it jumps over closed and capped spans). */
  events: number;
}

/** Longest span one event covers while sends are bound by the lines' rate. */
export const STEP_MS = 15 * 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

interface Batch {
  at: number;
  hour: number;
  day: number;
}

/** One line's new contacts as batches in time order, with what is still inside the rolling hour and day. */
class LineLoad {
  readonly batches: Batch[] = [];
  private h = 0;
  private d = 0;
  hour = 0;
  day = 0;

  add(b: Batch): void {
    this.batches.push(b);
    this.hour += b.hour;
    this.day += b.day;
  }

  /** Drop from the counts what left the hour and the day by `t` (as the rolling windows of lineNewContactLoad do). */
  slide(t: number): void {
    const b = this.batches;
    while (this.h < b.length && b[this.h]!.at + HOUR_MS <= t) this.hour -= b[this.h++]!.hour;
    while (this.d < b.length && b[this.d]!.at + DAY_MS <= t) this.day -= b[this.d++]!.day;
  }

  /** The next instant after `t` when load leaves the hour or the day, or Infinity. */
  nextRelease(t: number): number {
    let next = Infinity;
    const b = this.batches;
    for (let i = this.h; i < b.length; i++) {
      if (b[i]!.hour > 0) {
        next = Math.min(next, b[i]!.at + HOUR_MS);
        break;
      }
    }
    for (let i = this.d; i < b.length; i++) {
      if (b[i]!.day > 0) {
        next = Math.min(next, b[i]!.at + DAY_MS);
        break;
      }
    }
    return next > t ? next : Infinity;
  }
}

/**
 * Share `give` sends among the open groups `open` in proportion to what each
 * has left (`want` in all), whole sends by largest remainder: the claim takes
 * due rows without regard to zone. Takes them off `left`; returns how many.
 */
function splitLargestRemainder(give: number, want: number, open: number[], left: number[]): number {
  if (give <= 0) return 0;
  let taken = 0;
  const shares = open.map((i) => ({ i, exact: (give * left[i]!) / want }));
  for (const s of shares) {
    const n = Math.floor(s.exact);
    left[s.i]! -= n;
    taken += n;
  }
  shares.sort((a, b) => (b.exact % 1) - (a.exact % 1));
  for (const s of shares) {
    if (taken >= give) break;
    if (left[s.i]! > 0) {
      left[s.i]!--;
      taken++;
    }
  }
  return taken;
}

/**
 * The dispatcher's rules, by counts, event by event. At each event time a
 * group may send when the engine allows its recipients (legal hours and
 * holidays in all their zones, the campaign window) and its notBefore has
 * passed; a new contact takes a pool line under both rolling caps (per hour,
 * per day, as assignLines counts them), least-loaded first; a sticky contact
 * keeps its line; every send takes a token of its line's rate. Capacity goes
 * to the open groups in proportion to what they have left, as the claim takes
 * due rows without regard to zone. Between events nothing can change, so time
 * jumps to the next one: a group's next allowed instant, load leaving a
 * line's hour or day, or (while the rate binds) the end of a rate-bound span.
 */
export function simulate(
  campaign: PlanCampaign,
  groups: RecipientGroup[],
  lines: LineStart[],
  now: Date,
  opts: { horizonDays?: number } = {},
): Forecast {
  const start = Math.ceil(now.getTime() / 60_000) * 60_000;
  const sendBy = campaign.sendBy ? campaign.sendBy.getTime() : Infinity;
  const end = Math.min(start + (opts.horizonDays ?? 400) * DAY_MS, sendBy);
  const pool = campaign.senderLines;
  const load = new Map(pool.map((l) => [l, new LineLoad()]));
  for (const l of pool) {
    const s = lines.find((x) => x.line === l);
    // Earlier load is placed at now (it leaves the hour and the day as late
    // as it can): a conservative reading of counts without their times.
    const h = s?.lastHour ?? 0;
    if (h > 0 || (s?.lastDay ?? 0) > 0) load.get(l)!.add({ at: start, hour: h, day: Math.max(h, s?.lastDay ?? 0) });
  }
  const left = groups.map((g) => g.count);
  let remaining = left.reduce((a, b) => a + b, 0);
  const total = remaining;
  const hours = new Map<string, number>();
  const days = new Map<string, number>();
  const dayFmt = new Intl.DateTimeFormat('en-CA', { timeZone: campaign.timezone, year: 'numeric', month: '2-digit', day: '2-digit' });
  let first: number | null = null;
  let last: number | null = null;
  let lastEnd = 0;
  const past = { days1: 0, days3: 0, days7: 0 };
  // A group's next allowed instant, kept while it lies ahead (null: never).
  const opensAt: (number | null | undefined)[] = groups.map(() => undefined);
  let events = 0;

  let t = start;
  while (remaining > 0 && t < end) {
    events++;
    for (const l of load.values()) l.slide(t);
    // Which groups are open now, and when the next closed one opens.
    const asked = new Map<AllowedTimes, number | null>();
    const open: boolean[] = [];
    let nextOpening = Infinity;
    for (let i = 0; i < groups.length; i++) {
      if (left[i] === 0) {
        open.push(false);
        continue;
      }
      let at = opensAt[i];
      if (at === undefined || (at !== null && at < t)) {
        const from = Math.max(t, groups[i]!.notBefore ?? t);
        // Groups of one policy (one per sticky line) share its schedule: asked once per event.
        const shared = from === t ? asked.get(groups[i]!.allowed) : undefined;
        at = shared !== undefined ? shared : groups[i]!.allowed.nextAllowed(from);
        if (from === t) asked.set(groups[i]!.allowed, at);
        opensAt[i] = at;
      }
      const isOpen = at === t;
      open.push(isOpen);
      if (!isOpen && at !== null) nextOpening = Math.min(nextOpening, at);
    }
    let nextRelease = Infinity;
    for (const l of load.values()) nextRelease = Math.min(nextRelease, l.nextRelease(t));
    const span = Math.min(STEP_MS, nextOpening - t, nextRelease - t, end - t);
    const rateCap = Math.max(1, Math.floor(campaign.ratePerLine * (span / 1000)));
    const tokens = new Map(pool.map((l) => [l, rateCap]));
    let sent = 0;
    let rateBound = false;
    // Sticky contacts first: each on its own line, rate only.
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (!open[i] || g.stickyLine === null) continue;
      const have = tokens.get(g.stickyLine) ?? rateCap;
      const n = Math.min(left[i]!, have);
      tokens.set(g.stickyLine, have - n);
      if (n < left[i]!) rateBound = true;
      left[i]! -= n;
      sent += n;
    }
    // New contacts: the pool's room under both caps and the rate.
    const openNew: number[] = [];
    let want = 0;
    for (let i = 0; i < groups.length; i++) {
      if (open[i] && groups[i]!.stickyLine === null) {
        openNew.push(i);
        want += left[i]!;
      }
    }
    let taken = 0;
    let poolSent = 0;
    if (want > 0 && pool.length === 0) {
      // The provider picks the line, and the dispatcher paces the campaign as
      // one line (send-one.ts: provider-pool:<campaign>), with no new-contact
      // caps of ours: the rate alone binds.
      const give = Math.min(rateCap, want);
      if (give < want) rateBound = true;
      taken = splitLargestRemainder(give, want, openNew, left);
      poolSent = taken;
    } else if (want > 0) {
      let room = 0;
      const roomOf = new Map<string, number>();
      for (const l of pool) {
        const ld = load.get(l)!;
        const capRoom = Math.max(0, Math.min(campaign.newContactsPerHour - ld.hour, campaign.newContactsPerDay - ld.day));
        const r = Math.min(capRoom, tokens.get(l)!);
        if (r < capRoom) rateBound = true;
        roomOf.set(l, r);
        room += r;
      }
      const give = Math.min(room, want);
      if (give > 0) {
        taken = splitLargestRemainder(give, want, openNew, left);
        // Record the load on lines: assignLines gives each new contact the
        // least-loaded line with room, so the batch levels the lines' loads.
        let toPlace = taken;
        const placed = new Map<string, number>();
        let open = pool.filter((l) => roomOf.get(l)! > 0).sort((a, b) => load.get(a)!.hour - load.get(b)!.hour);
        while (toPlace > 0 && open.length > 0) {
          const each = Math.max(1, Math.floor(toPlace / open.length));
          for (const l of open) {
            if (toPlace === 0) break;
            const n = Math.min(each, roomOf.get(l)! - (placed.get(l) ?? 0), toPlace);
            placed.set(l, (placed.get(l) ?? 0) + n);
            toPlace -= n;
          }
          open = open.filter((l) => (placed.get(l) ?? 0) < roomOf.get(l)!);
        }
        for (const [l, n] of placed) {
          if (n === 0) continue;
          load.get(l)!.add({ at: t, hour: n, day: n });
          tokens.set(l, tokens.get(l)! - n);
        }
      }
    }
    sent += taken;
    if (sent > 0) {
      remaining -= sent;
      first ??= t;
      last = t;
      // The batch takes its time at the lines' rate: the busiest line's share.
      let busiest = poolSent;
      for (const v of tokens.values()) busiest = Math.max(busiest, rateCap - v);
      lastEnd = t + Math.max(1000, Math.ceil((busiest / Math.max(campaign.ratePerLine, 1e-9)) * 1000));
      const hour = new Date(t - (t % HOUR_MS)).toISOString();
      hours.set(hour, (hours.get(hour) ?? 0) + sent);
      const day = dayFmt.format(new Date(t));
      days.set(day, (days.get(day) ?? 0) + sent);
      const waited = t - now.getTime();
      if (waited > DAY_MS) past.days1 += sent;
      if (waited > 3 * DAY_MS) past.days3 += sent;
      if (waited > 7 * DAY_MS) past.days7 += sent;
    }
    if (remaining === 0) break;
    // The next event: the end of this span while the rate binds, else the
    // next opening or release (recomputed: this event's batches release later).
    let next = rateBound ? t + span : nextOpening;
    if (!rateBound) for (const l of load.values()) next = Math.min(next, l.nextRelease(t));
    if (!Number.isFinite(next)) break;
    t = next;
  }
  const unsent = remaining;
  const expired = Number.isFinite(sendBy) && t >= sendBy ? unsent : 0;
  past.days1 += unsent;
  past.days3 += unsent;
  past.days7 += unsent;
  return {
    total,
    perHour: [...hours].map(([hour, sends]) => ({ hour, sends })),
    perDay: [...days].map(([day, sends]) => ({ day, sends })),
    firstSend: first === null ? null : new Date(first).toISOString(),
    lastSend: last === null ? null : new Date(last).toISOString(),
    finish: last === null || unsent > 0 ? null : new Date(lastEnd).toISOString(),
    waitingPast: past,
    unscheduled: unsent - expired,
    expired,
    events,
  };
}
