import type { CampaignRules, Policy, SendRules } from '../compliance/engine.ts';
import { locate, type Location, type RecipientPlace } from '../compliance/location.ts';
import type { RulesTable } from '../compliance/schema.ts';
import type { Queryable } from '../db/sql/queryable.ts';
import { planRecipientGroups, recentRecipients } from '../db/sql/plan-recipients.ts';
import { createTimezoneResolver, type TimezoneResolver } from '../dispatch/timezone.ts';
import type { AllowedTimes, PlanCampaign, RecipientGroup } from './forecast.ts';

/** The table when legal windows are off (BLUECAST_LEGAL_WINDOWS=off): no jurisdictions, no caps; the campaign's own window and recent-contact rule still apply. */
/** The table with no legal rules: the campaign's own window only (the dispatcher's with legal windows off). */
export { WINDOW_ONLY_TABLE as NO_LEGAL_RULES } from '../compliance/window-only.ts';

// Passed as the campaign's zone to the resolver: it comes back when the number places no one.
const UNPLACED = '\u0000unknown';
const NEVER: AllowedTimes = { isAllowed: () => false, nextAllowed: () => null };

/** The campaign's settings as the engine reads them (as the dispatcher's legal-hold check passes them). */
export function campaignRules(c: PlanCampaign): CampaignRules {
  return { window: c.window, transactional: c.transactional ?? false, zone: c.timezone, recentContactHours: c.recentContactHours ?? null, onCap: c.onCap ?? 'wait' };
}

/** The longest span any cap looks back over (hours): older messages cannot hold anyone. */
export function longestCapHours(table: RulesTable, c: PlanCampaign): number {
  let h = c.recentContactHours ?? 0;
  for (const j of Object.values(table.jurisdictions)) for (const r of j.rules) if (r.kind === 'cap') h = Math.max(h, r.windowHours);
  for (const cap of table.deployment.caps) h = Math.max(h, cap.windowHours);
  return h;
}

/**
 * Where the rules see a recipient, as the dispatcher does at the claim: the
 * engine's location (CSV zone, state, ZIP, the number's area code), plus the
 * zone the dispatcher's own campaign-window check uses (dispatch/timezone.ts)
 * when the campaign has a window, so both checks are in the one policy.
 */
export async function placeRecipient(
  zones: TimezoneResolver,
  campaign: PlanCampaign,
  p: RecipientPlace,
): Promise<{ loc: Location; unplaced: boolean }> {
  const loc = locate(p);
  const resolved = await zones.zoneFor(p.phone, p.timezone ?? null, UNPLACED);
  const unplaced = resolved === UNPLACED && loc.zones.length === 0;
  const w = campaign.window;
  if (w.startMinute === null || w.endMinute === null || w.startMinute === w.endMinute) return { loc, unplaced };
  const windowZone = resolved === UNPLACED ? campaign.timezone : resolved;
  if (loc.zones.includes(windowZone) || (loc.zones.length === 0 && windowZone === campaign.timezone)) return { loc, unplaced };
  return { loc: { ...loc, zones: [...(loc.zones.length > 0 ? loc.zones : [campaign.timezone]), windowZone].sort() }, unplaced };
}

export interface PlannedRecipients {
  groups: RecipientGroup[];
  /** Recipients no zone column, state, ZIP or number places: the campaign's zone is used. */
  unknownZone: number;
  /** Recipients with no sticky line: the message is their first from us. */
  newContacts: number;
  /** Held back by a cap with on_cap "skip": the dispatcher skips them. */
  skipped: number;
  /** Recipients held past now by a per-person cap or the recent-contact rule. */
  capped: number;
}

function labelOf(policy: Policy): string {
  return `${policy.zones.join('+')} ${policy.jurisdictions.join('+') || '-'}`;
}

/**
 * The campaign's recipients as simulation groups: counted in SQL by what
 * places them and by sticky line, each kind compiled once into the engine's
 * policy (the same SendRules the dispatcher's claim uses), and merged by
 * policy. People messaged within the longest cap window come one by one: the
 * engine's caps (rules table and recent-contact) give each their first
 * allowed instant, or a skip.
 */
export async function planRecipients(db: Queryable, campaign: PlanCampaign, rules: SendRules, now: Date): Promise<PlannedRecipients> {
  const capHours = longestCapHours(rules.table, campaign);
  const since = new Date(now.getTime() - capHours * 3_600_000);
  const [rows, recent] = await Promise.all([
    planRecipientGroups(db, { campaignId: campaign.id, recentSince: since }),
    capHours > 0 ? recentRecipients(db, { campaignId: campaign.id, since }) : Promise.resolve([]),
  ]);
  const zones = createTimezoneResolver();
  const settings = campaignRules(campaign);
  const merged = new Map<string, RecipientGroup>();
  const ids = new Map<Policy, number>();
  const out: PlannedRecipients = { groups: [], unknownZone: 0, newContacts: 0, skipped: 0, capped: 0 };
  const add = (policy: Policy | null, stickyLine: string | null, n: number, notBefore?: number) => {
    let id = policy ? ids.get(policy) : -1;
    if (id === undefined) ids.set(policy!, (id = ids.size));
    const key = `${id}\u0000${stickyLine ?? ''}\u0000${notBefore ?? ''}`;
    let g = merged.get(key);
    if (!g) merged.set(key, (g = { allowed: policy ? policy.schedule : NEVER, stickyLine, count: 0, notBefore, label: policy ? labelOf(policy) : 'never allowed' }));
    g.count += n;
  };
  for (const r of rows) {
    const n = Number(r.n);
    const { loc, unplaced } = await placeRecipient(zones, campaign, { phone: r.sample_phone, state: r.state, zip: r.zip3 ? `${r.zip3}00` : null, timezone: r.timezone });
    if (unplaced) out.unknownZone += n;
    if (r.sticky_line === null) out.newContacts += n;
    add(rules.policy(loc, settings), r.sticky_line, n);
  }
  for (const r of recent) {
    const { loc, unplaced } = await placeRecipient(zones, campaign, { phone: r.phone, state: r.state, zip: r.zip, timezone: r.timezone });
    if (unplaced) out.unknownZone++;
    if (r.sticky_line === null) out.newContacts++;
    const policy = rules.policy(loc, settings);
    const sends = r.sent_at.map((at, i) => ({ at: new Date(at), transactional: r.transactional[i] ?? false }));
    const d = rules.evaluate(policy, now, sends, { onCap: settings.onCap, sendBy: null });
    if (d.verdict === 'skip' && d.reasons.some((x) => x.kind === 'cap')) {
      out.skipped++;
      continue;
    }
    const at = rules.nextAllowed(policy, now.getTime(), sends);
    if (at === null) add(null, r.sticky_line, 1);
    else {
      // Rounded up to the minute: recipients freed within the same minute share a group.
      const nb = Math.ceil(at / 60_000) * 60_000;
      if (d.verdict !== 'send' && d.reasons.some((x) => x.kind === 'cap')) out.capped++;
      add(policy, r.sticky_line, 1, nb);
    }
  }
  out.groups = [...merged.values()];
  return out;
}
