import type pg from 'pg';
import { inTransaction } from '../db/sql/queryable.ts';
import { reportCampaign } from '../db/sql/report-campaign.ts';
import { reopenCompletedCampaign, reopenRuns, requeueFailedMessages } from '../db/sql/retry-failed.ts';
import { NotFoundError } from '../lib/errors.ts';

export interface RetryFailedResult {
  campaign: string;
  requeued: number;
  runsReopened: number;
}

/**
 * Re-queue a campaign's failed messages (unconfirmed ones only when asked),
 * reopening their runs and a completed one-off campaign in the same
 * transaction, so the next worker round sends them. The one implementation
 * behind `bluecast campaign retry-failed` and POST /api/campaigns/:id/retry-failed.
 * FOLD: #13 adds the retry-failed use case in src/campaigns/; keep one of the two.
 */
export async function retryFailed(pool: pg.Pool, nameOrId: string | number, opts: { includeUnconfirmed?: boolean; now?: Date } = {}): Promise<RetryFailedResult> {
  return inTransaction(pool, async (tx) => {
    const campaign = await reportCampaign(tx, nameOrId);
    if (!campaign) throw new NotFoundError(`campaign "${nameOrId}" not found`);
    const { count, runIds } = await requeueFailedMessages(tx, { campaignId: campaign.id, now: opts.now ?? new Date(), includeUnconfirmed: opts.includeUnconfirmed === true });
    const runs = await reopenRuns(tx, runIds);
    if (count > 0) await reopenCompletedCampaign(tx, campaign.id);
    return { campaign: campaign.name, requeued: count, runsReopened: runs };
  });
}
