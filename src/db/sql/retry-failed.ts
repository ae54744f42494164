import { campaignMachine, runMachine } from '../../lifecycle/campaign.ts';
import { messageMachine } from '../../lifecycle/message.ts';
import type { Queryable } from './queryable.ts';

const FAILED_TO_QUEUED = messageMachine.from('queued', ['failed']);
const FAILED_OR_UNCONFIRMED_TO_QUEUED = messageMachine.from('queued', ['failed', 'unconfirmed']);
const RUN_REOPENS = runMachine.from('running', ['completed', 'running']);
const CAMPAIGN_REOPENS = campaignMachine.from('running', ['completed']);

/**
 * Re-queue a campaign's failed messages for a fresh attempt budget. Only
 * `failed` campaign rows (not the auto-replies recorded beside them), and never
 * one the provider reported delivered or read (a
 * late failure report after a delivery must not cause a second message).
 * `unconfirmed` ones (the carrier never confirmed; the person may have the
 * message) only when the caller asks explicitly: resending them may reach the
 * person twice. Returns the runs touched so the caller can reopen them.
 */
export async function requeueFailedMessages(
  db: Queryable,
  p: { campaignId: number; now: Date; includeUnconfirmed?: boolean },
): Promise<{ count: number; runIds: number[] }> {
  const { rows } = await db.query<{ run_id: number | null }>(
    `UPDATE outbound_messages
        SET status = 'queued', attempts = 0, next_attempt_at = $2, last_error = NULL, error_retryable = NULL,
            failed_at = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = $2
      WHERE campaign_id = $1 AND kind = 'campaign' AND status = ANY($3::message_status[]) AND delivered_at IS NULL AND read_at IS NULL
     RETURNING run_id`,
    [p.campaignId, p.now, p.includeUnconfirmed ? FAILED_OR_UNCONFIRMED_TO_QUEUED : FAILED_TO_QUEUED],
  );
  const runIds = [...new Set(rows.map((r) => r.run_id).filter((id): id is number => id !== null))];
  return { count: rows.length, runIds };
}

/** Runs that have work again go back to running, so completion is re-evaluated. */
export async function reopenRuns(db: Queryable, runIds: number[]): Promise<number> {
  if (runIds.length === 0) return 0;
  const { rowCount } = await db.query(
    `UPDATE campaign_runs SET status = 'running', completed_at = NULL
      WHERE id = ANY($1::int[]) AND status = ANY($2::run_status[])`,
    [runIds, RUN_REOPENS],
  );
  return rowCount ?? 0;
}

/** A completed one-off campaign that has work again is running again. */
export async function reopenCompletedCampaign(db: Queryable, campaignId: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE campaigns SET status = 'running', updated_at = now() WHERE id = $1 AND status = ANY($2::campaign_status[])`,
    [campaignId, CAMPAIGN_REOPENS],
  );
  return (rowCount ?? 0) > 0;
}
