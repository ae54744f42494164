import { z } from 'zod';
import type { Database } from '../db/database.ts';
import { Prisma, type Campaign } from '../generated/prisma/client.ts';
import { ConflictError, ValidationError } from '../lib/errors.ts';
import { campaignData, campaignDefinitionSchema, parseCampaignDefinition } from './definition.ts';
import { formatWindow } from './describe.ts';

/**
 * Edit, duplicate and archive. Each is one conditional statement, so that two
 * operators (or an operator and the scheduler) cannot interleave: an edit
 * lands only while the campaign is still a draft, an archive only once it is
 * not sending.
 */

/** The body of an edit: the whole definition, as on creation, without a time to send (schedule it afterwards). */
export const campaignEditSchema = campaignDefinitionSchema;

/** The body of POST /api/campaigns/:id/duplicate. */
export const duplicateBodySchema = z.object({ name: campaignDefinitionSchema.shape.name }).strict();

/** Statuses an archived campaign may be in: nothing that still sends or will. */
export const ARCHIVABLE_STATUSES = ['draft', 'completed', 'cancelled'] as const;

function nameTaken(err: unknown, name: string): never {
  if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') throw new ConflictError(`a campaign named "${name}" already exists`);
  throw err;
}

/** Replace a draft's definition; 409 once it is scheduled or has started. */
export async function editDraftCampaign(db: Pick<Database, 'prisma'>, c: Campaign, input: unknown, where?: string): Promise<Campaign> {
  const def = parseCampaignDefinition(input, where);
  const timed = (['at', 'cron'] as const).filter((k) => def[k] !== undefined);
  if (timed.length) {
    throw new ValidationError(timed.map((k) => ({ path: k, message: 'an edit does not schedule: save the draft, then schedule it' })), where);
  }
  const { status: _status, ...data } = campaignData(def);
  let count: number;
  try {
    ({ count } = await db.prisma.campaign.updateMany({ where: { id: c.id, status: 'draft', archivedAt: null }, data }));
  } catch (err) {
    nameTaken(err, def.name);
  }
  if (count === 0) {
    const now = await db.prisma.campaign.findUnique({ where: { id: c.id }, select: { status: true, archivedAt: true } });
    throw new ConflictError(
      now?.archivedAt
        ? `campaign "${c.name}" is archived: unarchive it to edit it`
        : `campaign "${c.name}" is ${now?.status ?? 'gone'}: only a draft can be edited (duplicate it to send a changed copy)`,
    );
  }
  return db.prisma.campaign.findUniqueOrThrow({ where: { id: c.id } });
}

/**
 * A new draft with the same definition and the same recipients (one
 * INSERT … SELECT), without its schedule, runs, messages or imports.
 */
export async function duplicateCampaign(db: Pick<Database, 'prisma'>, c: Campaign, name: string): Promise<{ campaign: Campaign; recipients: number }> {
  const { id: _id, createdAt: _c, updatedAt: _u, archivedAt: _a, status: _s, scheduleAt: _at, cronExpression: _cron, name: _n, ...rest } = c;
  try {
    return await db.prisma.$transaction(async (tx) => {
      const campaign = await tx.campaign.create({ data: { ...rest, name, status: 'draft' } });
      const recipients = await tx.$executeRaw`
        INSERT INTO campaign_recipients (campaign_id, phone, variables, timezone, import_id, source_line)
        SELECT ${campaign.id}, phone, variables, timezone, import_id, source_line FROM campaign_recipients WHERE campaign_id = ${c.id}`;
      return { campaign, recipients };
    });
  } catch (err) {
    nameTaken(err, name);
  }
}

/** Hide from the default list; 409 while it is scheduled, running or paused. */
export async function archiveCampaign(db: Pick<Database, 'prisma'>, c: Campaign): Promise<Campaign> {
  const { count } = await db.prisma.campaign.updateMany({
    where: { id: c.id, status: { in: [...ARCHIVABLE_STATUSES] }, archivedAt: null },
    data: { archivedAt: new Date() },
  });
  const now = await db.prisma.campaign.findUniqueOrThrow({ where: { id: c.id } });
  if (count === 0 && !now.archivedAt) {
    throw new ConflictError(`campaign "${c.name}" is ${now.status}: cancel or unschedule it before archiving it`);
  }
  return now;
}

/** Back in the default list, as it was. */
export async function unarchiveCampaign(db: Pick<Database, 'prisma'>, c: Campaign): Promise<Campaign> {
  return db.prisma.campaign.update({ where: { id: c.id }, data: { archivedAt: null } });
}

/** A stored campaign as definition input (what an edit overlays its changes on), without its schedule. */
export function definitionOf(c: Campaign): Record<string, unknown> {
  const def: Record<string, unknown> = {
    name: c.name,
    message: c.message,
    variants: c.variants,
    from: c.senderLines,
    fallback: c.fallbackWhen,
    attachments: c.attachments,
    fastTrack: c.fastTrack,
    timezone: c.timezone,
    window: c.windowStartMinute === null || c.windowEndMinute === null ? null : formatWindow(c.windowStartMinute, c.windowEndMinute),
    concurrency: c.concurrency,
    ratePerLine: c.ratePerLine,
    burst: c.burstPerLine,
    newContactsPerHour: c.newContactsPerHour,
    newContactsPerDay: c.newContactsPerDay,
    jitterMs: c.jitterMs,
    maxAttempts: c.maxAttempts,
    region: c.defaultRegion,
    readReceipt: c.careReadReceipt,
    transactional: c.transactional,
    onCap: c.onCap,
  };
  const optional = {
    fallbackFrom: c.fallbackFrom,
    csv: c.csvPath,
    tapback: c.careTapback,
    autoReply: c.careAutoReply,
    optOutConfirmation: c.optOutConfirmation,
    sendBy: c.sendBy?.toISOString() ?? null,
    recentContactHours: c.recentContactHours,
  };
  for (const [k, v] of Object.entries(optional)) if (v !== null) def[k] = v;
  return def;
}
