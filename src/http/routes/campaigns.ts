import { createCampaign, findCampaign } from '../../campaigns/definition.ts';
import { describeCampaign, listCampaigns } from '../../campaigns/describe.ts';
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

export interface CampaignRouteDeps {
  db: Pick<Database, 'prisma' | 'pool'>;
  /** BLUECAST_API_TOKEN; without it the routes answer 503 (requireBearer). */
  apiToken: string | undefined;
}

const idOf = (params: unknown): string => parseInput(campaignParamsSchema, params, 'path').id;

/**
 * The campaigns API, bearer token required. `:id` is a campaign id or name.
 *   GET  /api/campaigns                  list with recipient counts
 *   GET  /api/campaigns/:id              definition, recipient and message counts, recent imports
 *   POST /api/campaigns                  create (body: the campaign definition JSON, as in campaigns/*.json)
 *   POST /api/campaigns/:id/pause|resume|cancel
 *   POST /api/campaigns/:id/retry-failed  re-queue the failed messages (never a delivered one)
 * Illegal transitions answer 409 (ConflictError), unknown campaigns 404.
 */
export function campaignRoutes(deps: CampaignRouteDeps): RouteModule {
  return (app) => {
    const auth = requireBearer(deps.apiToken);
    const prisma = deps.db.prisma;

    app.get('/api/campaigns', { onRequest: auth }, async () => ({ campaigns: await listCampaigns(deps.db.pool) }));

    app.get('/api/campaigns/:id', { onRequest: auth }, async (req) => describeCampaign(prisma, await findCampaign(prisma, idOf(req.params))));

    app.post('/api/campaigns', { onRequest: auth }, async (req, reply) => {
      // A server-side file path in an API body would read the server's disk: not here.
      if (req.body && typeof req.body === 'object' && 'csv' in req.body) {
        throw new ValidationError([{ path: 'csv', message: 'upload recipients with POST /api/campaigns/:id/recipients instead' }], 'body');
      }
      const created = await createCampaign({ prisma }, req.body ?? {}, 'body');
      return reply.code(201).send(await describeCampaign(prisma, created));
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
