import { z } from 'zod';
import { findCampaignForImport } from '../../campaigns/definition.ts';
import type { Database } from '../../db/database.ts';
import type { Logger } from '../../lib/logger.ts';
import { checkAvailability, type AvailabilityCheckOptions, type AvailabilityCheckResult } from '../../planner/availability.ts';
import type { ImessageClient } from '../../provider/client.ts';
import { requireBearer } from '../auth.ts';
import { campaignParamsSchema, parseInput } from '../input.ts';
import type { RouteModule } from '../server.ts';

/** POST /api/campaigns/:id/availability: `wait: true` answers when the check is done (small lists), else at once (202). */
export const availabilityBodySchema = z.strictObject({ wait: z.boolean().optional() });

export const availabilityAnswerSchema = z.object({
  state: z.enum(['running', 'done', 'failed']),
  /** Numbers asked so far (fresh cached answers are not asked). */
  asked: z.number().int(),
  result: z.object({ asked: z.number(), imessage: z.number(), sms: z.number(), unanswered: z.number(), rateLimited: z.number(), errors: z.array(z.string()) }).optional(),
  error: z.string().optional(),
});
type Answer = z.infer<typeof availabilityAnswerSchema>;

interface Job {
  asked: number;
  promise: Promise<AvailabilityCheckResult>;
  result?: AvailabilityCheckResult;
  error?: string;
}

/**
 * The availability check over HTTP (what `campaign plan --check-availability`
 * runs first): one check per campaign at a time in this process, run in the
 * background (paced lookups can take long); a POST while it runs reports its
 * progress, one after it ends starts a new one (fresh answers are reused, so
 * it asks only what is missing or stale). GET reports the last check of this
 * process (404 when none ran). The plan (GET …/plan) shows the split.
 */
export function availabilityRoutes(deps: {
  db: Pick<Database, 'pool'>;
  apiToken: string | undefined;
  client: Pick<ImessageClient, 'availability'> | undefined;
  options: Pick<AvailabilityCheckOptions, 'pacer' | 'ratePerSecond' | 'maxAgeHours'>;
  logger?: Logger;
}): RouteModule {
  const jobs = new Map<number, Job>();
  const answerOf = (j: Job): Answer =>
    j.error !== undefined ? { state: 'failed', asked: j.asked, error: j.error } : j.result ? { state: 'done', asked: j.asked, result: j.result } : { state: 'running', asked: j.asked };
  return (app) => {
    const auth = requireBearer(deps.apiToken);
    app.post('/api/campaigns/:id/availability', { onRequest: auth }, async (req, reply) => {
      const { id } = parseInput(campaignParamsSchema, req.params, 'path');
      const body = parseInput(availabilityBodySchema, req.body ?? {}, 'body');
      const c = await findCampaignForImport(deps.db.pool, id);
      const client = deps.client;
      if (!client) return reply.code(503).send({ error: 'the availability check asks the provider: set CONTIGUITY_API_KEY' });
      let job = jobs.get(c.id);
      if (!job || job.result || job.error !== undefined) {
        const j = { asked: 0 } as Job;
        j.promise = checkAvailability(deps.db.pool, client, c.id, { ...deps.options, logger: deps.logger, onProgress: (n) => (j.asked = n) });
        j.promise.then(
          (r) => (j.result = r),
          (err: unknown) => {
            j.error = err instanceof Error ? err.message : String(err);
            deps.logger?.warn({ err, campaignId: c.id }, 'availability check failed');
          },
        );
        jobs.set(c.id, (job = j));
      }
      if (body.wait) await job.promise.catch(() => undefined);
      const a = answerOf(job);
      return reply.code(a.state === 'running' ? 202 : 200).send(a);
    });
    app.get('/api/campaigns/:id/availability', { onRequest: auth }, async (req, reply) => {
      const { id } = parseInput(campaignParamsSchema, req.params, 'path');
      const c = await findCampaignForImport(deps.db.pool, id);
      const job = jobs.get(c.id);
      if (!job) return reply.code(404).send({ error: `no availability check of campaign ${c.id} has run since the server started` });
      return answerOf(job);
    });
  };
}
