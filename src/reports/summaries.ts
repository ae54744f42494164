import type pg from 'pg';
import { reportCampaignSummaries } from '../db/sql/report-campaign-summaries.ts';

export interface CampaignSummary {
  id: number;
  name: string;
  status: string;
  scheduleAt: string | null;
  cronExpression: string | null;
  timezone: string;
  createdAt: string;
  messages: number;
  /** Messages not yet settled (queued or being sent). */
  pending: number;
  /** Share of messages settled (anything but queued or sending), 0..1; null without messages. */
  progress: number | null;
  sent: number;
  delivered: number;
  failed: number;
  repliers: number;
  /** Same definitions as the report's rates (RATE_DEFINITIONS). */
  deliveryRate: number | null;
  replyRate: number | null;
}

/** The campaigns list of the dashboard, from the same counters as the reports. */
export async function listCampaignSummaries(pool: pg.Pool, limit = 200): Promise<CampaignSummary[]> {
  const rows = await reportCampaignSummaries(pool, limit);
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    status: r.status,
    scheduleAt: r.schedule_at?.toISOString() ?? null,
    cronExpression: r.cron_expression,
    timezone: r.timezone,
    createdAt: r.created_at.toISOString(),
    messages: r.messages,
    pending: r.pending,
    progress: r.messages > 0 ? (r.messages - r.pending) / r.messages : null,
    sent: r.sent,
    delivered: r.delivered,
    failed: r.failed,
    repliers: r.repliers,
    deliveryRate: r.sent > 0 ? r.delivered / r.sent : null,
    replyRate: r.sent > 0 ? r.repliers / r.sent : null,
  }));
}
