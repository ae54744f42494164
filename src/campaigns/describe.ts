import { listCampaignRows, messageCountsByStatus, recipientCounts } from '../db/sql/campaign-summary.sql.ts';
import type { Queryable } from '../db/sql/queryable.ts';
import type { Campaign, PrismaClient } from '../generated/prisma/client.ts';
import { legalRulesLabel } from './rules-label.ts';

/** JSON-ready views of campaigns for the CLI and the API. */

export interface CampaignListItem {
  id: number;
  name: string;
  status: string;
  schedule: string;
  recipients: number;
  createdAt: string;
  /** When it was archived; null while it is in the default list. */
  archivedAt: string | null;
}

/** "09:00-21:00" from the stored minutes (for display). */
export function formatWindow(start: number | null, end: number | null): string {
  if (start === null || end === null) return 'any time';
  const f = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  return `${f(start)}-${f(end)}`;
}

function scheduleOf(c: { schedule_at: Date | null; cron_expression: string | null; timezone: string }): string {
  if (c.schedule_at) return `at ${c.schedule_at.toISOString()}`;
  if (c.cron_expression) return `cron "${c.cron_expression}" (${c.timezone})`;
  return 'not scheduled';
}

export async function listCampaigns(db: Queryable, opts: { archived?: boolean } = {}): Promise<CampaignListItem[]> {
  const rows = await listCampaignRows(db, opts);
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    status: r.status,
    schedule: scheduleOf(r),
    recipients: r.recipients,
    createdAt: r.created_at.toISOString(),
    archivedAt: r.archived_at?.toISOString() ?? null,
  }));
}

/**
 * The one reading of a campaign's columns under the names the API, the CLI
 * and campaign files use (senderLines is `from`, burstPerLine `burst`...):
 * both the description and the definition take their fields from here.
 */
function fieldsOf(c: Campaign) {
  return {
    name: c.name,
    message: c.message,
    variants: c.variants,
    attachments: c.attachments,
    from: c.senderLines,
    fallback: c.fallbackWhen,
    fallbackFrom: c.fallbackFrom,
    fastTrack: c.fastTrack,
    timezone: c.timezone,
    // As definition input: null is "any time".
    window: c.windowStartMinute === null || c.windowEndMinute === null ? null : formatWindow(c.windowStartMinute, c.windowEndMinute),
    concurrency: c.concurrency,
    ratePerLine: c.ratePerLine,
    burst: c.burstPerLine,
    newContactsPerHour: c.newContactsPerHour,
    newContactsPerDay: c.newContactsPerDay,
    jitterMs: c.jitterMs,
    maxAttempts: c.maxAttempts,
    region: c.defaultRegion,
    csv: c.csvPath,
    readReceipt: c.careReadReceipt,
    tapback: c.careTapback,
    autoReply: c.careAutoReply,
    optOutConfirmation: c.optOutConfirmation,
    transactional: c.transactional,
    sendBy: c.sendBy?.toISOString() ?? null,
    recentContactHours: c.recentContactHours,
    onCap: c.onCap,
  };
}
type Fields = ReturnType<typeof fieldsOf>;

/** `keys` of `f`, in the order given (the order of the JSON the API and CLI print). */
function pick<K extends keyof Fields>(f: Fields, keys: readonly K[]): Pick<Fields, K> {
  return Object.fromEntries(keys.map((k) => [k, f[k]])) as Pick<Fields, K>;
}

const PACING = ['concurrency', 'ratePerLine', 'burst', 'newContactsPerHour', 'newContactsPerDay', 'jitterMs', 'maxAttempts'] as const;
/** A definition's fields, always present. */
const DEFINITION = ['name', 'message', 'variants', 'from', 'fallback', 'attachments', 'fastTrack', 'timezone', 'window', ...PACING, 'region', 'readReceipt', 'transactional', 'onCap'] as const;
/** A definition's fields left out when unset (null), as a definition written by hand leaves them out. */
const DEFINITION_OPTIONAL = ['fallbackFrom', 'csv', 'tapback', 'autoReply', 'optOutConfirmation', 'sendBy', 'recentContactHours'] as const;

export async function describeCampaign(prisma: PrismaClient, c: Campaign) {
  const [recipients, messages, imports] = await Promise.all([
    recipientCounts(prisma, c.id),
    messageCountsByStatus(prisma, c.id),
    prisma.import.findMany({ where: { campaignId: c.id }, orderBy: { id: 'desc' }, take: 50 }),
  ]);
  const f = fieldsOf(c);
  return {
    id: c.id,
    name: f.name,
    status: c.status,
    // Why the provider refused the account, where to fix it (status `blocked`); resume once fixed.
    blocked: c.status === 'blocked' ? { reason: c.blockedReason, url: c.blockedUrl, at: c.blockedAt?.toISOString() ?? null } : null,
    archivedAt: c.archivedAt?.toISOString() ?? null,
    ...pick(f, ['message', 'variants', 'attachments', 'from']),
    fallback: f.fallback.length ? { when: f.fallback, from: f.fallbackFrom } : null,
    fastTrack: f.fastTrack,
    schedule: scheduleOf({ schedule_at: c.scheduleAt, cron_expression: c.cronExpression, timezone: c.timezone }),
    at: c.scheduleAt?.toISOString() ?? null,
    cron: c.cronExpression,
    timezone: f.timezone,
    window: f.window ?? formatWindow(null, null),
    pacing: pick(f, PACING),
    ...pick(f, ['region', 'csv']),
    // What the legal rules make of it (src/compliance): transactional = the federal hours only.
    legal: {
      transactional: f.transactional,
      rules: legalRulesLabel(f.transactional),
      ...pick(f, ['sendBy', 'recentContactHours', 'onCap']),
    },
    recipients: {
      total: recipients.total,
      optedOut: recipients.opted_out,
      replied: recipients.replied,
      withTimezone: recipients.with_timezone,
    },
    messages,
    imports: imports.map((i) => ({
      id: i.id,
      file: i.fileName,
      status: i.status,
      total: i.totalRows,
      imported: i.imported,
      duplicates: i.duplicates,
      invalid: i.invalid,
      optedOut: i.optedOut,
      /** Rows left out, all downloadable: GET /api/imports/:id/rejections. */
      rejected: i.invalid + i.duplicates + i.optedOut,
      error: i.error,
      startedAt: i.startedAt.toISOString(),
      finishedAt: i.finishedAt?.toISOString() ?? null,
    })),
    createdAt: c.createdAt.toISOString(),
    /** The stored definition as input (what the dashboard's edit form overlays its changes on). */
    definition: definitionOf(c),
  };
}

/** A stored campaign as definition input (what an edit overlays its changes on), without its schedule. */
export function definitionOf(c: Campaign): Record<string, unknown> {
  const f = fieldsOf(c);
  const def: Record<string, unknown> = pick(f, DEFINITION);
  for (const [k, v] of Object.entries(pick(f, DEFINITION_OPTIONAL))) if (v !== null) def[k] = v;
  return def;
}
