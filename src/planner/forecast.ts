import { isMinuteInWindow, localMinuteOfDay, type SendWindow } from '../dispatch/window.ts';

/**
 * What the planner needs of a campaign. The compliance fields (#19) are
 * optional so the planner works before their columns exist; the lead wires
 * them at merge.
 */
export interface PlanCampaign {
  id: number;
  name: string;
  timezone: string;
  window: SendWindow;
  senderLines: string[];
  ratePerLine: number;
  newContactsPerHour: number;
  newContactsPerDay: number;
  sendBy?: Date | null;
  transactional?: boolean;
  recentContactHours?: number | null;
  onCap?: 'wait' | 'skip';
}

/** Recipients counted together: same zone, same sticky line (null: a new contact). */
export interface RecipientGroup {
  zone: string;
  stickyLine: string | null;
  count: number;
}

/** A line's state at the start: new contacts it took on (or reserved) in the last hour and day, and other campaigns' queued new contacts on it. */
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
  /** When the last send is due to be over (end of its step). */
  finish: string | null;
  waitingPast: { days1: number; days3: number; days7: number };
  /** Not sendable within the horizon (e.g. a window that never opens). */
  unscheduled: number;
  stepMinutes: number;
}

export const STEP_MS = 15 * 60_000;
const HOUR_STEPS = 4;
const DAY_STEPS = 96;

/**
 * The dispatcher's rules, by counts: time moves in 15-minute steps; in each
 * step a group may send when the campaign window is open in its zone
 * (dispatch/window.ts, the dispatcher's own check); a new contact takes a
 * pool line under both rolling caps (per hour, per day, as assignLines
 * counts them) and a sticky contact keeps its line; every send takes a token
 * of its line's rate (ratePerLine per second). Capacity within a step goes to
 * the open groups in proportion to what they have left, as the claim takes
 * due rows without regard to zone.
 */
export function simulate(
  campaign: PlanCampaign,
  groups: RecipientGroup[],
  lines: LineStart[],
  now: Date,
  opts: { horizonDays?: number } = {},
): Forecast {
  const horizonSteps = (opts.horizonDays ?? 400) * DAY_STEPS;
  const start = Math.ceil(now.getTime() / 60_000) * 60_000;
  const pool = campaign.senderLines;
  const rateCap = Math.max(0, Math.floor(campaign.ratePerLine * (STEP_MS / 1000)));
  // Rolling new-contact history per line, one slot per step: a ring of an
  // hour and one of a day (a slot leaves the window when it comes round again).
  const hourRing = new Map(pool.map((l) => [l, new Array<number>(HOUR_STEPS).fill(0)]));
  const dayRing = new Map(pool.map((l) => [l, new Array<number>(DAY_STEPS).fill(0)]));
  const hourLoad = new Map<string, number>();
  const dayLoad = new Map<string, number>();
  for (const l of pool) {
    const s = lines.find((x) => x.line === l);
    // Earlier load is placed in the slot just before now (it leaves the hour
    // and the day as late as it can): a conservative reading.
    const h = s?.lastHour ?? 0;
    const d = Math.max(h, s?.lastDay ?? 0);
    hourRing.get(l)![HOUR_STEPS - 1] = h;
    dayRing.get(l)![DAY_STEPS - 1] = d;
    hourLoad.set(l, h);
    dayLoad.set(l, d);
  }
  const left = groups.map((g) => g.count);
  let remaining = left.reduce((a, b) => a + b, 0);
  const total = remaining;
  const hours = new Map<string, number>();
  const days = new Map<string, number>();
  const dayFmt = new Intl.DateTimeFormat('en-CA', { timeZone: campaign.timezone, year: 'numeric', month: '2-digit', day: '2-digit' });
  let first: number | null = null;
  let last: number | null = null;
  const past = { days1: 0, days3: 0, days7: 0 };
  const zoneOpen = new Map<string, boolean>();
  const offsets = new Map<string, number>();

  for (let step = 0; step < horizonSteps && remaining > 0; step++) {
    const t = start + step * STEP_MS;
    const hSlot = step % HOUR_STEPS;
    const dSlot = step % DAY_STEPS;
    // Slide the rolling windows: what left the hour and the day.
    for (const l of pool) {
      const hr = hourRing.get(l)!;
      const dr = dayRing.get(l)!;
      hourLoad.set(l, hourLoad.get(l)! - hr[hSlot]!);
      dayLoad.set(l, dayLoad.get(l)! - dr[dSlot]!);
      hr[hSlot] = 0;
      dr[dSlot] = 0;
    }
    zoneOpen.clear();
    // A zone's UTC offset is read (Intl) once an hour and local minutes are
    // computed from it: offsets change on the hour or half hour, and Intl
    // calls per zone per step were most of the plan's time.
    if (step % HOUR_STEPS === 0) offsets.clear();
    const utcMinute = (t / 60_000) % 1440;
    const open = (zone: string) => {
      let o = zoneOpen.get(zone);
      if (o === undefined) {
        let off = offsets.get(zone);
        if (off === undefined) offsets.set(zone, (off = localMinuteOfDay(new Date(t), zone) - utcMinute));
        zoneOpen.set(zone, (o = isMinuteInWindow((((utcMinute + off) % 1440) + 1440) % 1440, campaign.window)));
      }
      return o;
    };
    const tokens = new Map(pool.map((l) => [l, rateCap]));
    let sent = 0;
    // Sticky contacts first: each on its own line, rate only.
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (left[i] === 0 || g.stickyLine === null || !open(g.zone)) continue;
      const have = tokens.get(g.stickyLine) ?? rateCap;
      const n = Math.min(left[i]!, have);
      tokens.set(g.stickyLine, have - n);
      left[i]! -= n;
      sent += n;
    }
    // New contacts: the pool's room under both caps and the rate.
    let room = 0;
    const roomOf = new Map<string, number>();
    for (const l of pool) {
      const r = Math.max(0, Math.min(campaign.newContactsPerHour - hourLoad.get(l)!, campaign.newContactsPerDay - dayLoad.get(l)!, tokens.get(l)!));
      roomOf.set(l, r);
      room += r;
    }
    const openNew: number[] = [];
    let want = 0;
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (left[i]! > 0 && g.stickyLine === null && open(g.zone)) {
        openNew.push(i);
        want += left[i]!;
      }
    }
    let taken = 0;
    if (pool.length === 0) {
      // The provider picks the line: no caps of ours apply.
      for (const i of openNew) {
        taken += left[i]!;
        left[i] = 0;
      }
    } else if (room > 0 && want > 0) {
      const give = Math.min(room, want);
      // Largest-remainder split of `give` over the open groups.
      const shares = openNew.map((i) => ({ i, exact: (give * left[i]!) / want }));
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
      // Record the load on lines, least-loaded first as assignLines does.
      let toPlace = taken;
      const order = [...pool].sort((a, b) => hourLoad.get(a)! - hourLoad.get(b)!);
      for (const l of order) {
        if (toPlace === 0) break;
        const n = Math.min(roomOf.get(l)!, toPlace);
        toPlace -= n;
        hourRing.get(l)![hSlot]! += n;
        dayRing.get(l)![dSlot]! += n;
        hourLoad.set(l, hourLoad.get(l)! + n);
        dayLoad.set(l, dayLoad.get(l)! + n);
      }
    }
    sent += taken;
    if (sent > 0) {
      remaining -= sent;
      first ??= t;
      last = t;
      const hour = new Date(t - (t % 3_600_000)).toISOString();
      hours.set(hour, (hours.get(hour) ?? 0) + sent);
      const day = dayFmt.format(new Date(t));
      days.set(day, (days.get(day) ?? 0) + sent);
      const waited = t - now.getTime();
      if (waited > 86_400_000) past.days1 += sent;
      if (waited > 3 * 86_400_000) past.days3 += sent;
      if (waited > 7 * 86_400_000) past.days7 += sent;
    }
  }
  past.days1 += remaining;
  past.days3 += remaining;
  past.days7 += remaining;
  return {
    total,
    perHour: [...hours].map(([hour, sends]) => ({ hour, sends })),
    perDay: [...days].map(([day, sends]) => ({ day, sends })),
    firstSend: first === null ? null : new Date(first).toISOString(),
    lastSend: last === null ? null : new Date(last).toISOString(),
    finish: last === null || remaining > 0 ? null : new Date(last + STEP_MS).toISOString(),
    waitingPast: past,
    unscheduled: remaining,
    stepMinutes: STEP_MS / 60_000,
  };
}
