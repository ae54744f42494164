import type { Queryable } from '../db/sql/queryable.ts';
import { lineNewContactLoad } from '../db/sql/lines.ts';
import { planRecipientGroups } from '../db/sql/plan-recipients.ts';
import { createTimezoneResolver } from '../dispatch/timezone.ts';
import { simulate, type Forecast, type PlanCampaign, type RecipientGroup } from './forecast.ts';

export interface Plan {
  campaign: { id: number; name: string; status: string };
  now: string;
  forecast: Forecast;
  groups: number;
}

/** The campaign's settings the planner reads, by id. */
async function planCampaign(db: Queryable, id: number): Promise<(PlanCampaign & { status: string }) | undefined> {
  const { rows } = await db.query<{
    id: number; name: string; status: string; timezone: string; window_start_minute: number | null; window_end_minute: number | null;
    sender_lines: string[]; rate_per_line: number; new_contacts_per_hour: number; new_contacts_per_day: number;
  }>(
    `SELECT id, name, status::text AS status, timezone, window_start_minute, window_end_minute, sender_lines,
            rate_per_line, new_contacts_per_hour, new_contacts_per_day FROM campaigns WHERE id = $1`,
    [id],
  );
  const c = rows[0];
  if (!c) return undefined;
  return {
    id: c.id,
    name: c.name,
    status: c.status,
    timezone: c.timezone,
    window: { startMinute: c.window_start_minute, endMinute: c.window_end_minute },
    senderLines: c.sender_lines,
    ratePerLine: c.rate_per_line,
    newContactsPerHour: c.new_contacts_per_hour,
    newContactsPerDay: c.new_contacts_per_day,
  };
}

/**
 * The launch plan of a campaign: its recipients counted by zone and sticky
 * line in SQL, the zones resolved as the dispatcher resolves them, the pool's
 * current new-contact load (the dispatcher's own query: other campaigns'
 * reservations on the same lines included), then simulated (forecast.ts).
 */
export async function buildPlan(db: Queryable, campaignId: number, now: Date): Promise<Plan | undefined> {
  const campaign = await planCampaign(db, campaignId);
  if (!campaign) return undefined;
  const [rows, loads] = await Promise.all([
    planRecipientGroups(db, campaignId),
    campaign.senderLines.length > 0 ? lineNewContactLoad(db, { lines: campaign.senderLines, now }) : Promise.resolve([]),
  ]);
  const zones = createTimezoneResolver();
  const merged = new Map<string, RecipientGroup>();
  for (const r of rows) {
    const zone = await zones.zoneFor(r.sample_phone, r.timezone, campaign.timezone);
    const key = `${zone}\u0000${r.sticky_line ?? ''}`;
    const g = merged.get(key) ?? { zone, stickyLine: r.sticky_line, count: 0 };
    g.count += Number(r.n);
    merged.set(key, g);
  }
  const groups = [...merged.values()];
  const forecast = simulate(
    campaign,
    groups,
    loads.map((l) => ({ line: l.line, lastHour: Number(l.last_hour), lastDay: Number(l.last_day) })),
    now,
  );
  return { campaign: { id: campaign.id, name: campaign.name, status: campaign.status }, now: now.toISOString(), forecast, groups: groups.length };
}

/** The plan as lines of text for a terminal. */
export function formatPlan(p: Plan): string {
  const f = p.forecast;
  const out = [
    `Plan for campaign ${p.campaign.name} (${p.campaign.status}) as of ${p.now}`,
    `  recipients to send: ${f.total}`,
    `  first send:  ${f.firstSend ?? '-'}`,
    `  last send:   ${f.lastSend ?? '-'}`,
    `  finish:      ${f.finish ?? (f.unscheduled > 0 ? `not within the horizon (${f.unscheduled} unscheduled)` : '-')}`,
    `  waiting past 1 day: ${f.waitingPast.days1}, 3 days: ${f.waitingPast.days3}, 7 days: ${f.waitingPast.days7}`,
    '  sends per day:',
    ...f.perDay.map((d) => `    ${d.day}  ${d.sends}`),
  ];
  return out.join('\n');
}
