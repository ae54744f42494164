import type pg from 'pg';
import { pingDatabase } from '../../db/sql/ping.ts';
import type { Heartbeat } from '../../lib/heartbeat.ts';
import type { RouteModule } from '../server.ts';

export interface HealthRouteDeps {
  pool: pg.Pool;
  /** The dispatcher's loop, when this process runs one. */
  worker?: Heartbeat;
  /** How long `SELECT 1` may take before the database counts as unreachable. */
  databaseTimeoutMs?: number;
}

/**
 * GET /healthz, no credentials (load balancers and orchestrators call it):
 * 200 `{ ok: true, database: "ok", worker: "ok" | "not running here" }`, or 503
 * `{ ok: false, reason, ... }` when the database does not answer `SELECT 1`
 * within the timeout or the worker loop has not turned for its stall limit.
 */
export function healthRoutes(deps: HealthRouteDeps): RouteModule {
  const timeoutMs = deps.databaseTimeoutMs ?? 2_000;
  return (app) => {
    app.get('/healthz', async (_req, reply) => {
      const problems: string[] = [];
      let database = 'ok';
      try {
        await pingDatabase(deps.pool, timeoutMs);
      } catch (err) {
        database = `unreachable: ${(err as Error).message}`;
        problems.push(`database ${database}`);
      }
      let worker = 'not running here';
      if (deps.worker) {
        const since = deps.worker.sinceLastBeatMs();
        worker = since > deps.worker.stalledAfterMs ? `stalled: its loop has not turned for ${Math.round(since / 1000)} s` : 'ok';
        if (worker !== 'ok') problems.push(`worker ${worker}`);
      }
      if (problems.length) return reply.code(503).send({ ok: false, reason: problems.join('; '), database, worker });
      return { ok: true, database, worker };
    });
  };
}
