import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { ConflictError, LaunchBlockedError, NotFoundError, ValidationError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';

/** A capability's routes; each module under src/http/routes/ exports one. */
export type RouteModule = (app: FastifyInstance) => void | Promise<void>;

export interface HttpServerOptions {
  logger: Logger;
  /** Largest JSON body accepted (bytes); CSV uploads stream and set their own. */
  bodyLimit?: number;
  /** TRUST_PROXY: which proxies' X-Forwarded-* headers to believe (none by default). */
  trustProxy?: boolean | string[];
  /**
   * Plugins and hooks for the whole server, registered before the routes so
   * that they see every route (the OpenAPI document, request metrics).
   */
  before?: RouteModule[];
}

/**
 * The fastify app with bluecast's error mapping: domain errors become status
 * codes here, at the edge, never inside the domain code.
 */
export async function buildHttpServer(opts: HttpServerOptions, routes: RouteModule[]): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: opts.logger.child({ component: 'http' }) as FastifyBaseLogger,
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    // Per-request lines would dominate the logs at webhook rates; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    trustProxy: opts.trustProxy ?? false,
  });
  app.setErrorHandler((err: Error, req, reply) => {
    if (err instanceof ValidationError) return reply.code(400).send({ error: err.message, issues: err.issues });
    if (err instanceof NotFoundError) return reply.code(404).send({ error: err.message });
    // The body of launchBlockedSchema (routes/dashboard-api.ts): the checks and the override's name.
    if (err instanceof LaunchBlockedError) return reply.code(409).send({ error: err.message, blocks: err.blocks, override: 'ignoreBlocks' });
    if (err instanceof ConflictError) return reply.code(409).send({ error: err.message });
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) return reply.code(status).send({ error: err.message });
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: 'internal error' });
  });
  for (const register of opts.before ?? []) await register(app);
  for (const register of routes) await app.register(async (scoped) => register(scoped));
  return app;
}
