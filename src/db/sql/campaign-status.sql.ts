import type { PrismaClient } from '../../generated/prisma/client.ts';
import { campaignMachine, runMachine, type CampaignStatusValue } from '../../lifecycle/campaign.ts';
import { messageMachine } from '../../lifecycle/message.ts';

export type { CampaignStatusValue };

// Edges, checked against the machines when this module loads.
const RESUMES = campaignMachine.from(['running', 'scheduled'], ['paused', 'blocked']);
const DRAFT_SCHEDULES = campaignMachine.from('scheduled', ['draft']);
const UNSCHEDULES = campaignMachine.fromOne('draft', 'scheduled');
const CANCEL_SWEEPS_MESSAGES = messageMachine.from('cancelled', ['queued']);
const CANCEL_SWEEPS_RUNS = runMachine.from('cancelled');
/** Runs that make a resumed campaign `running` again. */
const OPEN_RUNS = ['pending', 'running'] as const;

/**
 * Move a campaign to `to` only if it is in one of `from` (the caller takes it
 * from the campaign machine). One conditional UPDATE … RETURNING, so two
 * processes racing on the same campaign cannot both win and no
 * read-then-write window exists. Returns whether it moved.
 */
export async function updateCampaignStatus(
  prisma: PrismaClient,
  campaignId: number,
  to: CampaignStatusValue,
  from: readonly CampaignStatusValue[],
): Promise<boolean> {
  const rows = await prisma.$queryRaw<{ id: number }[]>`
    UPDATE campaigns
       SET status = ${to}::campaign_status, updated_at = now()
     WHERE id = ${campaignId}
       AND status = ANY(${[...from]}::campaign_status[])
    RETURNING id`;
  return rows.length === 1;
}

/**
 * A draft is scheduled to be sent once at `at`: the status and the time in
 * one conditional UPDATE, so a draft scheduled twice at once is scheduled once.
 */
export async function scheduleDraftCampaign(prisma: PrismaClient, campaignId: number, at: Date): Promise<boolean> {
  const rows = await prisma.$queryRaw<{ id: number }[]>`
    UPDATE campaigns
       SET status = 'scheduled'::campaign_status, schedule_at = ${at}, updated_at = now()
     WHERE id = ${campaignId}
       AND status = ANY(${DRAFT_SCHEDULES}::campaign_status[])
    RETURNING id`;
  return rows.length === 1;
}

/**
 * Resume a paused or blocked campaign (the block's reason is cleared: the user
 * says the account is fixed; a new refusal blocks it again): back to `running` when one of its runs is still
 * pending or in progress (so the dispatcher carries on with it), otherwise to
 * `scheduled`. The choice is made inside the same UPDATE so that it sees the
 * runs as of the transition. Returns the new status, or null when the campaign
 * was not paused.
 */
export async function resumePausedCampaign(prisma: PrismaClient, campaignId: number): Promise<CampaignStatusValue | null> {
  const rows = await prisma.$queryRaw<{ status: CampaignStatusValue }[]>`
    UPDATE campaigns c
       SET status = CASE WHEN EXISTS (
                      SELECT 1 FROM campaign_runs r
                       WHERE r.campaign_id = c.id AND r.status = ANY(${[...OPEN_RUNS]}::run_status[]))
                    THEN 'running'::campaign_status ELSE 'scheduled'::campaign_status END,
           blocked_reason = NULL, blocked_url = NULL, blocked_at = NULL,
           updated_at = now()
     WHERE c.id = ${campaignId} AND c.status = ANY(${RESUMES}::campaign_status[])
    RETURNING c.status::text AS status`;
  return rows[0]?.status ?? null;
}

/**
 * Cancel a campaign, its unfinished runs and its still-queued messages in one
 * statement: data-modifying CTEs run in one snapshot and commit together, so a
 * dispatcher never sees a cancelled campaign with live queued messages. Only
 * `queued` messages are touched: one being sent (`sending`, leased) finishes
 * and records its real outcome.
 */
export async function cancelCampaignCascade(
  prisma: PrismaClient,
  campaignId: number,
  from: readonly CampaignStatusValue[],
): Promise<{ cancelled: boolean; messages: number; runs: number }> {
  const rows = await prisma.$queryRaw<{ cancelled: number; messages: number; runs: number }[]>`
    WITH c AS (
      UPDATE campaigns SET status = 'cancelled', updated_at = now()
       WHERE id = ${campaignId} AND status = ANY(${[...from]}::campaign_status[])
      RETURNING id
    ), m AS (
      UPDATE outbound_messages SET status = 'cancelled', cancelled_at = now(), updated_at = now()
       WHERE campaign_id IN (SELECT id FROM c) AND status = ANY(${CANCEL_SWEEPS_MESSAGES}::message_status[])
      RETURNING 1
    ), r AS (
      UPDATE campaign_runs SET status = 'cancelled', completed_at = now()
       WHERE campaign_id IN (SELECT id FROM c) AND status = ANY(${CANCEL_SWEEPS_RUNS}::run_status[])
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM c)::int AS cancelled,
           (SELECT count(*) FROM m)::int AS messages,
           (SELECT count(*) FROM r)::int AS runs`;
  const row = rows[0]!;
  return { cancelled: row.cancelled === 1, messages: row.messages, runs: row.runs };
}

/**
 * A scheduled one-off campaign gets a new send time, or goes back to draft
 * (`at` null), only while nothing of it has started: no run exists yet (the
 * dispatcher creates the run when the time comes, so "no run" is "nothing
 * sent, nothing enqueued"). One conditional UPDATE, so a dispatcher starting
 * the run at that moment and the operator cannot both win.
 */
export async function moveUnstartedSchedule(prisma: PrismaClient, campaignId: number, at: Date | null): Promise<boolean> {
  const rows = await prisma.$queryRaw<{ id: number }[]>`
    UPDATE campaigns c
       SET schedule_at = ${at},
           status = CASE WHEN ${at}::timestamptz IS NULL THEN 'draft'::campaign_status ELSE c.status END,
           updated_at = now()
     WHERE c.id = ${campaignId} AND c.status = ${UNSCHEDULES}::campaign_status AND c.cron_expression IS NULL
       AND NOT EXISTS (SELECT 1 FROM campaign_runs r WHERE r.campaign_id = c.id)
    RETURNING c.id`;
  return rows.length === 1;
}
