import type pg from 'pg';
import { reportCampaignSummaries } from '../db/sql/report-campaign-summaries.ts';
import { outcomeRates, outcomes, type StatusCounts } from './definitions.ts';
import { STATUSES } from './schema.ts';

export interface CampaignSummary {
  id: number;
  name: string;
  status: string;
  scheduleAt: string | null;
  cronExpression: string | null;
  timezone: string;
  createdAt: string;
  /** When it was archived (left out of the default list); null otherwise. */
  archivedAt: string | null;
  /** Recipients loaded. */
  recipients: number;
  messages: number;
  /** Messages queued or being sent. */
  pending: number;
  /** Messages that reached an outcome / messages, 0..1; null without messages (src/reports/definitions.ts). */
  progress: number | null;
  sent: number;
  delivered: number;
  failed: number;
  unconfirmed: number;
  cancelled: number;
  repliers: number;
  /** Same definitions as the report's rates (src/reports/definitions.ts). */
  deliveryRate: number | null;
  replyRate: number | null;
}

/** The campaigns list of the dashboard, from the same counters and definitions as the reports. */
export async function listCampaignSummaries(pool: pg.Pool, opts: { limit?: number; archived?: boolean } = {}): Promise<CampaignSummary[]> {
  const rows = await reportCampaignSummaries(pool, opts.limit ?? 200, opts.archived === true);
  return rows.map((r) => {
    const byStatus = Object.fromEntries(STATUSES.map((s) => [s, Number(r.by_status[s] ?? 0)])) as unknown as StatusCounts;
    const o = outcomes(byStatus);
    const rates = outcomeRates(o);
    return {
      id: r.id,
      name: r.name,
      status: r.status,
      scheduleAt: r.schedule_at?.toISOString() ?? null,
      cronExpression: r.cron_expression,
      timezone: r.timezone,
      createdAt: r.created_at.toISOString(),
      archivedAt: r.archived_at?.toISOString() ?? null,
      recipients: r.recipients,
      messages: o.messages,
      pending: o.waiting,
      progress: rates.progress,
      sent: r.sent,
      delivered: o.delivered,
      failed: o.failed,
      unconfirmed: o.unconfirmed,
      cancelled: o.cancelled,
      repliers: r.repliers,
      deliveryRate: rates.delivery,
      replyRate: r.sent > 0 ? r.repliers / r.sent : null,
    };
  });
}
