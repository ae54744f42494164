import type pg from 'pg';
import { z } from 'zod';
import { buildReport, reportScope } from '../../reports/build.ts';
import { recipientsCsvStream } from '../../reports/csv.ts';
import { liveState } from '../../reports/live-state.ts';
import { lookupRecipient } from '../../reports/recipient-lookup.ts';
import { listCampaignSummaries } from '../../reports/summaries.ts';
import { buildTimeline } from '../../reports/timeline.ts';
import { requireBearer } from '../auth.ts';
import { campaignParamsSchema, parseInput, runIdSchema } from '../input.ts';
import type { RouteModule } from '../server.ts';

export interface ReportRouteDeps {
  pool: pg.Pool;
  /** BLUECAST_API_TOKEN; without it the routes answer 503 (requireBearer). */
  apiToken: string | undefined;
  /** BLUECAST_LEGAL_WINDOWS, named in the report. */
  legalWindows?: 'on' | 'off';
}

export const reportQuerySchema = z.object({
  run: runIdSchema.optional(),
});

/** GET /api/reports/campaigns: archived campaigns too when asked for. */
export const campaignSummariesQuerySchema = z.object({ archived: z.enum(['true', 'false']).optional() }).strict();

/** GET /api/campaigns/:id/report/recipient: the number as typed (the campaign's region reads it). */
export const recipientLookupQuerySchema = z.object({ phone: z.string().trim().min(1, 'type a phone number').max(40, 'too long for a phone number') }).strict();

/** "attachment; filename=…" safe for any campaign name. */
function attachmentName(name: string, runId: number | null): string {
  const base = `${name}${runId === null ? '' : `-run-${runId}`}-recipients.csv`;
  const ascii = base.replace(/[^A-Za-z0-9._-]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(base)}`;
}

/**
 * The report API, bearer token required. `:id` is a campaign id or name.
 *   GET /api/campaigns/:id/report[?run=ID]           the report (same JSON as `bluecast report --json`)
 *   GET /api/campaigns/:id/report/timeline[?run=ID]  events per minute for the live chart
 *   GET /api/campaigns/:id/report/csv[?run=ID]       one row per recipient, streamed
 *   GET /api/campaigns/:id/report/waiting            why unsent messages wait, with counts and until when
 *   GET /api/campaigns/:id/report/recipient?phone=   one person's timeline in the campaign (messages, replies, consent)
 *   GET /api/reports/campaigns[?archived=true]       every campaign's status, progress and key rates (archived ones when asked)
 */
export function reportRoutes(deps: ReportRouteDeps): RouteModule {
  return (app) => {
    const auth = requireBearer(deps.apiToken);
    const campaignOf = (id: string) => reportScope(deps.pool, id, null);

    app.get('/api/campaigns/:id/report', { onRequest: auth }, async (req) => {
      const { id } = parseInput(campaignParamsSchema, req.params, 'path');
      const { run } = parseInput(reportQuerySchema, req.query, 'query');
      return buildReport(deps.pool, id, { runId: run ?? null, legalWindows: deps.legalWindows });
    });

    app.get('/api/campaigns/:id/report/timeline', { onRequest: auth }, async (req) => {
      const { id } = parseInput(campaignParamsSchema, req.params, 'path');
      const { run } = parseInput(reportQuerySchema, req.query, 'query');
      const c = await campaignOf(id);
      return buildTimeline(deps.pool, c.id, run ?? null);
    });

    app.get('/api/campaigns/:id/report/csv', { onRequest: auth }, async (req, reply) => {
      const { id } = parseInput(campaignParamsSchema, req.params, 'path');
      const { run } = parseInput(reportQuerySchema, req.query, 'query');
      // An unknown campaign or run is a 404 before any byte is sent.
      const c = await reportScope(deps.pool, id, run ?? null);
      const stream = await recipientsCsvStream(deps.pool, c.id, run ?? null);
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', attachmentName(c.name, run ?? null))
        .header('cache-control', 'no-store')
        .send(stream);
    });

    app.get('/api/campaigns/:id/report/waiting', { onRequest: auth }, async (req) => {
      const { id } = parseInput(campaignParamsSchema, req.params, 'path');
      const c = await campaignOf(id);
      return liveState(deps.pool, c.id);
    });

    app.get('/api/campaigns/:id/report/recipient', { onRequest: auth }, async (req) => {
      const { id } = parseInput(campaignParamsSchema, req.params, 'path');
      const { phone } = parseInput(recipientLookupQuerySchema, req.query ?? {}, 'query');
      const c = await campaignOf(id);
      return lookupRecipient(deps.pool, c.id, phone);
    });

    app.get('/api/reports/campaigns', { onRequest: auth }, async (req) => {
      const q = parseInput(campaignSummariesQuerySchema, req.query ?? {}, 'query');
      return { campaigns: await listCampaignSummaries(deps.pool, { archived: q.archived === 'true' }) };
    });
  };
}
