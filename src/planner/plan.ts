import type { Queryable } from '../db/sql/queryable.ts';
import { lineNewContactLoad } from '../db/sql/lines.ts';
import { planRecipientGroups, recentlyContacted, sampleRecipients } from '../db/sql/plan-recipients.ts';
import { estimateSegments, type SegmentEstimate } from './cost.ts';
import { runChecks, type PlanCheck } from './checks.ts';
import { createTimezoneResolver } from '../dispatch/timezone.ts';
import { simulate, type Forecast, type PlanCampaign, type RecipientGroup } from './forecast.ts';

export interface Plan {
  campaign: { id: number; name: string; status: string };
  now: string;
  forecast: Forecast;
  groups: number;
  checks: PlanCheck[];
  segments: SegmentEstimate;
}

/** A hook for `bluecast doctor` (#14): problems of the campaign's lines (not leased, unhealthy). */
export type LineProblems = (lines: string[]) => Promise<string[]>;

// Passed as the campaign's zone to the resolver: it comes back when the number places no one.
const UNPLACED = '\u0000unknown';

/** The campaign's settings the planner reads, by id. */
async function planCampaign(db: Queryable, id: number): Promise<(PlanCampaign & { status: string; message: string; variants: string[]; attachments: string[] }) | undefined> {
  const { rows } = await db.query<{
    id: number; name: string; status: string; timezone: string; window_start_minute: number | null; window_end_minute: number | null;
    sender_lines: string[]; rate_per_line: number; message: string; variants: string[]; attachments: string[]; new_contacts_per_hour: number; new_contacts_per_day: number;
  }>(
    `SELECT id, name, status::text AS status, timezone, window_start_minute, window_end_minute, sender_lines,
            rate_per_line, new_contacts_per_hour, new_contacts_per_day, message, variants, attachments FROM campaigns WHERE id = $1`,
    [id],
  );
  const c = rows[0];
  if (!c) return undefined;
  return {
    id: c.id,
    name: c.name,
    status: c.status,
    message: c.message,
    variants: c.variants,
    attachments: c.attachments,
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
export async function buildPlan(db: Queryable, campaignId: number, now: Date, opts: { lineProblems?: LineProblems; recentHours?: number } = {}): Promise<Plan | undefined> {
  const campaign = await planCampaign(db, campaignId);
  if (!campaign) return undefined;
  const recentHours = opts.recentHours ?? campaign.recentContactHours ?? 24;
  const [rows, loads, recentContacts, lineProblems] = await Promise.all([
    planRecipientGroups(db, campaignId),
    campaign.senderLines.length > 0 ? lineNewContactLoad(db, { lines: campaign.senderLines, now }) : Promise.resolve([]),
    recentlyContacted(db, { campaignId, since: new Date(now.getTime() - recentHours * 3_600_000) }),
    opts.lineProblems ? opts.lineProblems(campaign.senderLines) : Promise.resolve([]),
  ]);
  const zones = createTimezoneResolver();
  const merged = new Map<string, RecipientGroup>();
  let unknownZone = 0;
  let newContacts = 0;
  for (const r of rows) {
    let zone = await zones.zoneFor(r.sample_phone, r.timezone, UNPLACED);
    if (zone === UNPLACED) {
      zone = campaign.timezone;
      unknownZone += Number(r.n);
    }
    if (r.sticky_line === null) newContacts += Number(r.n);
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
  const sample = await sampleRecipients(db, { campaignId, total: forecast.total, size: 2000 });
  const segments = estimateSegments(campaign, sample);
  const checks = runChecks({
    message: campaign.message,
    variants: campaign.variants,
    attachments: campaign.attachments,
    newContacts,
    total: forecast.total,
    unknownZone,
    campaignZone: campaign.timezone,
    finish: forecast.finish,
    unscheduled: forecast.unscheduled,
    sendBy: campaign.sendBy,
    recentContacts,
    recentHours,
    lineProblems,
  });
  return { campaign: { id: campaign.id, name: campaign.name, status: campaign.status }, now: now.toISOString(), forecast, groups: groups.length, checks, segments };
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
    `  SMS segments per recipient (if sent as SMS): ${p.segments.segmentsPerRecipient.toFixed(2)} (max ${p.segments.maxSegments}; ${p.segments.ucs2} of ${p.segments.sampled} sampled bodies UCS-2${p.segments.ucs2Characters.length ? `, forced by ${p.segments.ucs2Characters.map((c) => JSON.stringify(c.char)).join(' ')}` : ''})`,
    p.checks.length === 0 ? '  checks: all passed' : '  checks:',
    ...p.checks.flatMap((c) => [`    [${c.level}] ${c.id}: ${c.message}`, `      fix: ${c.fix}`]),
  ];
  return out.join('\n');
}
