import { z } from 'zod';
import { CAMPAIGN_MESSAGE_STATUSES } from '../lifecycle/message.ts';
import { OUTCOME_DEFINITIONS } from './definitions.ts';

/**
 * The report as the CLI's --json, the HTTP API and the dashboard see it. One
 * schema, so that the three agree by construction; buildReport() is its only
 * producer.
 */

const count = z.number().int();
const rate = z.number().min(0).nullable();
const isoTime = z.string().nullable();

/** The statuses a campaign message can have (the report counts kind 'campaign' only). */
export const STATUSES = CAMPAIGN_MESSAGE_STATUSES;
export type MessageStatus = (typeof STATUSES)[number];

/**
 * What every rate divides by, said once; the JSON carries these sentences so
 * that a reader of the numbers does not have to guess.
 */
export const RATE_DEFINITIONS = {
  sent: 'messages that reached the provider (a send was recorded), whatever their status is now',
  ...OUTCOME_DEFINITIONS,
  read: 'read / delivered',
  fallback: 'sent as SMS fallback / sent',
  reply: 'recipients who replied (once per run) / sent',
  optOut: 'recipients who replied with an opt-out word (once per run) / sent',
  spamFlagged: 'messages auto-reported or marked as spam / sent',
} as const;

export const lineReportSchema = z.object({
  /** The line really used, else the one asked for; null when neither is known yet. */
  line: z.string().nullable(),
  messages: count,
  sent: count,
  delivered: count,
  failed: count,
  unconfirmed: count,
  fallback: count,
  spamFlags: count,
  /** Contacts first reached on this line since midnight (campaign time zone), all campaigns. */
  newContactsToday: count,
});

export const runReportSchema = z.object({
  id: count,
  scheduledFor: z.string(),
  status: z.string(),
  catchUp: z.boolean(),
  startedAt: isoTime,
  completedAt: isoTime,
  messages: count,
  byStatus: z.record(z.enum(STATUSES), count),
  sent: count,
  delivered: count,
  read: count,
  failed: count,
  unconfirmed: count,
  replies: count,
  repliers: count,
  optOuts: count,
});

export const reportSchema = z.object({
  campaign: z.object({
    id: count,
    name: z.string(),
    status: z.string(),
    timezone: z.string(),
    cronExpression: z.string().nullable(),
    scheduleAt: isoTime,
    /** Which legal rules apply (src/compliance): transactional = the federal hours only. */
    legal: z.object({
      transactional: z.boolean(),
      rules: z.string(),
      sendBy: isoTime,
      recentContactHours: count.nullable(),
      onCap: z.enum(['wait', 'skip']),
    }),
  }),
  /** null: the whole campaign; otherwise the one run reported on. */
  runId: count.nullable(),
  generatedAt: z.string(),
  /** Campaign messages (kind 'campaign') by their current status; sums to totals.messages. */
  byStatus: z.record(z.enum(STATUSES), count),
  totals: z.object({
    messages: count,
    sent: count,
    delivered: count,
    read: count,
    failed: count,
    unconfirmed: count,
    fallback: count,
    cancelled: count,
    skippedOptedOut: count,
    /** Skipped by a frequency cap (the campaign's onCap "skip"). skippedOptedOut + skippedCapped = byStatus.skipped. */
    skippedCapped: count,
    /** Not sent by the campaign's send-by deadline. */
    expired: count,
    autoReportedSpam: count,
    markedSpam: count,
    spamFlagged: count,
    replies: count,
    repliers: count,
    optOuts: count,
  }),
  /** The messages by outcome (see src/reports/definitions.ts). */
  outcomes: z.object({
    messages: count,
    delivered: count,
    failed: count,
    unconfirmed: count,
    skipped: count,
    expired: count,
    cancelled: count,
    waiting: count,
    awaitingDelivery: count,
    deliveryOutcomes: count,
    reachedOutcome: count,
  }),
  rates: z.object({
    progress: rate,
    delivery: rate,
    failure: rate,
    unconfirmed: rate,
    read: rate,
    fallback: rate,
    reply: rate,
    optOut: rate,
    spamFlagged: rate,
  }),
  rateDefinitions: z.record(z.string(), z.string()),
  /**
   * Why messages wait, were skipped or expired, per rule (rule, jurisdiction,
   * until when): waiting counts queued messages held now; a message held by
   * two rules counts under each, so these do not sum to the statuses.
   */
  legalReasons: z.array(
    z.object({ state: z.enum(['waiting', 'skipped', 'expired']), rule: z.string(), jurisdiction: z.string(), messages: count, until: isoTime }),
  ),
  /** Failed messages grouped by cause (phone numbers and ids taken out), most frequent first. */
  failureReasons: z.array(z.object({ cause: z.string(), count, example: z.string() })),
  lines: z.array(lineReportSchema),
  timing: z.object({
    /** When the first run really started (not when it was scheduled). */
    startedAt: isoTime,
    /** When the last run finished; null while any run is still open. */
    completedAt: isoTime,
    firstSentAt: isoTime,
    lastSentAt: isoTime,
    /** sent / minutes between the first and the last send; null with fewer than two distinct send times. */
    messagesPerMinute: z.number().nullable(),
    deliveryLatencyMs: z.object({
      samples: count,
      p50: z.number().nullable(),
      p95: z.number().nullable(),
      /** exact: percentile_cont over the messages; histogram: interpolated in 2%-wide buckets. */
      method: z.enum(['exact', 'histogram']),
    }),
  }),
  runs: z.array(runReportSchema),
  /**
   * Webhook events that need a look, for the whole campaign (whatever runId):
   * stored although off their documented shape (processed leniently), and
   * dead-lettered (`bluecast webhooks dead-letters`). `all…`: every stored
   * event, since an odd one may name no campaign we can tell.
   */
  webhookEvents: z.object({ offShape: count, deadLettered: count, allOffShape: count, allDeadLettered: count }),
  recentReplies: z.array(
    z.object({ at: z.string(), from: z.string(), to: z.string(), body: z.string(), channel: z.string(), optOut: z.boolean() }),
  ),
});

export type Report = z.infer<typeof reportSchema>;
export type LineReport = z.infer<typeof lineReportSchema>;
export type RunReport = z.infer<typeof runReportSchema>;

/** The live chart's data: events per minute. */
export const timelineSchema = z.object({
  campaignId: count,
  runId: count.nullable(),
  /** Minute starts, seconds since the epoch (uPlot's x axis). */
  minutes: z.array(z.number()),
  sent: z.array(count),
  delivered: z.array(count),
  replies: z.array(count),
  failed: z.array(count),
});
export type Timeline = z.infer<typeof timelineSchema>;
