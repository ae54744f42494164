import type { Metrics } from '../../metrics/metrics.ts';
import { requireBearer } from '../auth.ts';
import type { RouteModule } from '../server.ts';

export interface MetricsRouteDeps {
  metrics: Metrics;
  /** BLUECAST_API_TOKEN: /metrics tells campaign volumes and rates, so it takes the API's token. */
  apiToken: string | undefined;
}

/** GET /metrics in Prometheus' text format, bearer token required (like /api). */
export function metricsRoutes(deps: MetricsRouteDeps): RouteModule {
  return (app) => {
    app.get('/metrics', { onRequest: requireBearer(deps.apiToken) }, async (_req, reply) => {
      const { contentType, body } = await deps.metrics.scrape();
      return reply.type(contentType).send(body);
    });
  };
}

/** Counts what the webhook receiver answers, for every route under /webhooks/ (register before the routes). */
export function webhookIntakeHook(metrics: Metrics): RouteModule {
  return (app) => {
    app.addHook('onResponse', async (req, reply) => {
      if (req.routeOptions.url?.startsWith('/webhooks/')) metrics.onWebhookReceived(reply.statusCode);
    });
  };
}
