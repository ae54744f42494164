import { SendRules, type CampaignRules } from './engine.ts';
import { locate } from './location.ts';
import type { RulesTable } from './schema.ts';

/**
 * A table with no jurisdictions and no caps: the engine then applies only a
 * campaign's own window, in every zone the recipient may be in (an area code
 * spanning zones must be inside the window in each). What the dispatcher
 * uses with BLUECAST_LEGAL_WINDOWS=off, and what the enqueue uses for a
 * message's first attempt (the law is checked at the claim, where its holds
 * get their reasons).
 */
export const WINDOW_ONLY_TABLE: RulesTable = {
  version: 'campaign-window-only',
  holidayTypes: ['public'],
  fallbackJurisdictions: [],
  jurisdictions: {},
  deployment: { caps: [] },
};

let windowOnly: SendRules | undefined;
export function windowOnlyRules(): SendRules {
  windowOnly ??= new SendRules(WINDOW_ONLY_TABLE);
  return windowOnly;
}

/**
 * The first instant at or after `now` when the campaign's window is open for
 * this recipient in every zone they may be in (the number's area code, or
 * their own zone); `now` when no window, or when it never opens within the
 * engine's look-ahead (the claim then holds it, with the reason).
 */
export function windowOpening(
  recipient: { phone: string; timezone?: string | null; state?: string | null; zip?: string | null },
  campaign: Pick<CampaignRules, 'window' | 'zone'>,
  now: Date,
): Date {
  const w = campaign.window;
  if (!w || w.startMinute === null || w.endMinute === null || w.startMinute === w.endMinute) return now;
  const rules = windowOnlyRules();
  const policy = rules.policy(locate(recipient), { window: w, zone: campaign.zone, transactional: false, onCap: 'wait' });
  const next = rules.nextAllowed(policy, now.getTime());
  return next === null ? now : new Date(next);
}
