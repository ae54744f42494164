import { z } from 'zod';
import { findCampaign } from '../../campaigns/definition.ts';
import { rescheduleCampaign, scheduleCampaign, scheduleInputSchema, unscheduleCampaign, type LaunchGate, type SchedulePlan } from '../../campaigns/schedule.ts';
import type { Database } from '../../db/database.ts';
import { requireBearer } from '../auth.ts';
import { campaignParamsSchema, parseInput } from '../input.ts';
import type { RouteModule } from '../server.ts';

export interface DashboardApiDeps {
  db: Pick<Database, 'prisma' | 'pool'>;
  apiToken: string | undefined;
  /** The launch plan's blocks (src/planner/gate.ts): scheduling refuses them unless `ignoreBlocks`. */
  gate?: LaunchGate;
}

/** 409 when the launch plan has "block" checks and the body has no `ignoreBlocks: true`. */
export const launchBlockedSchema = z.object({
  error: z.string(),
  blocks: z.array(z.object({ id: z.string(), message: z.string(), fix: z.string() })).min(1),
  override: z.literal('ignoreBlocks'),
});

/**
 * What the dashboard needs that the campaigns API (src/http/routes/campaigns.ts)
 * does not offer yet, bearer token required. Bodies: `{ local }` (a wall-clock
 * time in the campaign's zone), `{ at }` (ISO with offset) or `{ now: true }`,
 * plus `dryRun: true` for the confirmation step (src/campaigns/schedule.ts):
 *   POST /api/campaigns/:id/schedule    a draft → scheduled (400 for a past time, 409 without recipients,
 *                                       409 launchBlockedSchema while the plan has "block" checks: `ignoreBlocks: true` overrides, logged)
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
    const logged = (log: { warn: (o: object, m: string) => void }, p: SchedulePlan) => {
      if (p.ignoredBlocks.length && !p.dryRun) log.warn({ campaignId: p.id, campaign: p.name, ignoredBlocks: p.ignoredBlocks, scheduleAt: p.scheduleAt }, 'scheduled despite blocking plan checks (ignoreBlocks)');
      return p;
    };
    app.post('/api/campaigns/:id/schedule', { onRequest: auth }, async (req) => {
      const body = parseInput(scheduleInputSchema, req.body ?? {}, 'body');
      return logged(req.log, await scheduleCampaign(deps.db.prisma, await findCampaign(deps.db.prisma, idOf(req)), body, new Date(), deps.gate));
    });
    app.post('/api/campaigns/:id/reschedule', { onRequest: auth }, async (req) => {
      const body = parseInput(scheduleInputSchema, req.body ?? {}, 'body');
      return logged(req.log, await rescheduleCampaign(deps.db.prisma, await findCampaign(deps.db.prisma, idOf(req)), body, new Date(), deps.gate));
    });
    app.post('/api/campaigns/:id/unschedule', { onRequest: auth }, async (req) => unscheduleCampaign(deps.db.prisma, await findCampaign(deps.db.prisma, idOf(req))));
  };
}
