import type pg from 'pg';
import { legalRulesLabel } from '../campaigns/rules-label.ts';
import { reportCampaign, type ReportCampaignRow } from '../db/sql/report-campaign.ts';
import { reportCounts, type ReportCountRow } from '../db/sql/report-counts.ts';
import { reportExactLatency } from '../db/sql/report-exact-latency.ts';
import { reportLineNewContacts } from '../db/sql/report-line-new-contacts.ts';
import { inTransaction, type Queryable } from '../db/sql/queryable.ts';
import { reportRecentReplies } from '../db/sql/report-recent-replies.ts';
import { reportReplies, type ReportRepliesRow } from '../db/sql/report-replies.ts';
import { reportRuns } from '../db/sql/report-runs.ts';
import { reportSeries } from '../db/sql/report-series.ts';
import { reportWebhookEvents } from '../db/sql/report-webhook-events.ts';
import { closedByRules, legalReasonsByRule } from '../db/sql/report-waiting.ts';
import { NotFoundError } from '../lib/errors.ts';
import { outcomeRates, outcomes } from './definitions.ts';
import { histogramPercentile } from './percentiles.ts';
import { groupFailureReasons } from './reasons.ts';
import { RATE_DEFINITIONS, STATUSES, type LineReport, type MessageStatus, type Report, type RunReport } from './schema.ts';

export interface BuildReportOptions {
  /** Report on one run of the campaign only. */
  runId?: number | null;
  /** The deployment's BLUECAST_LEGAL_WINDOWS, so the report says whether the legal rules held anything. Default 'on'. */
  legalWindows?: 'on' | 'off';
  /**
   * Up to this many messages in scope, p50/p95 are exact (percentile_cont over
   * the messages); above it they come from the histogram, which costs the
   * same whatever the size.
   */
  exactLatencyLimit?: number;
  recentReplies?: number;
  maxRuns?: number;
  /** The time legal holds are judged at (still in force or not); default now. */
  now?: Date;
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
const ratio = (num: number, den: number) => (den > 0 ? num / den : null);

function emptyByStatus(): Record<MessageStatus, number> {
  return Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<MessageStatus, number>;
}

interface Tally {
  messages: number;
  byStatus: Record<MessageStatus, number>;
  sent: number;
  delivered: number;
  read: number;
  fallback: number;
  autoReportedSpam: number;
  markedSpam: number;
  spam: number;
  firstSentAt: Date | null;
  lastSentAt: Date | null;
}

function tally(rows: ReportCountRow[]): Tally {
  const t: Tally = {
    messages: 0, byStatus: emptyByStatus(), sent: 0, delivered: 0, read: 0, fallback: 0,
    autoReportedSpam: 0, markedSpam: 0, spam: 0, firstSentAt: null, lastSentAt: null,
  };
  for (const r of rows) {
    t.messages += r.messages;
    t.byStatus[r.status] += r.messages;
    t.sent += r.sent;
    t.delivered += r.delivered;
    t.read += r.read;
    t.fallback += r.fallback;
    t.autoReportedSpam += r.auto_reported_spam;
    t.markedSpam += r.marked_spam;
    t.spam += r.spam;
    if (r.first_sent_at && (!t.firstSentAt || r.first_sent_at < t.firstSentAt)) t.firstSentAt = r.first_sent_at;
    if (r.last_sent_at && (!t.lastSentAt || r.last_sent_at > t.lastSentAt)) t.lastSentAt = r.last_sent_at;
  }
  return t;
}

function replyTotals(rows: ReportRepliesRow[]) {
  return rows.reduce(
    (a, r) => ({ replies: a.replies + r.replies, repliers: a.repliers + r.repliers, optOuts: a.optOuts + r.opted_out + r.unlinked_opt_outs }),
    { replies: 0, repliers: 0, optOuts: 0 },
  );
}

function failureReasons(rows: ReportCountRow[]): Report['failureReasons'] {
  return groupFailureReasons(
    rows.filter((r) => r.status === 'failed').map((r) => ({ reason: r.failure_reason ?? 'unknown', count: r.messages })),
  );
}

function lineReports(rows: ReportCountRow[], newContacts: Map<string, number>): LineReport[] {
  const byLine = new Map<string | null, ReportCountRow[]>();
  for (const r of rows) byLine.set(r.line, [...(byLine.get(r.line) ?? []), r]);
  const lines: LineReport[] = [];
  for (const [line, lineRows] of byLine) {
    const t = tally(lineRows);
    // Messages not yet given a line are progress, not a line's record.
    if (line === null && t.sent === 0 && t.byStatus.failed === 0 && t.byStatus.unconfirmed === 0) continue;
    lines.push({
      line,
      messages: t.messages,
      sent: t.sent,
      delivered: t.delivered,
      failed: t.byStatus.failed,
      unconfirmed: t.byStatus.unconfirmed,
      fallback: t.fallback,
      spamFlags: t.spam,
      newContactsToday: line === null ? 0 : (newContacts.get(line) ?? 0),
    });
  }
  return lines.sort((a, b) => b.sent - a.sent || (a.line ?? '').localeCompare(b.line ?? ''));
}

function inSnapshot<T>(pool: pg.Pool, fn: (db: Queryable) => Promise<T>): Promise<T> {
  // One snapshot for every statement: the sections of a report agree with
  // each other even while the worker and the webhooks keep writing.
  return inTransaction(pool, fn, (c) => c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'));
}

/**
 * The report of a campaign (by id or name), or of one of its runs: the one
 * producer of what `bluecast report`, GET /api/campaigns/:id/report and the
 * dashboard show. Reads the rollups kept by the report_rollups triggers, so
 * its cost does not grow with the number of messages.
 */
export async function buildReport(pool: pg.Pool, campaign: number | string, opts: BuildReportOptions = {}): Promise<Report> {
  const runId = opts.runId ?? null;
  return inSnapshot(pool, async (db) => assemble(db, await reportScope(db, campaign, runId), runId, opts));
}

/**
 * What a report is about: the campaign (by id or name) and, when one is
 * asked for, its run; NotFoundError otherwise. The CSV export checks this
 * before sending a byte, without building the report.
 */
export async function reportScope(db: Queryable, campaign: number | string, runId: number | null): Promise<ReportCampaignRow> {
  const c = await reportCampaign(db, campaign);
  if (!c) throw new NotFoundError(`campaign ${JSON.stringify(String(campaign))} not found`);
  if (runId !== null && (await reportRuns(db, c.id, runId, 1)).length === 0) throw new NotFoundError(`campaign ${c.name} has no run ${runId}`);
  return c;
}

async function assemble(db: Queryable, c: ReportCampaignRow, runId: number | null, opts: BuildReportOptions): Promise<Report> {
  const runs = await reportRuns(db, c.id, runId, opts.maxRuns ?? 200);
  const counts = await reportCounts(db, c.id, runId);
  const replies = await reportReplies(db, c.id, runId);
  const t = tally(counts);
  const r = replyTotals(replies);
  const o = outcomes(t.byStatus);
  const now = opts.now ?? new Date();
  const legalReasons = await legalReasonsByRule(db, { campaignId: c.id, runId, now });
  const closed = await closedByRules(db, { campaignId: c.id, runId });
  const or = outcomeRates(o);

  let latency: Report['timing']['deliveryLatencyMs'];
  if (t.messages <= (opts.exactLatencyLimit ?? 20_000)) {
    const exact = await reportExactLatency(db, c.id, runId);
    latency = { samples: exact.samples, p50: exact.p50_ms, p95: exact.p95_ms, method: 'exact' };
  } else {
    const hist = await reportSeries(db, c.id, runId, ['latency']);
    latency = {
      samples: hist.reduce((s, b) => s + b.n, 0),
      p50: histogramPercentile(hist, 0.5),
      p95: histogramPercentile(hist, 0.95),
      method: 'histogram',
    };
  }

  const namedLines = [...new Set(counts.map((row) => row.line).filter((l): l is string => l !== null))];
  const newContacts = await reportLineNewContacts(db, namedLines, c.timezone);
  const recent = await reportRecentReplies(db, c.id, runId, opts.recentReplies ?? 20);
  const odd = await reportWebhookEvents(db, c.id);

  const spanMs = t.firstSentAt && t.lastSentAt ? t.lastSentAt.getTime() - t.firstSentAt.getTime() : 0;
  const runReports: RunReport[] = runs.map((run) => {
    const rt = tally(counts.filter((row) => row.run_id === run.id));
    const rr = replyTotals(replies.filter((row) => row.run_id === run.id));
    return {
      id: run.id,
      scheduledFor: run.scheduled_for.toISOString(),
      status: run.status,
      catchUp: run.catch_up,
      startedAt: iso(run.started_at),
      completedAt: iso(run.completed_at),
      messages: rt.messages,
      byStatus: rt.byStatus,
      sent: rt.sent,
      delivered: rt.delivered,
      read: rt.read,
      failed: rt.byStatus.failed,
      unconfirmed: rt.byStatus.unconfirmed,
      replies: rr.replies,
      repliers: rr.repliers,
      optOuts: rr.optOuts,
    };
  });

  return {
    campaign: {
      id: c.id,
      name: c.name,
      status: c.status,
      timezone: c.timezone,
      cronExpression: c.cron_expression,
      scheduleAt: iso(c.schedule_at),
      legal: {
        transactional: c.transactional,
        rules: legalRulesLabel(c.transactional, opts.legalWindows),
        sendBy: iso(c.send_by),
        recentContactHours: c.recent_contact_hours,
        onCap: c.on_cap === 'skip' ? 'skip' : 'wait',
      },
    },
    runId,
    generatedAt: new Date().toISOString(),
    byStatus: t.byStatus,
    totals: {
      messages: t.messages,
      sent: t.sent,
      delivered: t.delivered,
      read: t.read,
      failed: t.byStatus.failed,
      unconfirmed: t.byStatus.unconfirmed,
      fallback: t.fallback,
      cancelled: t.byStatus.cancelled,
      skippedOptedOut: t.byStatus.skipped - closed.skipped,
      skippedCapped: closed.skipped,
      expired: t.byStatus.expired,
      autoReportedSpam: t.autoReportedSpam,
      markedSpam: t.markedSpam,
      spamFlagged: t.spam,
      replies: r.replies,
      repliers: r.repliers,
      optOuts: r.optOuts,
    },
    outcomes: o,
    rates: {
      ...or,
      read: ratio(t.read, t.delivered),
      fallback: ratio(t.fallback, t.sent),
      reply: ratio(r.repliers, t.sent),
      optOut: ratio(r.optOuts, t.sent),
      spamFlagged: ratio(t.spam, t.sent),
    },
    rateDefinitions: { ...RATE_DEFINITIONS },
    legalReasons: legalReasons.map((l) => ({ ...l, until: iso(l.until) })),
    failureReasons: failureReasons(counts),
    lines: lineReports(counts, newContacts),
    timing: {
      startedAt: runId === null ? iso(c.started_at) : (runReports[0]?.startedAt ?? null),
      completedAt: runId === null ? iso(c.completed_at) : (runReports[0]?.completedAt ?? null),
      firstSentAt: iso(t.firstSentAt),
      lastSentAt: iso(t.lastSentAt),
      // Over the sending span, but never a span shorter than the minute it is per:
      // 2 sends 74 ms apart are 2 a minute, not 1,621.
      messagesPerMinute: t.sent > 0 ? t.sent / (Math.max(spanMs, 60_000) / 60_000) : null,
      deliveryLatencyMs: latency,
    },
    runs: runReports,
    webhookEvents: { offShape: odd.off_shape, deadLettered: odd.dead_lettered, allOffShape: odd.all_off_shape, allDeadLettered: odd.all_dead_lettered },
    recentReplies: recent.map((m) => ({
      at: m.sent_at.toISOString(),
      from: m.from_phone,
      to: m.to_line,
      body: m.body,
      channel: m.channel,
      optOut: m.is_opt_out,
    })),
  };
}
