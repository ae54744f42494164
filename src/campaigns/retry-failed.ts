import type { Database } from '../db/database.ts';
import { reportCampaign } from '../db/sql/report-campaign.ts';
import { inTransaction } from '../db/sql/queryable.ts';
import { reopenCompletedCampaign, reopenRuns, requeueFailedMessages } from '../db/sql/retry-failed.ts';
import { NotFoundError } from '../lib/errors.ts';

export interface RetryFailedResult {
  campaign: string;
  requeued: number;
  runsReopened: number;
}

/**
 * Re-queue a campaign's failed messages with a fresh attempt budget (never
 * one the provider reported delivered or read); their runs, and a completed
 * one-off campaign, reopen in the same transaction so the dispatcher sends
 * them. Unconfirmed messages (the carrier never confirmed: the person may
 * have them) only when asked. The CLI's `retry-failed` and POST
 * /api/campaigns/:id/retry-failed.
 */
export async function retryFailedMessages(
  db: Pick<Database, 'pool'>,
  nameOrId: string | number,
  opts: { includeUnconfirmed?: boolean; now?: Date } = {},
): Promise<RetryFailedResult> {
  return inTransaction(db.pool, async (tx) => {
    const campaign = await reportCampaign(tx, nameOrId);
    if (!campaign) throw new NotFoundError(`campaign "${String(nameOrId).trim()}" not found`);
    const { count, runIds } = await requeueFailedMessages(tx, { campaignId: campaign.id, now: opts.now ?? new Date(), includeUnconfirmed: opts.includeUnconfirmed === true });
    const runs = await reopenRuns(tx, runIds);
    if (count > 0) await reopenCompletedCampaign(tx, campaign.id);
    return { campaign: campaign.name, requeued: count, runsReopened: runs };
  });
}
