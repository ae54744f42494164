import type { PrismaClient } from '../generated/prisma/client.ts';
import {
  cancelCampaignCascade,
  resumePausedCampaign,
  scheduleDraftCampaign,
  updateCampaignStatus,
} from '../db/sql/campaign-status.sql.ts';
import { campaignMachine, campaignTransitions, type CampaignStatusValue } from '../lifecycle/campaign.ts';
import { ConflictError } from '../lib/errors.ts';

export { CampaignStatus, campaignTransitions } from '../lifecycle/campaign.ts';
export type { CampaignStatusValue };

/**
 * Apply a transition as one conditional UPDATE. `from` narrows the allowed
 * source statuses (e.g. the dispatcher completing only a `running` campaign).
 * Returns false when the campaign was not in an allowed status.
 */
export async function transitionCampaign(
  prisma: PrismaClient,
  campaignId: number,
  to: CampaignStatusValue,
  opts: { from?: CampaignStatusValue | readonly CampaignStatusValue[] } = {},
): Promise<boolean> {
  const allowed = campaignTransitions[to];
  const wanted = opts.from === undefined ? allowed : typeof opts.from === 'string' ? [opts.from] : opts.from;
  const from = campaignMachine.from(to, wanted.filter((s) => allowed.includes(s)));
  if (from.length === 0) return false;
  if (to === 'cancelled') return (await cancelCampaignCascade(prisma, campaignId, from)).cancelled;
  return updateCampaignStatus(prisma, campaignId, to, from);
}

interface Named {
  id: number;
  name: string;
}

type CampaignRef = Named | number;

function named(c: CampaignRef): Named {
  return typeof c === 'number' ? { id: c, name: `#${c}` } : c;
}

/** Only read after a refused transition, to say why; never to decide. */
export async function currentStatus(prisma: PrismaClient, id: number): Promise<string> {
  const row = await prisma.campaign.findUnique({ where: { id }, select: { status: true } });
  return row?.status ?? 'deleted';
}

function refused(c: Named, verb: string, status: string, to: CampaignStatusValue): ConflictError {
  const allowed = campaignTransitions[to].join(' or ');
  return new ConflictError(`campaign "${c.name}" is ${status}; cannot ${verb} it (only a ${allowed} campaign can be ${verb === 'cancel' ? 'cancelled' : `${verb}d`})`);
}

/**
 * draft → scheduled, to be sent once at `at` (the dashboard's "send", the
 * demo). False when the campaign was not a draft: nothing changed.
 */
export async function scheduleDraft(prisma: PrismaClient, campaignId: number, at: Date): Promise<boolean> {
  return scheduleDraftCampaign(prisma, campaignId, at);
}

export async function pauseCampaign(prisma: PrismaClient, ref: CampaignRef): Promise<CampaignStatusValue> {
  const c = named(ref);
  if (await transitionCampaign(prisma, c.id, 'paused')) return 'paused';
  throw refused(c, 'pause', await currentStatus(prisma, c.id), 'paused');
}

/** paused or blocked → running (a run is in progress) or scheduled. */
export async function resumeCampaign(prisma: PrismaClient, ref: CampaignRef): Promise<CampaignStatusValue> {
  const c = named(ref);
  const status = await resumePausedCampaign(prisma, c.id);
  if (status) return status;
  const now = await currentStatus(prisma, c.id);
  throw new ConflictError(`campaign "${c.name}" is ${now}; cannot resume it (only a paused or blocked campaign can be resumed)`);
}

/** Cancels the campaign, its pending runs and its queued messages at once. */
export async function cancelCampaign(prisma: PrismaClient, ref: CampaignRef): Promise<{ status: 'cancelled'; messages: number; runs: number }> {
  const c = named(ref);
  const res = await cancelCampaignCascade(prisma, c.id, campaignMachine.from('cancelled'));
  if (res.cancelled) return { status: 'cancelled', messages: res.messages, runs: res.runs };
  throw refused(c, 'cancel', await currentStatus(prisma, c.id), 'cancelled');
}
