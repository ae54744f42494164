import { z } from 'zod';
import { findCampaign } from '../../campaigns/definition.ts';
import { rescheduleCampaign, scheduleCampaign, scheduleInputSchema, unscheduleCampaign } from '../../campaigns/schedule.ts';
import type { Database } from '../../db/database.ts';
import { requireBearer } from '../auth.ts';
import { campaignParamsSchema, parseInput } from '../input.ts';
import type { RouteModule } from '../server.ts';

export interface DashboardApiDeps {
  db: Pick<Database, 'prisma' | 'pool'>;
  apiToken: string | undefined;
}

/**
 * What the dashboard needs that the campaigns API (src/http/routes/campaigns.ts)
 * does not offer yet, bearer token required. Bodies: `{ local }` (a wall-clock
 * time in the campaign's zone), `{ at }` (ISO with offset) or `{ now: true }`,
 * plus `dryRun: true` for the confirmation step (src/campaigns/schedule.ts):
 *   POST /api/campaigns/:id/schedule    a draft → scheduled (400 for a past time, 409 without recipients)
 *   POST /api/campaigns/:id/reschedule  a new time, while no run has started
 *   POST /api/campaigns/:id/unschedule  scheduled → draft, while no run has started
 *   POST /api/campaigns/:id/retry-failed { includeUnconfirmed?: boolean }  the CLI's retry-failed
 *     (FOLD: #13 adds this route with its use case; keep theirs and drop this one)
 */

export function dashboardApiRoutes(deps: DashboardApiDeps): RouteModule {
  return (app) => {
    const auth = requireBearer(deps.apiToken);
    // Ids checked at the edge (src/http/input.ts), like every /api/campaigns/:id route.
    const idOf = (req: { params: unknown }) => parseInput(campaignParamsSchema, req.params, 'path').id;
    app.post('/api/campaigns/:id/schedule', { onRequest: auth }, async (req) => {
      const body = parseInput(scheduleInputSchema, req.body ?? {}, 'body');
      return scheduleCampaign(deps.db.prisma, await findCampaign(deps.db.prisma, idOf(req)), body);
    });
    app.post('/api/campaigns/:id/reschedule', { onRequest: auth }, async (req) => {
      const body = parseInput(scheduleInputSchema, req.body ?? {}, 'body');
      return rescheduleCampaign(deps.db.prisma, await findCampaign(deps.db.prisma, idOf(req)), body);
    });
    app.post('/api/campaigns/:id/unschedule', { onRequest: auth }, async (req) => unscheduleCampaign(deps.db.prisma, await findCampaign(deps.db.prisma, idOf(req))));
  };
}
