import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CronExpressionParser } from 'cron-parser';
import { isSupportedCountry } from 'libphonenumber-js/max';
import cron from 'node-cron';
import { z } from 'zod';
import type { Database } from '../db/database.ts';
import { campaignForImport, campaignKey, type CampaignImportRow } from '../db/sql/campaign-lookup.sql.ts';
import { Prisma, type PrismaClient } from '../generated/prisma/client.ts';
import type { Campaign } from '../generated/prisma/client.ts';
import { ConflictError, NotFoundError, ValidationError } from '../lib/errors.ts';
import { isValidE164 } from '../lib/phone.ts';
import { compileTemplate } from './template.ts';
import { canonicalTimeZone, isValidTimeZone } from './timezone.ts';
import { tapbackSchema } from '../provider/schemas.ts';


/**
 * A campaign definition: the one schema behind `bluecast campaign create`'s
 * flags, campaigns/*.json files and POST /api/campaigns. Defaults follow the
 * provider's guidance (1 msg/s per line, bursts of 5, 20 new contacts per line
 * per hour and 100 per day, daytime sends) and match the column defaults.
 */

/** Five cron fields (or an @alias) that both cron-parser and node-cron accept. */
export function cronProblem(expr: string, timezone: string): string | undefined {
  const trimmed = expr.trim();
  const fields = trimmed.split(/\s+/);
  if (!trimmed.startsWith('@') && fields.length !== 5) {
    return `"${expr}" has ${fields.length} field(s); use five: minute hour day-of-month month day-of-week`;
  }
  try {
    CronExpressionParser.parse(trimmed, { tz: isValidTimeZone(timezone) ? timezone : 'UTC' }).next();
  } catch (err) {
    return `"${expr}" is not a valid cron expression: ${(err as Error).message}`;
  }
  if (!cron.validate(trimmed)) return `"${expr}" is not a valid cron expression`;
  return undefined;
}

const FALLBACK_WHEN = ['imessage_unsupported', 'imessage_fails'] as const;

const line = z.string().trim().refine(isValidE164, { message: 'must be a valid E.164 number, e.g. +14155552671' });

/** A list given as an array or as a comma-separated string (CLI flag). */
const list = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (v) =>
      typeof v === 'string'
        ? v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : v,
    z.array(item),
  );

const hhmm = /^([01]?\d|2[0-4]):([0-5]\d)$/;
function minutes(s: string): number | undefined {
  const m = hhmm.exec(s.trim());
  if (!m) return undefined;
  const v = Number(m[1]) * 60 + Number(m[2]);
  return v <= 24 * 60 ? v : undefined;
}

/** "09:00-21:00" → minutes after midnight; "any" (or null) → no window. */
const window = z.union([z.null(), z.string()]).transform((v, ctx): { start: number; end: number } | null => {
  if (v === null || /^(any|none|off)$/i.test(v.trim())) return null;
  const [a, b, ...rest] = v.split('-');
  const start = a === undefined ? undefined : minutes(a);
  const end = b === undefined ? undefined : minutes(b);
  if (rest.length || start === undefined || end === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a window: use HH:MM-HH:MM (e.g. 09:00-21:00) or "any"` });
    return z.NEVER;
  }
  if (start >= end) {
    ctx.addIssue({ code: 'custom', message: `"${v}": the window must end after it starts, within one day` });
    return z.NEVER;
  }
  if (end - start < MIN_WINDOW_MINUTES) {
    ctx.addIssue({ code: 'custom', message: `"${v}": the window must be at least ${MIN_WINDOW_MINUTES} minutes long` });
    return z.NEVER;
  }
  return { start, end };
});

/** A send window shorter than this leaves most of a campaign waiting for the next day. */
const MIN_WINDOW_MINUTES = 15;

/**
 * A number within [min, max] whose messages say what the field is and its
 * range, so that `ratePerLine: 1e-300` (messages would wait for ever) or a
 * concurrency of a million are refused with one clear line.
 */
const bounded = (what: string, min: number, max: number, integer = true) => {
  const range = `must be ${integer ? 'a whole number ' : ''}from ${min} to ${max} ${what}`;
  const n = z.coerce.number({ error: range }).refine(Number.isFinite, range);
  return (integer ? n.refine(Number.isInteger, range) : n).refine((v) => v >= min && v <= max, range);
};
const int = (min: number, max: number, what: string) => bounded(what, min, max);

/** The provider accepts at most this many attachments per message (openapi: maxItems 10). */
export const MAX_ATTACHMENTS = 10;

export const campaignDefinitionSchema = z
  .object({
    name: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'use letters, digits, ".", "_" and "-" (it is typed on the command line)')
      .refine((n) => !/^\d+$/.test(n), 'must not be all digits (numbers name campaigns by id)'),
    message: z.string().min(1, 'is required'),
    variants: z.array(z.string()).default([]),
    /** Sender lines (E.164) this campaign may use; empty lets the provider pick. */
    from: list(line).default([]),
    fallback: list(z.enum(FALLBACK_WHEN)).default([]),
    fallbackFrom: line.optional(),
    attachments: z
      .array(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }))
      .max(MAX_ATTACHMENTS, `at most ${MAX_ATTACHMENTS} attachments per message (the provider's limit)`)
      .default([]),
    fastTrack: z.boolean().default(false),
    /** One-off send time, ISO 8601 with Z or an offset. */
    at: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time with Z or an offset, e.g. 2025-06-01T14:00:00Z' }).optional(),
    cron: z.string().min(1).optional(),
    timezone: z.string().default('America/New_York'),
    window: window.default({ start: 9 * 60, end: 21 * 60 }),
    concurrency: int(1, 256, 'sends in flight').default(8),
    // One message per 100 s per line at the slowest: below that a campaign never ends.
    ratePerLine: bounded('messages per second per line', 0.01, 100, false).default(1),
    burst: int(1, 100, 'messages per line').default(5),
    newContactsPerHour: int(1, 10_000, 'new contacts per line per hour').default(20),
    newContactsPerDay: int(1, 100_000, 'new contacts per line per day').default(100),
    jitterMs: int(0, 60_000, 'milliseconds').default(400),
    maxAttempts: int(1, 20, 'attempts').default(5),
    /** Country for numbers written without a country code. */
    region: z
      .string()
      .trim()
      .toUpperCase()
      .refine((r) => isSupportedCountry(r), 'must be a two-letter country code, e.g. US')
      .default('US'),
    /** CSV of recipients; in a file, relative to the file. */
    csv: z.string().min(1).optional(),
    readReceipt: z.boolean().default(false),
    // The provider's own tapback names, so that care never sends one it refuses.
    tapback: tapbackSchema.optional(),
    autoReply: z.string().min(1).optional(),
    optOutConfirmation: z.string().min(1).optional(),
    /**
     * Not marketing (receipts, reminders a person asked for): only the rules
     * that apply to every text (the federal 08:00-21:00) and the campaign's own
     * limits; the state hours and marketing caps do not (src/compliance).
     */
    transactional: z.boolean().default(false),
    /** Nothing goes out at or after this time: what has not gone by then is expired, never sent late. */
    sendBy: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time with Z or an offset, e.g. 2025-06-01T20:00:00Z' }).optional(),
    /** Skip (or hold, per onCap) people any campaign messaged within this many hours. */
    recentContactHours: int(1, 24 * 366, 'hours').optional(),
    /** A message a frequency cap blocks waits until the cap frees up, or is skipped. */
    onCap: z.enum(['wait', 'skip'], { error: 'must be "wait" or "skip"' }).default('wait'),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.at && d.cron) ctx.addIssue({ code: 'custom', path: ['at'], message: 'give either a one-off time (at) or a cron expression, not both' });
    if (!isValidTimeZone(d.timezone)) ctx.addIssue({ code: 'custom', path: ['timezone'], message: `unknown time zone "${d.timezone}" (use an IANA name such as America/New_York)` });
    if (d.cron) {
      const problem = cronProblem(d.cron, d.timezone);
      if (problem) ctx.addIssue({ code: 'custom', path: ['cron'], message: problem });
    }
    if (d.newContactsPerHour > d.newContactsPerDay) {
      ctx.addIssue({ code: 'custom', path: ['newContactsPerHour'], message: `${d.newContactsPerHour} a hour is more than newContactsPerDay (${d.newContactsPerDay})` });
    }
    if (d.sendBy && d.at && Date.parse(d.sendBy) <= Date.parse(d.at)) {
      ctx.addIssue({ code: 'custom', path: ['sendBy'], message: `${d.sendBy} is not after the send time (at ${d.at}): nothing could go out` });
    }
    if (d.fallbackFrom && d.fallback.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['fallbackFrom'], message: 'needs a fallback condition (imessage_unsupported and/or imessage_fails)' });
    }
    try {
      compileTemplate(d.message, d.variants);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      for (const i of err.issues) ctx.addIssue({ code: 'custom', path: i.path.split(/[[\].]+/).filter(Boolean), message: i.message });
    }
  });

export type CampaignDefinitionInput = z.input<typeof campaignDefinitionSchema>;
export type CampaignDefinition = z.output<typeof campaignDefinitionSchema>;

function issuePath(p: readonly PropertyKey[]): string {
  return p.map((k) => (typeof k === 'number' ? `[${k}]` : String(k))).join('.').replace(/\.\[/g, '[');
}

/** Validate a definition; throws ValidationError naming each bad field. */
export function parseCampaignDefinition(input: unknown, where?: string): CampaignDefinition {
  const res = campaignDefinitionSchema.safeParse(input);
  if (!res.success) throw new ValidationError(res.error.issues.map((i) => ({ path: issuePath(i.path), message: i.message })), where);
  return res.data;
}

/**
 * The raw content of campaigns/NAME.json (a JSON object), with its `csv`
 * resolved relative to the file so the pair can move together. Not yet
 * validated: the CLI lays its flags over it first.
 */
export async function readCampaignFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ValidationError([{ path: '', message: `cannot read: ${(err as Error).message}` }], file);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ValidationError([{ path: '', message: `not valid JSON: ${(err as Error).message}` }], file);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new ValidationError([{ path: '', message: 'must be a JSON object' }], file);
  const raw = { ...(json as Record<string, unknown>) };
  if (typeof raw.csv === 'string' && raw.csv) raw.csv = path.resolve(path.dirname(file), raw.csv);
  return raw;
}

/** Read and validate campaigns/NAME.json. */
export async function loadCampaignFile(file: string): Promise<CampaignDefinition> {
  return parseCampaignDefinition(await readCampaignFile(file), file);
}

/** The campaigns row for a validated definition. */
export function campaignData(def: CampaignDefinition): Prisma.CampaignCreateInput {
  return {
    name: def.name,
    message: def.message,
    variants: def.variants,
    attachments: def.attachments,
    senderLines: def.from,
    fallbackWhen: def.fallback,
    fallbackFrom: def.fallbackFrom ?? null,
    fastTrack: def.fastTrack,
    scheduleAt: def.at ? new Date(def.at) : null,
    cronExpression: def.cron?.trim() ?? null,
    timezone: canonicalTimeZone(def.timezone) ?? def.timezone,
    windowStartMinute: def.window?.start ?? null,
    windowEndMinute: def.window?.end ?? null,
    concurrency: def.concurrency,
    ratePerLine: def.ratePerLine,
    burstPerLine: def.burst,
    newContactsPerHour: def.newContactsPerHour,
    newContactsPerDay: def.newContactsPerDay,
    jitterMs: def.jitterMs,
    maxAttempts: def.maxAttempts,
    defaultRegion: def.region,
    csvPath: def.csv ?? null,
    careReadReceipt: def.readReceipt,
    careTapback: def.tapback ?? null,
    careAutoReply: def.autoReply ?? null,
    optOutConfirmation: def.optOutConfirmation ?? null,
    transactional: def.transactional,
    sendBy: def.sendBy ? new Date(def.sendBy) : null,
    recentContactHours: def.recentContactHours ?? null,
    onCap: def.onCap,
    // With a time to send it is scheduled; without, a draft until started.
    status: def.at || def.cron ? 'scheduled' : 'draft',
  };
}

/** Validate and insert; a taken name is a ConflictError. */
export async function createCampaign(db: Pick<Database, 'prisma'>, input: unknown, where?: string): Promise<Campaign> {
  return insertCampaign(db, parseCampaignDefinition(input, where));
}

/** Insert a definition already validated; a taken name is a ConflictError. */
export async function insertCampaign(db: Pick<Database, 'prisma'>, def: CampaignDefinition): Promise<Campaign> {
  try {
    return await db.prisma.campaign.create({ data: campaignData(def) });
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
      throw new ConflictError(`a campaign named "${def.name}" already exists`);
    }
    throw err;
  }
}

/** By id (digits) or by name; NotFoundError names what was asked for. */
export async function findCampaign(prisma: PrismaClient, nameOrId: string | number): Promise<Campaign> {
  const key = String(nameOrId).trim();
  const ref = campaignKey(key);
  const found = !ref ? null : 'id' in ref ? await prisma.campaign.findUnique({ where: { id: ref.id } }) : await prisma.campaign.findUnique({ where: { name: ref.name } });
  if (!found) throw new NotFoundError(`campaign "${key}" not found`);
  return found;
}

/** findCampaign on the raw pool, for bulk paths that keep Prisma unloaded (see campaignForImport). */
export async function findCampaignForImport(pool: Pick<Database, 'pool'>['pool'], nameOrId: string | number): Promise<CampaignImportRow> {
  const key = String(nameOrId).trim();
  const found = await campaignForImport(pool, key);
  if (!found) throw new NotFoundError(`campaign "${key}" not found`);
  return found;
}

