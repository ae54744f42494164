import type { Database } from '../db/database.ts';
import type { Campaign } from '../generated/prisma/client.ts';
import { LaunchBlockedError, type LaunchBlock } from '../lib/errors.ts';
import { insertCampaign, type CampaignDefinition } from './definition.ts';
import type { LaunchGate } from './schedule.ts';
import { scheduleDraft } from './status.ts';

export interface CreatedCampaign {
  campaign: Campaign;
  /** The launch plan's block checks as of `at` that `ignoreBlocks` scheduled over (empty when none). */
  ignoredBlocks: string[];
  /** When refused and kept (onBlocked "keep-draft"): the blocks; the campaign is a draft. */
  blocks: LaunchBlock[];
}

/**
 * A campaign created with a send time (`campaign create --at`, POST
 * /api/campaigns with `at`) goes through the launch gate as a later
 * `schedule` does: inserted as a draft (never a scheduled campaign the
 * scheduler could start meanwhile), `prepare` run (the CLI's CSV import, so
 * the checks see the recipients), then the plan's "block" checks as of `at`;
 * with none, or with `ignoreBlocks`, it becomes scheduled. Refused: "delete"
 * removes it and throws LaunchBlockedError (nothing was created: the API),
 * "keep-draft" keeps it as a draft with the blocks (the CLI, whose import
 * should not be lost). A definition without `at` (none, or cron) is inserted as before.
 */
export async function createCampaignGated(
  db: Pick<Database, 'prisma'>,
  def: CampaignDefinition,
  o: { gate?: LaunchGate; ignoreBlocks?: boolean; onBlocked: 'delete' | 'keep-draft'; prepare?: (c: Campaign) => Promise<void> },
): Promise<CreatedCampaign> {
  if (!def.at) {
    const campaign = await insertCampaign(db, def);
    await o.prepare?.(campaign);
    return { campaign, ignoredBlocks: [], blocks: [] };
  }
  const at = new Date(def.at);
  const draft = await insertCampaign(db, { ...def, at: undefined });
  await o.prepare?.(draft);
  const blocks = o.gate ? await o.gate(draft.id, at) : [];
  if (blocks.length > 0 && !o.ignoreBlocks) {
    if (o.onBlocked === 'keep-draft') return { campaign: draft, ignoredBlocks: [], blocks };
    await db.prisma.campaign.delete({ where: { id: draft.id } });
    throw new LaunchBlockedError(draft.name, blocks);
  }
  await scheduleDraft(db.prisma, draft.id, at);
  const campaign = (await db.prisma.campaign.findUnique({ where: { id: draft.id } }))!;
  return { campaign, ignoredBlocks: blocks.map((b) => b.id), blocks };
}
