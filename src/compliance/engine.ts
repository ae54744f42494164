import { holidaysOf } from './holidays.ts';
import type { Location } from './location.ts';
import { Schedule, type DayIntervals, type Layer } from './schedule.ts';
import { WEEKDAYS, type HolidaysRule, type HoursRule, type RulesTable } from './schema.ts';
import { civilDateAt } from '../lib/zoned.ts';
import { isValidTimeZone } from '../campaigns/timezone.ts';

/** What a campaign says about when and how often it may reach a person. */
export interface CampaignRules {
  /** Its own daily window in the recipient's local time, [start, end) minutes; start > end spans midnight; null = any time. */
  window: { startMinute: number | null; endMinute: number | null } | null;
  /** Not marketing: only the rules marked "all" (the federal hours) and the campaign's own limits apply. */
  transactional: boolean;
  /** The campaign's zone, for recipients whose zone is unknown. */
  zone: string;
  /** Skip (or delay) people messaged, by any campaign, within this many hours. */
  recentContactHours?: number | null;
  /** A capped message waits for its cap to free up, or is skipped. */
  onCap: 'wait' | 'skip';
}

export interface RecentSend {
  at: Date;
  /** Sent by a transactional campaign: counts only towards caps marked "all" and recent-contact. */
  transactional?: boolean;
}

export interface ReasonBase {
  /** The rule's id from the table, or "campaign.window" / "campaign.recent-contact" / "campaign.send-by". */
  rule: string;
  /** "US-FL", "US", "deployment" or "campaign". */
  jurisdiction: string;
  /** When this rule alone stops blocking; null: not within the look-ahead (a year), or never. */
  until: Date | null;
}

export type Reason =
  | (ReasonBase & { kind: 'hours' | 'campaign-window'; zone: string })
  | (ReasonBase & { kind: 'holiday'; zone: string; holiday: string })
  | (ReasonBase & { kind: 'cap'; max: number; windowHours: number; count: number })
  | (ReasonBase & { kind: 'send-by' })
  /** The rules together leave no allowed time within the look-ahead (e.g. a night-time campaign window in Florida). */
  | (ReasonBase & { kind: 'no-allowed-time' });

export type Decision =
  | { verdict: 'send' }
  | { verdict: 'wait'; until: Date; reasons: Reason[] }
  /** Capped with onCap "skip", or no allowed time within a year (reasons say which). */
  | { verdict: 'skip'; reasons: Reason[] }
  /** Past the send-by deadline, or not allowed again before it. */
  | { verdict: 'expired'; reasons: Reason[] };

interface PolicyLayer {
  rule: string;
  jurisdiction: string;
  kind: 'hours' | 'holiday' | 'campaign-window';
  layer: Layer;
  /** For a holiday layer: the holiday's name on a date, if it is one. */
  holidayName?: (iso: string, y: number) => string | undefined;
  /** The layer alone in all zones, and in each zone, compiled on first need (to say which rule blocks, until when). */
  alone?: Schedule;
  perZone?: Map<string, Schedule>;
}

interface PolicyCap {
  rule: string;
  jurisdiction: string;
  max: number;
  windowHours: number;
  windowMs: number;
  /** Counts transactional sends too. */
  countsAll: boolean;
}

/**
 * Everything needed to decide for one kind of recipient (location × campaign
 * settings), compiled once and shared by every recipient of that kind: the
 * combined schedule of all hour and holiday rules in all zones, the single
 * layers for explaining a "no", and the caps.
 */
export class Policy {
  readonly schedule: Schedule;

  constructor(
    readonly jurisdictions: readonly string[],
    readonly zones: readonly string[],
    readonly layers: readonly PolicyLayer[],
    readonly caps: readonly PolicyCap[],
  ) {
    this.schedule = new Schedule(
      layers.map((l) => l.layer),
      zones,
    );
  }

  aloneSchedule(l: PolicyLayer): Schedule {
    l.alone ??= new Schedule([l.layer], this.zones);
    return l.alone;
  }

  zoneSchedule(l: PolicyLayer, zone: string): Schedule {
    l.perZone ??= new Map();
    let s = l.perZone.get(zone);
    if (!s) l.perZone.set(zone, (s = new Schedule([l.layer], [zone])));
    return s;
  }
}

function hoursLayer(rule: HoursRule): Layer {
  const byDay: DayIntervals[] = WEEKDAYS.map((d) => rule.allowed[d] ?? rule.allowed.daily ?? null);
  return (date) => byDay[date.weekday]!;
}

function holidayLayer(rule: HolidaysRule, types: readonly string[]): { layer: Layer; name: (iso: string, y: number) => string | undefined } {
  const name = (iso: string, y: number) => holidaysOf(rule.calendar, y, types as never).get(iso);
  return { layer: (date) => (name(date.iso, date.y) === undefined ? null : rule.allowed), name };
}

function windowLayer(w: NonNullable<CampaignRules['window']>): Layer | undefined {
  const { startMinute: s, endMinute: e } = w;
  if (s === null || e === null || s === e) return undefined;
  const day: DayIntervals = s < e ? [[s, e]] : [[0, e], [s, 1440]];
  return () => day;
}

const MS_H = 3_600_000;

/** The first instant at or after `t` when no cap blocks, given the sends. */
function capsFreeAt(caps: readonly PolicyCap[], t: number, recent: readonly RecentSend[]): number {
  let free = t;
  for (const cap of caps) {
    const u = capUntil(cap, t, recent);
    if (u !== null && u > free) free = u;
  }
  return free;
}

/** The times of the sends `cap` counts in its window ending at `t`. */
function counted(cap: PolicyCap, t: number, recent: readonly RecentSend[]): number[] {
  const times: number[] = [];
  for (const s of recent) {
    const at = s.at.getTime();
    if ((cap.countsAll || !s.transactional) && at > t - cap.windowMs && at <= t) times.push(at);
  }
  return times;
}

/** When `cap` stops blocking a send at `t`, or null when it does not block. */
function capUntil(cap: PolicyCap, t: number, recent: readonly RecentSend[]): number | null {
  if (recent.length < cap.max) return null;
  const times = counted(cap, t, recent);
  if (times.length < cap.max) return null;
  times.sort((a, b) => a - b);
  // Sends leave the window oldest first; once (count - max + 1) have left, one more fits.
  return times[times.length - cap.max]! + cap.windowMs;
}

/**
 * The send rules: which legal hours, holidays and caps apply to a recipient,
 * and "may this message go at T, and if not, when may it, and why". Pure: time
 * is passed in, the recipient's recent sends are passed in, nothing is read.
 * Policies are cached per (location, campaign settings), so evaluating many
 * recipients costs a map lookup, a binary search and a scan of their sends.
 */
export class SendRules {
  private readonly policies = new Map<string, Policy>();

  constructor(readonly table: RulesTable) {}

  /** The jurisdictions whose rules apply to `loc`: federal parents first, then the regions the table knows. */
  jurisdictionsFor(loc: Location): string[] {
    const known = loc.regions.filter((r) => this.table.jurisdictions[r]);
    const out = new Set<string>();
    if (loc.regions.length === 0) for (const j of this.table.fallbackJurisdictions) out.add(j);
    for (const r of loc.regions) {
      const country = r.split('-')[0]!;
      if (this.table.jurisdictions[country]) out.add(country);
    }
    for (const r of known) out.add(r);
    return [...out];
  }

  policy(loc: Location, campaign: CampaignRules): Policy {
    const zones = loc.zones.length > 0 ? loc.zones.filter(isValidTimeZone) : [campaign.zone];
    if (zones.length === 0) zones.push(campaign.zone);
    const jurisdictions = this.jurisdictionsFor(loc);
    const w = campaign.window;
    const key = [
      zones.join(','),
      jurisdictions.join(','),
      campaign.transactional ? 't' : 'm',
      w ? `${w.startMinute}-${w.endMinute}` : '-',
      campaign.recentContactHours ?? '-',
    ].join('|');
    let p = this.policies.get(key);
    if (!p) {
      p = this.compile(jurisdictions, zones, campaign);
      // Bounded: keys are few (zone sets × states × campaign settings), but a
      // long-running process sees many campaigns.
      if (this.policies.size >= 10_000) this.policies.clear();
      this.policies.set(key, p);
    }
    return p;
  }

  private compile(jurisdictions: string[], zones: string[], campaign: CampaignRules): Policy {
    const layers: PolicyLayer[] = [];
    const caps: PolicyCap[] = [];
    const applies = (appliesTo: 'marketing' | 'all') => appliesTo === 'all' || !campaign.transactional;
    for (const code of jurisdictions) {
      for (const rule of this.table.jurisdictions[code]!.rules) {
        if (!applies(rule.appliesTo)) continue;
        if (rule.kind === 'hours') layers.push({ rule: rule.id, jurisdiction: code, kind: 'hours', layer: hoursLayer(rule) });
        else if (rule.kind === 'holidays') {
          const h = holidayLayer(rule, rule.types ?? this.table.holidayTypes);
          layers.push({ rule: rule.id, jurisdiction: code, kind: 'holiday', layer: h.layer, holidayName: h.name });
        } else caps.push({ rule: rule.id, jurisdiction: code, max: rule.max, windowHours: rule.windowHours, windowMs: rule.windowHours * MS_H, countsAll: rule.appliesTo === 'all' });
      }
    }
    for (const cap of this.table.deployment.caps) {
      if (!applies(cap.appliesTo)) continue;
      caps.push({ rule: cap.id, jurisdiction: 'deployment', max: cap.max, windowHours: cap.windowHours, windowMs: cap.windowHours * MS_H, countsAll: cap.appliesTo === 'all' });
    }
    const wl = campaign.window ? windowLayer(campaign.window) : undefined;
    if (wl) layers.push({ rule: 'campaign.window', jurisdiction: 'campaign', kind: 'campaign-window', layer: wl });
    const rc = campaign.recentContactHours;
    if (rc) caps.push({ rule: 'campaign.recent-contact', jurisdiction: 'campaign', max: 1, windowHours: rc, windowMs: rc * MS_H, countsAll: true });
    return new Policy(jurisdictions, zones, layers, caps);
  }

  /** The earliest instant at or after `t` when the schedule allows and no cap blocks; null within the horizon. */
  nextAllowed(policy: Policy, t: number, recent: readonly RecentSend[] = []): number | null {
    let at = t;
    // Caps depend only on past sends, so once past their releases they stay free: two rounds suffice, a few guard.
    for (let i = 0; i < 8; i++) {
      const free = capsFreeAt(policy.caps, at, recent);
      const open = policy.schedule.nextAllowed(free);
      if (open === null) return null;
      if (open === at) return at;
      at = open;
    }
    return at;
  }

  /** Why a message may not go at `t`: every rule that alone blocks it, with when it stops. */
  reasonsAt(policy: Policy, t: number, recent: readonly RecentSend[] = []): Reason[] {
    const reasons: Reason[] = [];
    for (const l of policy.layers) {
      const alone = policy.aloneSchedule(l);
      if (alone.isAllowed(t)) continue;
      // One reason per rule, naming the first zone where it blocks.
      const zones = policy.zones;
      const zone = zones.length === 1 ? zones[0]! : (zones.find((z) => !policy.zoneSchedule(l, z).isAllowed(t)) ?? zones[0]!);
      const next = alone.nextAllowed(t);
      const until = next === null ? null : new Date(next);
      if (l.kind === 'holiday') {
        // The holiday's name on the zone's date (its calendar is by local date).
        const local = civilDateAt(t, zone);
        reasons.push({ rule: l.rule, jurisdiction: l.jurisdiction, kind: 'holiday', zone, until, holiday: l.holidayName?.(local.iso, local.y) ?? 'holiday' });
      } else reasons.push({ rule: l.rule, jurisdiction: l.jurisdiction, kind: l.kind, zone, until });
    }
    for (const cap of policy.caps) {
      const u = capUntil(cap, t, recent);
      if (u === null) continue;
      reasons.push({ rule: cap.rule, jurisdiction: cap.jurisdiction, kind: 'cap', max: cap.max, windowHours: cap.windowHours, count: counted(cap, t, recent).length, until: new Date(u) });
    }
    return reasons;
  }

  /**
   * May a message go at `now`? If not: wait until when, or skip, or expired,
   * with the rules that decide. `sendBy`: never send at or after it.
   */
  evaluate(policy: Policy, now: Date, recent: readonly RecentSend[] = [], opts: { sendBy?: Date | null; onCap?: 'wait' | 'skip' } = {}): Decision {
    const t = now.getTime();
    const sendBy = opts.sendBy?.getTime();
    if (sendBy !== undefined && t >= sendBy) {
      return { verdict: 'expired', reasons: [{ rule: 'campaign.send-by', jurisdiction: 'campaign', kind: 'send-by', until: null }] };
    }
    // The fast path: allowed now and uncapped.
    if (policy.schedule.isAllowed(t) && capsFreeAt(policy.caps, t, recent) === t) return { verdict: 'send' };
    const reasons = this.reasonsAt(policy, t, recent);
    if (opts.onCap === 'skip' && reasons.some((r) => r.kind === 'cap')) return { verdict: 'skip', reasons };
    const next = this.nextAllowed(policy, t, recent);
    if (next === null) {
      const never: Reason = { rule: 'no-allowed-time', jurisdiction: 'campaign', kind: 'no-allowed-time', until: null };
      return { verdict: sendBy !== undefined ? 'expired' : 'skip', reasons: [...reasons, never] };
    }
    if (sendBy !== undefined && next >= sendBy) return { verdict: 'expired', reasons: [...reasons, sendByReason()] };
    return { verdict: 'wait', until: new Date(next), reasons };
  }

  /** One call for one recipient: compile (cached) and evaluate. */
  check(loc: Location, campaign: CampaignRules, now: Date, recent: readonly RecentSend[] = [], sendBy?: Date | null): Decision {
    return this.evaluate(this.policy(loc, campaign), now, recent, { sendBy, onCap: campaign.onCap });
  }
}

function sendByReason(): Reason {
  return { rule: 'campaign.send-by', jurisdiction: 'campaign', kind: 'send-by', until: null };
}
