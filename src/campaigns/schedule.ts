import { z } from 'zod';
import { civil, zonedInstant } from '../lib/zoned.ts';
import { recipientCounts } from '../db/sql/campaign-summary.sql.ts';
import { moveUnstartedSchedule } from '../db/sql/campaign-status.sql.ts';
import type { Campaign, PrismaClient } from '../generated/prisma/client.ts';
import { ConflictError, LaunchBlockedError, ValidationError, type LaunchBlock } from '../lib/errors.ts';
import { formatWindow } from './describe.ts';
import { currentStatus, scheduleDraft } from './status.ts';

/**
 * When to send a one-off campaign, as the dashboard and the API give it:
 * `local` is a wall-clock time in the campaign's own time zone (what an
 * operator means by "10:00" for a Chicago campaign, whatever zone their
 * browser is in); `at` an absolute ISO time; `now` an explicit "send now".
 * Exactly one. `dryRun` answers what would happen without changing anything:
 * the confirmation step. `ignoreBlocks` schedules despite the launch plan's
 * "block" checks (the override is logged and answered in `ignoredBlocks`).
 */
export const scheduleInputSchema = z
  .object({
    local: z
      .string()
      .regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$/, 'must be a date and a time, e.g. 2026-12-01T10:00')
      .optional(),
    at: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time with Z or an offset' }).optional(),
    now: z.literal(true).optional(),
    dryRun: z.boolean().optional(),
    ignoreBlocks: z.boolean().optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const given = [v.local, v.at, v.now].filter((x) => x !== undefined).length;
    if (given === 0) ctx.addIssue({ code: 'custom', path: ['local'], message: 'choose a date and time, or send now' });
    if (given > 1) ctx.addIssue({ code: 'custom', path: ['local'], message: 'give one of a time in the campaign zone (local), an ISO time (at) or now' });
  });
export type ScheduleInput = z.infer<typeof scheduleInputSchema>;

/** A past time up to this far back counts as "now" (the form took a moment to submit). */
const PAST_GRACE_MS = 60_000;

/** The instant of a wall-clock time in `zone` (skipped times move forward, repeated ones take the first). */
export function localToInstant(local: string, zone: string): Date {
  const [date, time] = local.split('T') as [string, string];
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const [hh, mm] = time.split(':').map(Number) as [number, number];
  const day = civil(y, m, d);
  if (day.iso !== date) throw new ValidationError([{ path: 'local', message: `${date} is not a date` }], 'body');
  if (hh > 23 || mm > 59) throw new ValidationError([{ path: 'local', message: `${time} is not a time of day` }], 'body');
  return new Date(zonedInstant(day, hh * 60 + mm, zone));
}

/** The time in the campaign's zone, with the zone, for messages and confirmations. */
export function formatInZone(at: Date, zone: string): string {
  const text = new Intl.DateTimeFormat('en-US', {
    timeZone: zone, year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).format(at);
  return `${text} ${zone}`;
}

function resolveTime(input: ScheduleInput, zone: string, now: Date): { at: Date; sendNow: boolean } {
  if (input.now) return { at: now, sendNow: true };
  const at = input.local ? localToInstant(input.local, zone) : new Date(input.at!);
  if (at.getTime() < now.getTime() - PAST_GRACE_MS) {
    const field = input.local ? 'local' : 'at';
    throw new ValidationError(
      [{ path: field, message: `${formatInZone(at, zone)} is in the past (it is now ${formatInZone(now, zone)}); choose a later time, or send now` }],
      'body',
    );
  }
  return { at, sendNow: false };
}

export interface SchedulePlan {
  id: number;
  name: string;
  status: string;
  scheduleAt: string;
  sendNow: boolean;
  timezone: string;
  /** scheduleAt in the campaign's zone, e.g. "Dec 1, 2026, 10:00 America/Chicago". */
  local: string;
  recipients: number;
  /** Recipients who will be skipped: they opted out. */
  optedOut: number;
  /** Leased sender lines; 0 lets the provider choose. */
  lines: number;
  window: string;
  /** The confirmation sentence the dashboard shows. */
  summary: string;
  dryRun: boolean;
  /** The launch plan's "block" checks as of scheduleAt (empty without a gate). */
  blocks: LaunchBlock[];
  /** The check ids scheduled over with ignoreBlocks (empty when none were overridden). */
  ignoredBlocks: string[];
}

/**
 * The launch plan's "block" checks of a campaign sent from `at` (src/planner/gate.ts
 * composes it from the planner; a port, so that campaigns/ does not import the planner).
 */
export type LaunchGate = (campaignId: number, at: Date) => Promise<LaunchBlock[]>;

async function plan(prisma: PrismaClient, c: Campaign, input: ScheduleInput, now: Date, gate?: LaunchGate): Promise<SchedulePlan> {
  if (c.cronExpression) throw new ConflictError(`campaign "${c.name}" runs on its cron expression; it cannot be scheduled once`);
  const { at, sendNow } = resolveTime(input, c.timezone, now);
  const counts = await recipientCounts(prisma, c.id);
  if (counts.total === 0) throw new ConflictError(`campaign "${c.name}" has no recipients yet: upload a recipients CSV before scheduling it`);
  const people = counts.total - counts.opted_out;
  const lines = c.senderLines.length;
  const local = formatInZone(at, c.timezone);
  const window = formatWindow(c.windowStartMinute, c.windowEndMinute);
  const from = lines === 0 ? "the provider's lines" : `${lines.toLocaleString('en-US')} line${lines === 1 ? '' : 's'}`;
  const when = sendNow ? 'now' : `~${local}`;
  const summary =
    `Send to ${people.toLocaleString('en-US')} ${people === 1 ? 'person' : 'people'} from ${from}, first message ${when}` +
    (counts.opted_out ? ` (${counts.opted_out.toLocaleString('en-US')} opted out, skipped)` : '') +
    (c.windowStartMinute !== null ? `; only within ${window} recipient time` : '');
  return {
    id: c.id, name: c.name, status: c.status, scheduleAt: at.toISOString(), sendNow, timezone: c.timezone, local,
    recipients: counts.total, optedOut: counts.opted_out, lines, window, summary, dryRun: input.dryRun === true,
    ...(await gated(c, at, input, gate)),
  };
}

/** The plan's blocks as of `at`; refused unless overridden (a dry run only reports them). */
async function gated(c: Campaign, at: Date, input: ScheduleInput, gate: LaunchGate | undefined): Promise<{ blocks: LaunchBlock[]; ignoredBlocks: string[] }> {
  const blocks = gate ? await gate(c.id, at) : [];
  if (blocks.length === 0) return { blocks, ignoredBlocks: [] };
  if (input.ignoreBlocks) return { blocks, ignoredBlocks: blocks.map((b) => b.id) };
  if (input.dryRun) return { blocks, ignoredBlocks: [] };
  throw new LaunchBlockedError(c.name, blocks);
}

/** draft → scheduled (or, with dryRun, what that would do). */
export async function scheduleCampaign(prisma: PrismaClient, c: Campaign, input: ScheduleInput, now = new Date(), gate?: LaunchGate): Promise<SchedulePlan> {
  const p = await plan(prisma, c, input, now, gate);
  if (p.dryRun) return p;
  if (!(await scheduleDraft(prisma, c.id, new Date(p.scheduleAt)))) {
    throw new ConflictError(`campaign "${c.name}" is ${await currentStatus(prisma, c.id)}; only a draft can be scheduled (a scheduled one can be rescheduled)`);
  }
  return { ...p, status: 'scheduled' };
}

/** A new time for a scheduled campaign of which nothing has started. */
export async function rescheduleCampaign(prisma: PrismaClient, c: Campaign, input: ScheduleInput, now = new Date(), gate?: LaunchGate): Promise<SchedulePlan> {
  const p = await plan(prisma, c, input, now, gate);
  if (p.dryRun) return p;
  if (!(await moveUnstartedSchedule(prisma, c.id, new Date(p.scheduleAt)))) throw await notMovable(prisma, c, 'reschedule');
  return { ...p, status: 'scheduled' };
}

/** scheduled → draft, while nothing has started. */
export async function unscheduleCampaign(prisma: PrismaClient, c: Campaign): Promise<{ id: number; name: string; status: 'draft' }> {
  if (!(await moveUnstartedSchedule(prisma, c.id, null))) throw await notMovable(prisma, c, 'unschedule');
  return { id: c.id, name: c.name, status: 'draft' };
}

async function notMovable(prisma: PrismaClient, c: Campaign, verb: string): Promise<ConflictError> {
  const status = await currentStatus(prisma, c.id);
  if (c.cronExpression) return new ConflictError(`campaign "${c.name}" runs on its cron expression; it cannot be ${verb}d`);
  if (status !== 'scheduled') return new ConflictError(`campaign "${c.name}" is ${status}; only a scheduled campaign can be ${verb}d`);
  return new ConflictError(`campaign "${c.name}" has started sending; it can no longer be ${verb}d (pause or cancel it instead)`);
}
