import { campaignMachine } from '../../lifecycle/campaign.ts';
import type { Queryable } from './queryable.ts';

const BLOCKS = campaignMachine.from('blocked');

export interface CampaignBlock {
  campaignId: number;
  reason: string;
  url: string | null;
  now: Date;
}

/**
 * The provider refused the account while this campaign sent: stop the
 * campaign (not its recipients) with the provider's words and URL. One
 * conditional UPDATE: of several workers hitting the refusal at once, one
 * records it; a campaign paused or cancelled meanwhile keeps that status.
 * Returns whether this call blocked it.
 */
export async function blockCampaign(db: Queryable, p: CampaignBlock): Promise<boolean> {
  const { rowCount } = await db.query({
    name: 'dispatch.block_campaign',
    text: `UPDATE campaigns
              SET status = 'blocked'::campaign_status, blocked_reason = $2, blocked_url = $3, blocked_at = $4, updated_at = $4
            WHERE id = $1 AND status = ANY($5::campaign_status[])`,
    values: [p.campaignId, p.reason, p.url, p.now, BLOCKS],
  });
  return (rowCount ?? 0) === 1;
}
