import type { Reason, SendRules } from '../compliance/engine.ts';
import { explainRecipients } from '../db/sql/plan-recipients.ts';
import type { Queryable } from '../db/sql/queryable.ts';
import { createTimezoneResolver } from '../dispatch/timezone.ts';
import type { PlanCampaign } from './forecast.ts';
import { campaignRules, longestCapHours, placeRecipient } from './groups.ts';

export interface PhoneExplanation {
  phone: string;
  /** not-a-recipient: the phone is not on the campaign's list. */
  verdict: 'send' | 'wait' | 'skip' | 'expired' | 'opted-out' | 'not-a-recipient';
  /** The earliest instant the rules allow a send (now when "send"); null: not within the engine's look-ahead, or never. */
  earliest: string | null;
  /** Every rule that holds it at now, with when it alone stops holding. */
  reasons: Reason[];
  /** Where the rules see the person: zones and jurisdictions. */
  zones: readonly string[];
  jurisdictions: readonly string[];
  /** A new contact also waits for a pool line under the new-contact caps (the forecast's per-hour sends). */
  newContact: boolean;
}

/**
 * `--explain PHONE…`: per phone, the engine's decision at `now` for that
 * recipient (the same policy and caps as the forecast and the dispatcher's
 * claim), the earliest allowed time and the rules that decide it.
 */
export async function explainPhones(db: Queryable, campaign: PlanCampaign, rules: SendRules, now: Date, phones: string[]): Promise<PhoneExplanation[]> {
  const since = new Date(now.getTime() - longestCapHours(rules.table, campaign) * 3_600_000);
  const rows = new Map((await explainRecipients(db, { campaignId: campaign.id, phones, since })).map((r) => [r.phone, r]));
  const zones = createTimezoneResolver();
  const settings = campaignRules(campaign);
  const out: PhoneExplanation[] = [];
  for (const phone of phones) {
    const r = rows.get(phone);
    if (!r) {
      out.push({ phone, verdict: 'not-a-recipient', earliest: null, reasons: [], zones: [], jurisdictions: [], newContact: false });
      continue;
    }
    const { loc } = await placeRecipient(zones, campaign, { phone, state: r.state, zip: r.zip, timezone: r.timezone });
    const policy = rules.policy(loc, settings);
    const base = { phone, zones: policy.zones, jurisdictions: policy.jurisdictions, newContact: r.sticky_line === null };
    if (r.opted_out) {
      out.push({ ...base, verdict: 'opted-out', earliest: null, reasons: [] });
      continue;
    }
    const sends = (r.sent_at ?? []).map((at, i) => ({ at: new Date(at), transactional: r.transactional?.[i] ?? false }));
    const d = rules.evaluate(policy, now, sends, { sendBy: campaign.sendBy, onCap: settings.onCap });
    if (d.verdict === 'send') out.push({ ...base, verdict: 'send', earliest: now.toISOString(), reasons: [] });
    else if (d.verdict === 'wait') out.push({ ...base, verdict: 'wait', earliest: d.until.toISOString(), reasons: d.reasons });
    else out.push({ ...base, verdict: d.verdict, earliest: null, reasons: d.reasons });
  }
  return out;
}

/** One explanation as terminal lines. */
export function formatExplanation(e: PhoneExplanation): string[] {
  const head = `  ${e.phone}: ${e.verdict}${e.earliest ? ` — earliest ${e.earliest}` : ''}${e.zones.length ? ` (${e.zones.join(', ')}; ${e.jurisdictions.join(', ') || 'no jurisdiction'})` : ''}`;
  const lines = [head, ...e.reasons.map((r) => `    ${r.rule} (${r.jurisdiction})${r.until ? ` until ${r.until.toISOString()}` : ''}`)];
  if (e.newContact && (e.verdict === 'send' || e.verdict === 'wait')) lines.push('    new contact: also waits for a pool line under the new-contact caps (see the forecast)');
  return lines;
}
