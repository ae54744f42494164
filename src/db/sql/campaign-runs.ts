import { campaignMachine, runMachine, SENDING_CAMPAIGN_STATUSES } from '../../lifecycle/campaign.ts';
import { PENDING_STATUSES } from '../../lifecycle/message.ts';
import type { Queryable } from './queryable.ts';

// Edges, checked against the run and campaign machines at load.
const RUN_STARTS = runMachine.from('running', ['pending']);
const RUN_ENDS = runMachine.from(['completed', 'cancelled'], ['running']);
const PENDING_RUN_CANCELS = runMachine.from('cancelled', ['pending']);
const ONE_OFF_STARTS = campaignMachine.from('running', ['scheduled']);
const ONE_OFF_COMPLETES = campaignMachine.from('completed', ['running']);
/** Runs that keep a one-off campaign from completing. */
const OPEN_RUNS = ['pending', 'running'] as const;

/** A campaign the scheduler may have to create a run for, with its latest run. */
export interface ScheduleCandidate {
  id: number;
  name: string;
  cron_expression: string | null;
  schedule_at: Date | null;
  timezone: string;
  created_at: Date;
  updated_at: Date;
  last_scheduled_for: Date | null;
}

/**
 * Campaigns that can fire, each with the time of its latest run. One statement
 * (a lateral max over the unique (campaign_id, scheduled_for) index) so that a
 * tick costs one round trip however many campaigns exist. One-off campaigns
 * that already have a run are left out: they fire once.
 */
export async function listScheduleCandidates(db: Queryable): Promise<ScheduleCandidate[]> {
  const { rows } = await db.query<ScheduleCandidate>(
    `SELECT c.id, c.name, c.cron_expression, c.schedule_at, c.timezone, c.created_at, c.updated_at,
            last.scheduled_for AS last_scheduled_for
       FROM campaigns c
       LEFT JOIN LATERAL (
             SELECT r.scheduled_for FROM campaign_runs r
              WHERE r.campaign_id = c.id ORDER BY r.scheduled_for DESC LIMIT 1) last ON true
      WHERE c.status = ANY($1::campaign_status[])
        AND (c.cron_expression IS NOT NULL OR last.scheduled_for IS NULL)`,
    [SENDING_CAMPAIGN_STATUSES],
  );
  return rows;
}

/**
 * Create the run of one occurrence. The unique (campaign_id, scheduled_for)
 * decides the winner among racing schedulers and restarts: the loser's insert
 * is a no-op and RETURNING gives it nothing, so "created" is exactly once.
 */
export async function insertRun(db: Queryable, p: { campaignId: number; scheduledFor: Date; catchUp: boolean }): Promise<{ id: number } | null> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO campaign_runs (campaign_id, scheduled_for, catch_up)
     VALUES ($1, $2, $3)
     ON CONFLICT (campaign_id, scheduled_for) DO NOTHING
     RETURNING id`,
    [p.campaignId, p.scheduledFor, p.catchUp],
  );
  return rows[0] ?? null;
}

export interface StartedRun {
  id: number;
  campaign_id: number;
  scheduled_for: Date;
  catch_up: boolean;
  message: string;
  variants: string[];
  default_region: string;
  timezone: string;
  window_start_minute: number | null;
  window_end_minute: number | null;
}

/**
 * Take one due pending run and mark it running, inside the caller's
 * transaction. SKIP LOCKED lets other workers take other runs instead of
 * queueing behind this one; because the enqueue that follows commits together
 * with this status change, a worker that dies mid-enqueue leaves the run
 * pending (rolled back) for the next one, and nobody ever sees a half-enqueued
 * "running" run.
 */
export async function startDueRun(db: Queryable, now: Date): Promise<StartedRun | null> {
  const { rows } = await db.query<StartedRun>(
    `WITH due AS (
       SELECT r.id FROM campaign_runs r
         JOIN campaigns c ON c.id = r.campaign_id
        WHERE r.status = ANY($2::run_status[]) AND r.scheduled_for <= $1
          AND c.status = ANY($3::campaign_status[])
        ORDER BY r.scheduled_for, r.id
        LIMIT 1
        FOR UPDATE OF r SKIP LOCKED)
     UPDATE campaign_runs r
        SET status = 'running', started_at = $1
       FROM due, campaigns c
      WHERE r.id = due.id AND c.id = r.campaign_id
     RETURNING r.id, r.campaign_id, r.scheduled_for, r.catch_up, c.message, c.variants, c.default_region,
               c.timezone, c.window_start_minute, c.window_end_minute`,
    [now, RUN_STARTS, SENDING_CAMPAIGN_STATUSES],
  );
  return rows[0] ?? null;
}

/** Record how many messages a run froze, in the enqueue transaction. */
export async function setRunEnqueued(db: Queryable, runId: number, enqueued: number): Promise<void> {
  await db.query(`UPDATE campaign_runs SET enqueued = $2 WHERE id = $1`, [runId, enqueued]);
}

/**
 * A one-off campaign starts running with its run. Conditional on the current
 * status (never read-then-write) and limited to one-off campaigns: a cron
 * campaign stays `scheduled` between and during its runs.
 */
export async function markCampaignRunning(db: Queryable, campaignId: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE campaigns SET status = 'running', updated_at = now()
      WHERE id = $1 AND status = ANY($2::campaign_status[]) AND cron_expression IS NULL`,
    [campaignId, ONE_OFF_STARTS],
  );
  return (rowCount ?? 0) > 0;
}

/**
 * Close every running run that has nothing left queued or sending. The
 * NOT EXISTS probe goes through the (campaign_id, status) index, so it reads
 * only the pending rows, not the run's whole history. A run of a cancelled
 * campaign ends `cancelled`. Conditional on status, so two workers closing the
 * same run both succeed and only one gets it back.
 */
export async function completeFinishedRuns(db: Queryable, now: Date): Promise<{ id: number; campaign_id: number; status: string }[]> {
  const { rows } = await db.query<{ id: number; campaign_id: number; status: string }>(
    `UPDATE campaign_runs r
        SET status = CASE WHEN c.status = 'cancelled' THEN 'cancelled'::run_status ELSE 'completed'::run_status END,
            completed_at = $1
       FROM campaigns c
      WHERE c.id = r.campaign_id AND r.status = ANY($2::run_status[])
        AND NOT EXISTS (SELECT 1 FROM outbound_messages m
                         WHERE m.campaign_id = r.campaign_id AND m.status = ANY($3::message_status[]) AND m.run_id = r.id)
     RETURNING r.id, r.campaign_id, r.status::text AS status`,
    [now, RUN_ENDS, PENDING_STATUSES],
  );
  return rows;
}

/** Pending runs of cancelled campaigns will never start; close them. */
export async function cancelPendingRunsOfCancelledCampaigns(db: Queryable, now: Date): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE campaign_runs r SET status = 'cancelled', completed_at = $1
       FROM campaigns c
      WHERE c.id = r.campaign_id AND c.status = 'cancelled' AND r.status = ANY($2::run_status[])`,
    [now, PENDING_RUN_CANCELS],
  );
  return rowCount ?? 0;
}

/**
 * A one-off campaign is completed once none of its runs is pending or running.
 * Conditional on `running`: a paused or cancelled campaign keeps its status.
 */
export async function completeOneOffCampaigns(db: Queryable, campaignIds: number[]): Promise<number[]> {
  if (campaignIds.length === 0) return [];
  const { rows } = await db.query<{ id: number }>(
    `UPDATE campaigns c SET status = 'completed', updated_at = now()
      WHERE c.id = ANY($1::int[]) AND c.status = ANY($2::campaign_status[]) AND c.cron_expression IS NULL
        AND NOT EXISTS (SELECT 1 FROM campaign_runs r WHERE r.campaign_id = c.id AND r.status = ANY($3::run_status[]))
     RETURNING c.id`,
    [campaignIds, ONE_OFF_COMPLETES, OPEN_RUNS],
  );
  return rows.map((r) => r.id);
}
