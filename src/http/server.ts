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
  /**
   * On close, how long requests under way may finish before every connection
   * is cut (ms). Keep-alive connections busy when close() begins would
   * otherwise hold it until their keep-alive timeout (72 s in fastify).
   */
  closeGraceMs?: number;
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
  closeConnectionsOnClose(app, opts.closeGraceMs ?? 5_000);
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

/**
 * A graceful close that ends. Node's server.close() cuts the idle keep-alive
 * connections only once, when it begins: a connection that was busy then
 * (a webhook being stored) stays open after its answer until its keep-alive
 * timeout, and close() with it. So every answer sent while closing says
 * `Connection: close`, and whatever is still open after the grace is cut.
 */
function closeConnectionsOnClose(app: FastifyInstance, graceMs: number): void {
  let closing = false;
  let cut: NodeJS.Timeout | undefined;
  app.addHook('onSend', async (_req, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  app.addHook('preClose', async () => {
    closing = true;
    app.server.closeIdleConnections();
    cut = setTimeout(() => app.server.closeAllConnections(), graceMs);
  });
  app.addHook('onClose', async () => clearTimeout(cut));
}
