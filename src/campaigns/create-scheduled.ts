import type { Database } from '../db/database.ts';
import type { Campaign } from '../generated/prisma/client.ts';
import { ConflictError, LaunchBlockedError, type LaunchBlock } from '../lib/errors.ts';
import { insertCampaign, type CampaignDefinition } from './definition.ts';
import { scheduleCampaign, type LaunchGate } from './schedule.ts';

export interface CreatedCampaign {
  campaign: Campaign;
  /** The launch plan's block checks as of `at` that `ignoreBlocks` scheduled over (empty when none). */
  ignoredBlocks: string[];
  /** When refused and kept (onBlocked "keep-draft"): the blocks; the campaign is a draft. */
  blocks: LaunchBlock[];
}

/**
 * A campaign created with a send time (`campaign create --at`, POST
 * /api/campaigns with `at`) is scheduled exactly as a later `schedule` is
 * (scheduleCampaign: recipients required, the time resolved, the launch
 * gate's "block" checks as of `at`): inserted as a draft (never a scheduled
 * campaign the scheduler could start meanwhile), `prepare` run (the CLI's
 * CSV import, so the checks see the recipients), then scheduled. A campaign
 * with no recipients yet is refused, as `schedule` refuses it: with nobody to
 * check, the first-touch checks (opt-out instruction, links, media) would
 * pass vacuously. Refused or failed: "delete" removes the draft and rethrows
 * (nothing was created: the API, whose retry must not meet its own leftover),
 * "keep-draft" keeps it as a draft, answering the blocks (the CLI, whose
 * import should not be lost). A definition without `at` (none, or cron) is
 * inserted as before.
 */
export async function createCampaignGated(
  db: Pick<Database, 'prisma'>,
  def: CampaignDefinition,
  o: { gate?: LaunchGate; ignoreBlocks?: boolean; onBlocked: 'delete' | 'keep-draft'; prepare?: (c: Campaign) => Promise<void>; now?: Date },
): Promise<CreatedCampaign> {
  if (!def.at) {
    const campaign = await insertCampaign(db, def);
    await o.prepare?.(campaign);
    return { campaign, ignoredBlocks: [], blocks: [] };
  }
  const draft = await insertCampaign(db, { ...def, at: undefined });
  try {
    await o.prepare?.(draft);
    const plan = await scheduleCampaign(db.prisma, draft, { at: def.at, ignoreBlocks: o.ignoreBlocks }, o.now ?? new Date(), o.gate);
    const campaign = (await db.prisma.campaign.findUnique({ where: { id: draft.id } }))!;
    return { campaign, ignoredBlocks: plan.ignoredBlocks, blocks: plan.blocks };
  } catch (err) {
    if (o.onBlocked === 'keep-draft') {
      if (err instanceof LaunchBlockedError) return { campaign: draft, ignoredBlocks: [], blocks: err.blocks };
      if (err instanceof ConflictError) throw new ConflictError(`${err.message} (campaign "${draft.name}" was created as a draft, id ${draft.id})`);
      throw err;
    }
    await db.prisma.campaign.delete({ where: { id: draft.id } }).catch(() => undefined);
    throw err;
  }
}
