import type pg from 'pg';
import { reportSeries } from '../db/sql/report-series.ts';
import type { Timeline } from './schema.ts';

/** Most points a chart gets; longer campaigns are shown in wider buckets. */
const MAX_POINTS = 720;

/**
 * Sends, deliveries, failures and replies per minute for the live chart, from
 * the per-minute series the triggers keep. Minutes without events are filled
 * with zeros so the chart shows pauses as pauses; a campaign longer than
 * MAX_POINTS minutes is coarsened to whole multiples of a minute.
 */
export async function buildTimeline(pool: pg.Pool, campaignId: number, runId: number | null = null): Promise<Timeline> {
  const rows = await reportSeries(pool, campaignId, runId, ['sent', 'delivered', 'replies', 'failed']);
  const empty: Timeline = { campaignId, runId, minutes: [], sent: [], delivered: [], replies: [], failed: [] };
  if (rows.length === 0) return empty;
  const first = Math.min(...rows.map((r) => r.bucket));
  const last = Math.max(...rows.map((r) => r.bucket));
  const step = Math.max(1, Math.ceil((last - first + 1) / MAX_POINTS));
  const points = Math.floor((last - first) / step) + 1;
  const series = { sent: new Array<number>(points).fill(0), delivered: new Array<number>(points).fill(0), replies: new Array<number>(points).fill(0), failed: new Array<number>(points).fill(0) };
  for (const r of rows) {
    if (r.metric === 'latency' || r.metric === 'read') continue;
    series[r.metric][Math.floor((r.bucket - first) / step)]! += r.n;
  }
  return {
    ...empty,
    minutes: Array.from({ length: points }, (_, i) => (first + i * step) * 60),
    ...series,
  };
}
