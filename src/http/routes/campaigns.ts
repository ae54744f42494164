import { campaignDefinitionSchema, findCampaign, parseCampaignDefinition } from '../../campaigns/definition.ts';
import { createCampaignGated } from '../../campaigns/create-scheduled.ts';
import type { LaunchGate } from '../../campaigns/schedule.ts';
import type { Logger } from '../../lib/logger.ts';
import { describeCampaign, listCampaigns } from '../../campaigns/describe.ts';
import { archiveCampaign, campaignEditSchema, duplicateBodySchema, duplicateCampaign, editDraftCampaign, unarchiveCampaign } from '../../campaigns/manage.ts';
import { retryFailedMessages } from '../../campaigns/retry-failed.ts';
import { cancelCampaign, pauseCampaign, resumeCampaign } from '../../campaigns/status.ts';
import type { Database } from '../../db/database.ts';
import { ValidationError } from '../../lib/errors.ts';
import { requireBearer } from '../auth.ts';
import { campaignParamsSchema, parseInput } from '../input.ts';
import type { RouteModule } from '../server.ts';
import { z } from 'zod';

/** POST /api/campaigns/:id/retry-failed: unconfirmed messages are re-sent only when asked. */
export const retryFailedBodySchema = z.object({ includeUnconfirmed: z.boolean().optional() }).strict();

/** GET /api/campaigns: archived campaigns only when asked for. */
export const campaignListQuerySchema = z.object({ archived: z.enum(['true', 'false']).optional() }).strict();

export { campaignEditSchema, duplicateBodySchema };

/** POST /api/campaigns: the campaign definition, plus `ignoreBlocks` to schedule an `at` over the launch plan's blocks (logged). */
export const campaignCreateBodySchema = campaignDefinitionSchema.safeExtend({ ignoreBlocks: z.boolean().optional() });
const ignoreBlocksSchema = z.boolean({ error: 'must be true or false' }).optional();

export interface CampaignRouteDeps {
  db: Pick<Database, 'prisma' | 'pool'>;
  /** BLUECAST_API_TOKEN; without it the routes answer 503 (requireBearer). */
  apiToken: string | undefined;
  /** The launch gate (planner/gate.ts): a campaign created with `at` is scheduled only through it. */
  gate?: LaunchGate;
  logger?: Logger;
}

const idOf = (params: unknown): string => parseInput(campaignParamsSchema, params, 'path').id;

/**
 * The campaigns API, bearer token required. `:id` is a campaign id or name.
 *   GET  /api/campaigns                  list with recipient counts
 *   GET  /api/campaigns/:id              definition, recipient and message counts, recent imports
 *   POST /api/campaigns                  create (body: the campaign definition JSON, as in campaigns/*.json); with `at`
 *                                        it is scheduled through the launch gate: 409 launchBlockedSchema and nothing
 *                                        created while the plan has "block" checks, unless `ignoreBlocks: true` (logged)
 *   POST /api/campaigns/:id/pause|resume|cancel
 *   POST /api/campaigns/:id/retry-failed  re-queue the failed messages (never a delivered one)
 *   PUT  /api/campaigns/:id              edit a draft (the whole definition; 409 once scheduled or started)
 *   POST /api/campaigns/:id/duplicate    a new draft with the same definition and recipients (body: {name})
 *   POST /api/campaigns/:id/archive|unarchive  out of (back into) the default list; 409 while it sends or will
 * Illegal transitions answer 409 (ConflictError), unknown campaigns 404.
 */
export function campaignRoutes(deps: CampaignRouteDeps): RouteModule {
  return (app) => {
    const auth = requireBearer(deps.apiToken);
    const prisma = deps.db.prisma;

    app.get('/api/campaigns', { onRequest: auth }, async (req) => {
      const q = parseInput(campaignListQuerySchema, req.query ?? {}, 'query');
      return { campaigns: await listCampaigns(deps.db.pool, { archived: q.archived === 'true' }) };
    });

    app.put('/api/campaigns/:id', { onRequest: auth }, async (req) => {
      if (req.body && typeof req.body === 'object' && 'csv' in req.body) {
        throw new ValidationError([{ path: 'csv', message: 'upload recipients with POST /api/campaigns/:id/recipients instead' }], 'body');
      }
      const c = await findCampaign(prisma, idOf(req.params));
      return describeCampaign(prisma, await editDraftCampaign({ prisma }, c, req.body ?? {}, 'body'));
    });

    app.post('/api/campaigns/:id/duplicate', { onRequest: auth }, async (req, reply) => {
      const body = parseInput(duplicateBodySchema, req.body ?? {}, 'body');
      const c = await findCampaign(prisma, idOf(req.params));
      const { campaign } = await duplicateCampaign({ prisma }, c, body.name);
      return reply.code(201).send(await describeCampaign(prisma, campaign));
    });

    for (const [verb, apply] of [['archive', archiveCampaign], ['unarchive', unarchiveCampaign]] as const) {
      app.post(`/api/campaigns/:id/${verb}`, { onRequest: auth }, async (req) => {
        const c = await apply({ prisma }, await findCampaign(prisma, idOf(req.params)));
        return { id: c.id, name: c.name, status: c.status, archivedAt: c.archivedAt?.toISOString() ?? null };
      });
    }

    app.get('/api/campaigns/:id', { onRequest: auth }, async (req) => describeCampaign(prisma, await findCampaign(prisma, idOf(req.params))));

    app.post('/api/campaigns', { onRequest: auth }, async (req, reply) => {
      // A server-side file path in an API body would read the server's disk: not here.
      if (req.body && typeof req.body === 'object' && 'csv' in req.body) {
        throw new ValidationError([{ path: 'csv', message: 'upload recipients with POST /api/campaigns/:id/recipients instead' }], 'body');
      }
      const { ignoreBlocks: rawIgnore, ...definition } = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
      const ignoreBlocks = parseInput(z.object({ ignoreBlocks: ignoreBlocksSchema }), { ignoreBlocks: rawIgnore }, 'body').ignoreBlocks;
      const def = parseCampaignDefinition(definition, 'body');
      const { campaign, ignoredBlocks } = await createCampaignGated({ prisma }, def, { gate: deps.gate, ignoreBlocks, onBlocked: 'delete' });
      if (ignoredBlocks.length) deps.logger?.warn({ campaignId: campaign.id, campaign: campaign.name, ignoredBlocks, scheduleAt: def.at }, 'scheduled despite blocking plan checks (ignoreBlocks)');
      return reply.code(201).send({ ...(await describeCampaign(prisma, campaign)), ...(ignoredBlocks.length ? { ignoredBlocks } : {}) });
    });

    const transitions = { pause: pauseCampaign, resume: resumeCampaign, cancel: cancelCampaign } as const;
    for (const [verb, apply] of Object.entries(transitions)) {
      app.post(`/api/campaigns/:id/${verb}`, { onRequest: auth }, async (req) => {
        const c = await findCampaign(prisma, idOf(req.params));
        const res = await apply(prisma, c);
        return typeof res === 'string' ? { id: c.id, name: c.name, status: res } : { id: c.id, name: c.name, ...res };
      });
    }

    app.post('/api/campaigns/:id/retry-failed', { onRequest: auth }, async (req) => {
      const body = parseInput(retryFailedBodySchema, req.body ?? {}, 'body');
      const c = await findCampaign(prisma, idOf(req.params));
      return { id: c.id, ...(await retryFailedMessages(deps.db, c.id, { includeUnconfirmed: body.includeUnconfirmed === true })) };
    });
  };
}
