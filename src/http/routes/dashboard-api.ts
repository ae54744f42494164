import { z } from 'zod';
import { findCampaign } from '../../campaigns/definition.ts';
import { currentStatus, scheduleDraft } from '../../campaigns/status.ts';
import type { Database } from '../../db/database.ts';
import { ConflictError } from '../../lib/errors.ts';
import { requireBearer } from '../auth.ts';
import { campaignParamsSchema, parseInput } from '../input.ts';
import type { RouteModule } from '../server.ts';

export interface DashboardApiDeps {
  db: Pick<Database, 'prisma'>;
  apiToken: string | undefined;
}

export const scheduleBodySchema = z
  .object({ at: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time with Z or an offset' }).optional() })
  .strict();

/**
 * What the dashboard needs that the campaigns API (src/http/routes/campaigns.ts)
 * does not offer yet, bearer token required:
 *   POST /api/campaigns/:id/schedule  { at?: ISO time }  a draft → scheduled at `at` (default: now)
 * One conditional UPDATE: only a draft one-off campaign moves (draft → scheduled
 * is in the campaigns module's transition map); anything else is a 409.
 */
export function dashboardApiRoutes(deps: DashboardApiDeps): RouteModule {
  return (app) => {
    const auth = requireBearer(deps.apiToken);
    app.post('/api/campaigns/:id/schedule', { onRequest: auth }, async (req) => {
      const body = parseInput(scheduleBodySchema, req.body ?? {}, 'body');
      const c = await findCampaign(deps.db.prisma, parseInput(campaignParamsSchema, req.params, 'path').id);
      if (c.cronExpression) throw new ConflictError(`campaign "${c.name}" runs on its cron expression; it cannot be scheduled once`);
      const at = body.at ? new Date(body.at) : new Date();
      if (!(await scheduleDraft(deps.db.prisma, c.id, at))) {
        throw new ConflictError(`campaign "${c.name}" is ${await currentStatus(deps.db.prisma, c.id)}; only a draft can be scheduled`);
      }
      return { id: c.id, name: c.name, status: 'scheduled', scheduleAt: at.toISOString() };
    });
  };
}
