import type { Queryable } from '../db/sql/queryable.ts';
import { lineNewContactLoad } from '../db/sql/lines.ts';
import { recentlyContacted, sampleRecipients } from '../db/sql/plan-recipients.ts';
import { SendRules } from '../compliance/engine.ts';
import { loadRulesTable } from '../compliance/table.ts';
import { planRecipients } from './groups.ts';
import { explainPhones, formatExplanation, type PhoneExplanation } from './explain.ts';
import { formatPreview, previewPhones, type PhonePreview } from './preview.ts';
import { estimateCost, estimateSegments, type ChannelSplit, type CostEstimate, type SegmentEstimate } from './cost.ts';
import type { PriceTable } from '../config.ts';
import { runChecks, type PlanCheck } from './checks.ts';
import { simulate, type Forecast, type PlanCampaign } from './forecast.ts';
import { anyAvailabilityAnswers, channelCounts } from '../db/sql/availability.ts';
import { recentSeedSends } from '../db/sql/seed-delivery.ts';

export interface Plan {
  campaign: { id: number; name: string; status: string };
  now: string;
  /** The rules table's version the engine used ("off": legal windows off). */
  rules: string;
  forecast: Forecast;
  /** Recipients a cap holds back with on_cap "skip" (counted in forecast.total, never sent). */
  skippedByCap: number;
  /** Recipients a per-person cap or the recent-contact rule holds past now. */
  heldByCap: number;
  groups: number;
  checks: PlanCheck[];
  segments: SegmentEstimate;
  /**
   * Recipients still to reach by the channel a send takes, from the cached
   * availability answers (`--check-availability`): unknown when never asked
   * or the answer is older than `maxAgeHours`. `oldestAnswer`/`newestAnswer`:
   * the ages of the answers counted.
   */
  channels: ChannelSplit & { maxAgeHours: number; oldestAnswer: string | null; newestAnswer: string | null };
  /** Null without a price table. */
  cost: CostEstimate | null;
  explain?: PhoneExplanation[];
  preview?: PhonePreview[];
  /** The latest test sends (`--seed`) with their delivery, newest first: outside every count above. */
  seedSends: SeedSendView[];
}

export interface SeedSendView {
  to: string;
  /** Whose row was rendered. */
  recipient: string | null;
  status: string;
  channel: string | null;
  sentAt: string;
  deliveredAt: string | null;
  readAt: string | null;
  failedAt: string | null;
  error: string | null;
}

/** A hook for `bluecast doctor` (#14): problems of the campaign's lines (not leased, unhealthy). */
export type LineProblems = (lines: string[]) => Promise<string[]>;

export interface PlanOptions {
  lineProblems?: LineProblems;
  recentHours?: number;
  /** The engine the dispatcher uses (SendRules over the deployment's table, or NO_LEGAL_RULES when legal windows are off). */
  rules?: SendRules;
  /** The deployment's price table (BLUECAST_PRICES): the plan gains a cost. */
  prices?: PriceTable;
  /** Phones (E.164) to explain: the earliest send time and the rules that decide it. */
  explain?: string[];
  /** Phones (E.164) to preview: the rendered message, its variant and the alternatives. */
  preview?: string[];
  /** Cached availability answers older than this count as unknown (BLUECAST_AVAILABILITY_MAX_AGE_HOURS; default 720). */
  availabilityMaxAgeHours?: number;
}

/** The campaign's settings the planner reads, by id. */
async function planCampaign(db: Queryable, id: number): Promise<(PlanCampaign & { status: string; message: string; variants: string[]; attachments: string[]; smsFallback: boolean }) | undefined> {
  const { rows } = await db.query<{
    id: number; name: string; status: string; timezone: string; window_start_minute: number | null; window_end_minute: number | null;
    sender_lines: string[]; rate_per_line: number; message: string; variants: string[]; attachments: string[]; new_contacts_per_hour: number; new_contacts_per_day: number;
    transactional: boolean; send_by: Date | null; recent_contact_hours: number | null; on_cap: 'wait' | 'skip'; fallback_when: string[];
  }>(
    `SELECT id, name, status::text AS status, timezone, window_start_minute, window_end_minute, sender_lines,
            rate_per_line, new_contacts_per_hour, new_contacts_per_day, message, variants, attachments,
            transactional, send_by, recent_contact_hours, on_cap, fallback_when FROM campaigns WHERE id = $1`,
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
    transactional: c.transactional,
    sendBy: c.send_by,
    recentContactHours: c.recent_contact_hours,
    onCap: c.on_cap,
    // A number without iMessage falls back only when the campaign asks for it (fallback.when: imessage_unsupported).
    smsFallback: c.fallback_when.includes('imessage_unsupported'),
  };
}

/**
 * The launch plan of a campaign: its recipients grouped in SQL and compiled
 * into the engine's policies (groups.ts: the dispatcher's own SendRules), the
 * pool's current new-contact load (the dispatcher's own query: other
 * campaigns' reservations on the same lines included), then simulated
 * (forecast.ts). `rules`: the deployment's (compose it from the config as the
 * dispatcher does); by default the shipped table.
 */
export async function buildPlan(db: Queryable, campaignId: number, now: Date, opts: PlanOptions = {}): Promise<Plan | undefined> {
  const campaign = await planCampaign(db, campaignId);
  if (!campaign) return undefined;
  const rules = opts.rules ?? new SendRules(loadRulesTable());
  const recentHours = opts.recentHours ?? campaign.recentContactHours ?? 24;
  const maxAgeHours = opts.availabilityMaxAgeHours ?? 720;
  const [recipients, loads, recentContacts, lineProblems, anyAnswers, seeds] = await Promise.all([
    planRecipients(db, campaign, rules, now),
    campaign.senderLines.length > 0 ? lineNewContactLoad(db, { lines: campaign.senderLines, now }) : Promise.resolve([]),
    recentlyContacted(db, { campaignId, since: new Date(now.getTime() - recentHours * 3_600_000) }),
    opts.lineProblems ? opts.lineProblems(campaign.senderLines) : Promise.resolve([]),
    anyAvailabilityAnswers(db, campaignId),
    recentSeedSends(db, { campaignId, limit: 20 }),
  ]);
  const forecast = simulate(
    campaign,
    recipients.groups,
    loads.map((l) => ({ line: l.line, lastHour: Number(l.last_hour), lastDay: Number(l.last_day) })),
    now,
  );
  const sample = await sampleRecipients(db, { campaignId, total: forecast.total, size: 2000 });
  const segments = estimateSegments(campaign, sample);
  // Nobody checked: all unknown, without a pass over the recipients (they are the forecast's plus those a cap skips).
  const split = anyAnswers
    ? await channelCounts(db, { campaignId, freshSince: new Date(now.getTime() - maxAgeHours * 3_600_000) })
    : { imessage: 0, sms: 0, unknown: forecast.total + recipients.skipped, oldest: null, newest: null };
  const channels = {
    imessage: split.imessage,
    sms: split.sms,
    unknown: split.unknown,
    maxAgeHours,
    oldestAnswer: split.oldest?.toISOString() ?? null,
    newestAnswer: split.newest?.toISOString() ?? null,
  };
  const checks = runChecks({
    message: campaign.message,
    variants: campaign.variants,
    attachments: campaign.attachments,
    newContacts: recipients.newContacts,
    total: forecast.total,
    unknownZone: recipients.unknownZone,
    campaignZone: campaign.timezone,
    finish: forecast.finish,
    unscheduled: forecast.unscheduled + forecast.expired,
    sendBy: campaign.sendBy,
    recentContacts,
    recentHours,
    lineProblems,
    noFallback: campaign.smsFallback ? 0 : split.sms,
  });
  return {
    campaign: { id: campaign.id, name: campaign.name, status: campaign.status },
    now: now.toISOString(),
    rules: rules.table.version,
    forecast,
    skippedByCap: recipients.skipped,
    heldByCap: recipients.capped,
    groups: recipients.groups.length,
    checks,
    segments,
    channels,
    seedSends: seeds.map((r) => ({
      to: r.to_phone,
      recipient: r.recipient_phone,
      status: r.status,
      channel: r.channel,
      sentAt: r.sent_at.toISOString(),
      deliveredAt: r.delivered_at?.toISOString() ?? null,
      readAt: r.read_at?.toISOString() ?? null,
      failedAt: r.failed_at?.toISOString() ?? null,
      error: r.error,
    })),
    ...(opts.explain?.length ? { explain: await explainPhones(db, campaign, rules, now, opts.explain) } : {}),
    ...(opts.preview?.length ? { preview: await previewPhones(db, campaign, opts.preview) } : {}),
    cost: opts.prices ? estimateCost({ segments, split: { imessage: channels.imessage, sms: channels.sms, unknown: channels.unknown }, prices: opts.prices, smsFallback: campaign.smsFallback, attachments: campaign.attachments.length }) : null,
  };
}

/** The plan as lines of text for a terminal. */
export function formatPlan(p: Plan): string {
  const f = p.forecast;
  const out = [
    `Plan for campaign ${p.campaign.name} (${p.campaign.status}) as of ${p.now}`,
    `  recipients to send: ${f.total}`,
    `  first send:  ${f.firstSend ?? '-'}`,
    `  last send:   ${f.lastSend ?? '-'}`,
    `  finish:      ${f.finish ?? (f.expired > 0 ? `not before the send-by deadline (${f.expired} would expire)` : f.unscheduled > 0 ? `not within the horizon (${f.unscheduled} unscheduled)` : '-')}`,
    ...(p.heldByCap > 0 ? [`  held by a per-person cap or recent contact: ${p.heldByCap}`] : []),
    ...(p.skippedByCap > 0 ? [`  skipped by a cap (on_cap skip): ${p.skippedByCap}`] : []),
    `  waiting past 1 day: ${f.waitingPast.days1}, 3 days: ${f.waitingPast.days3}, 7 days: ${f.waitingPast.days7}`,
    '  sends per day:',
    ...f.perDay.map((d) => `    ${d.day}  ${d.sends}`),
    `  SMS segments per recipient (if sent as SMS): ${p.segments.segmentsPerRecipient.toFixed(2)} (max ${p.segments.maxSegments}; ${p.segments.ucs2} of ${p.segments.sampled} sampled bodies UCS-2${p.segments.ucs2Characters.length ? `, forced by ${p.segments.ucs2Characters.map((c) => JSON.stringify(c.char)).join(' ')}` : ''})`,
    `  channels: iMessage ${p.channels.imessage}, SMS ${p.channels.sms}, unknown ${p.channels.unknown}` +
      (p.channels.oldestAnswer ? ` (answers from ${p.channels.oldestAnswer} to ${p.channels.newestAnswer}; older than ${p.channels.maxAgeHours} h count as unknown)` : ' (not checked: run with --check-availability)'),
    ...(p.cost
      ? [
          `  cost (${p.cost.currency}): ${p.cost.total.min === p.cost.total.max ? p.cost.total.min.toFixed(2) : `${p.cost.total.min.toFixed(2)} to ${p.cost.total.max.toFixed(2)}`}` +
            ` (iMessage ${p.channels.imessage}, SMS ${p.channels.sms}, unknown channel ${p.channels.unknown})`,
        ]
      : ['  cost: no price table (set BLUECAST_PRICES)']),
    p.checks.length === 0 ? '  checks: all passed' : '  checks:',
    ...p.checks.flatMap((c) => [`    [${c.level}] ${c.id}: ${c.message}`, `      fix: ${c.fix}`]),
    ...(p.seedSends.length
      ? ['  seed sends (latest first; outside every count above):', ...p.seedSends.map((x) => `    ${x.sentAt}  ${x.to} <- row of ${x.recipient ?? '(removed)'}: ${x.status}${x.channel ? ` via ${x.channel}` : ''}${x.deliveredAt ? `, delivered ${x.deliveredAt}` : ''}${x.readAt ? `, read ${x.readAt}` : ''}${x.error ? `: ${x.error}` : ''}`)]
      : []),
    ...(p.explain ? ['  explain:', ...p.explain.flatMap(formatExplanation)] : []),
    ...(p.preview ? [`  preview (picks for run id ${p.preview[0]?.runId}, the next run the scheduler creates):`, ...p.preview.flatMap(formatPreview)] : []),
  ];
  return out.join('\n');
}
