import { z } from 'zod';
import { findCampaignForImport } from '../../campaigns/definition.ts';
import type { Database } from '../../db/database.ts';
import { buildPlan, type PlanOptions } from '../../planner/plan.ts';
import { requireBearer } from '../auth.ts';
import { campaignParamsSchema, parseInput } from '../input.ts';
import type { RouteModule } from '../server.ts';

/** GET /api/campaigns/:id/plan?now=ISO: plan as of another instant (default now). */
export const planQuerySchema = z
  .object({
    now: z.iso.datetime({ offset: true }).optional(),
    /** Comma-separated E.164 phones to explain (earliest send time and the deciding rules). */
    explain: z
      .string()
      .regex(/^\+[1-9]\d{6,14}(,\+[1-9]\d{6,14}){0,99}$/, 'comma-separated E.164 numbers, at most 100')
      .optional(),
    /** Comma-separated E.164 recipients to preview (the rendered message for the next run id, its variant and the alternatives). */
    preview: z
      .string()
      .regex(/^\+[1-9]\d{6,14}(,\+[1-9]\d{6,14}){0,99}$/, 'comma-separated E.164 numbers, at most 100')
      .optional(),
  })
  .strict();

/**
 * GET /api/campaigns/:id/plan: the launch forecast (src/planner), the same
 * as `bluecast campaign plan --json`. Bearer token required; unknown campaign 404.
 */
export function planRoutes(deps: { db: Pick<Database, 'pool'>; apiToken: string | undefined; plan?: PlanOptions }): RouteModule {
  return (app) => {
    const auth = requireBearer(deps.apiToken);
    app.get('/api/campaigns/:id/plan', { onRequest: auth }, async (req) => {
      const { id } = parseInput(campaignParamsSchema, req.params, 'path');
      const q = parseInput(planQuerySchema, req.query ?? {}, 'querystring');
      const c = await findCampaignForImport(deps.db.pool, id);
      return buildPlan(deps.db.pool, c.id, q.now ? new Date(q.now) : new Date(), { ...deps.plan, explain: q.explain?.split(','), preview: q.preview?.split(',') });
    });
  };
}
