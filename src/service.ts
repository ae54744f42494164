import type { FastifyInstance, RouteOptions } from 'fastify';
import type { App } from './app.ts';
import { createKeywordClassifier } from './consent/keywords.ts';
import { createDispatchWorker } from './dispatch/compose.ts';
import type { DispatchEvent, Worker, WorkerOptions } from './dispatch/worker.ts';
import { campaignRoutes } from './http/routes/campaigns.ts';
import { planRoutes } from './http/routes/plan.ts';
import { availabilityOptionsFromConfig, planOptionsFromConfig } from './planner/setup.ts';
import { availabilityRoutes } from './http/routes/availability.ts';
import { consentRoutes } from './http/routes/consent.ts';
import { inboxRoutes } from './http/routes/inbox.ts';
import { createInbox } from './inbox/inbox.ts';
import { dashboardApiRoutes } from './http/routes/dashboard-api.ts';
import { launchGate } from './planner/gate.ts';
import { dashboardRoutes, type DashboardRouteDeps } from './http/routes/dashboard.ts';
import { recipientRoutes } from './http/routes/recipients.ts';
import { reportRoutes } from './http/routes/reports.ts';
import { openApiPlugin, openApiRoutes } from './http/openapi.ts';
import { healthRoutes } from './http/routes/health.ts';
import { metricsRoutes, webhookIntakeHook } from './http/routes/metrics.ts';
import { webhookRoutes } from './http/routes/webhooks.ts';
import { buildHttpServer } from './http/server.ts';
import { createHeartbeat } from './lib/heartbeat.ts';
import { createMetrics, type Metrics } from './metrics/metrics.ts';
import { createSharedPacer } from './dispatch/pacing.ts';
import type { ImessageClient } from './provider/client.ts';
import { createConfiguredClient } from './provider/configured.ts';
import { createRollupCompactor } from './reports/compact.ts';
import { createWebhookPipeline, type WebhookPipeline, type WebhookPipelineOptions } from './webhooks/pipeline.ts';

export interface ServiceOptions {
  host?: string;
  port?: number;
  /** Run the dispatcher in this process (default true when an API key is configured). */
  worker?: boolean;
  workerOptions?: Partial<WorkerOptions>;
  /** Default: BLUECAST_LEGAL_WINDOWS. The demo turns them off: its recipients are simulated, and it must finish at any hour. */
  legalWindows?: boolean;
  onDispatchEvent?: (e: DispatchEvent) => void;
  /** Tuning of the webhook side (poll intervals of the delivery reconciler...), for the demo and tests. */
  webhooks?: Pick<WebhookPipelineOptions, 'reconciler' | 'processor' | 'care'>;
  /** Session lifetimes and login throttling of the dashboard, for tests. */
  dashboard?: Pick<DashboardRouteDeps, 'sessionLifetimes' | 'loginRateLimit'>;
  /** Told of every route as it is registered (the OpenAPI test checks the document against them). */
  onRoute?: (route: RouteOptions) => void;
  /** /healthz: the worker counts as stalled when its loop has not turned for this long (default 60 s). */
  workerStalledAfterMs?: number;
}

export interface Service {
  readonly url: string;
  readonly http: FastifyInstance;
  readonly worker?: Worker;
  readonly webhooks: WebhookPipeline;
  readonly metrics: Metrics;
  /** Stop taking requests and claims, drain the webhook side and the worker. Idempotent. */
  stop(): Promise<void>;
}

/**
 * `bluecast serve`: the HTTP server (API, dashboard, webhook receiver) and the
 * worker (scheduler, dispatcher, webhook processor, delivery reconciler) in
 * one process, wired from the App.
 */
export async function startService(app: App, opts: ServiceOptions = {}): Promise<Service> {
  const { config, logger, db } = app;
  const metrics = createMetrics({ pool: db.pool });
  const client: ImessageClient | undefined = createConfiguredClient(config, { logger, onAttempt: (a) => metrics.onProviderAttempt(a) });
  if (!client) logger.warn('CONTIGUITY_API_KEY is not set: nothing will be sent, delivery states will not be polled');

  const webhooks = createWebhookPipeline({
    pool: db.pool,
    logger,
    client,
    keywords: createKeywordClassifier({ optOut: config.CONSENT_OPT_OUT_KEYWORDS, optIn: config.CONSENT_OPT_IN_KEYWORDS }),
    confirmationText: config.CONSENT_CONFIRMATION_TEXT,
    autoReplyOncePerHours: config.AUTO_REPLY_ONCE_PER_HOURS,
    ...opts.webhooks,
    reconciler: { onSkippedEntries: (n) => metrics.onHistoryEntriesSkipped(n), ...opts.webhooks?.reconciler },
  });
  const apiToken = config.BLUECAST_API_TOKEN;
  // Every way of scheduling (create with `at`, schedule, reschedule, the dashboard) goes through this gate.
  const gate = launchGate(db.pool, planOptionsFromConfig(config, client));
  const runWorker = (opts.worker ?? true) && client !== undefined;
  const heartbeat = runWorker ? createHeartbeat(opts.workerStalledAfterMs ?? 60_000) : undefined;
  const http = await buildHttpServer({ logger, trustProxy: config.TRUST_PROXY, before: [openApiPlugin, webhookIntakeHook(metrics), (a) => void (opts.onRoute && a.addHook('onRoute', opts.onRoute))] }, [
    healthRoutes({ pool: db.pool, worker: heartbeat }),
    metricsRoutes({ metrics, apiToken }),
    openApiRoutes,
    webhookRoutes({
      secrets: config.WEBHOOK_SECRET,
      toleranceSeconds: config.WEBHOOK_TOLERANCE_SECONDS,
      bodyLimit: config.WEBHOOK_BODY_LIMIT_BYTES,
      inbox: webhooks.inbox,
      logger,
      urgent: webhooks.urgent,
      applyNow: webhooks.applyNow,
      onOffShape: (type) => metrics.onOffShapeEvent(type),
      onSignatureRefused: (reason) => metrics.onWebhookSignatureRefused(reason),
    }),
    campaignRoutes({ db, apiToken, gate, logger }),
    planRoutes({ db, apiToken, plan: planOptionsFromConfig(config, client) }),
    availabilityRoutes({ db, apiToken, client, options: availabilityOptionsFromConfig(config, db.pool), logger }),
    recipientRoutes({ db, apiToken }),
    reportRoutes({ pool: db.pool, apiToken, legalWindows: config.BLUECAST_LEGAL_WINDOWS }),
    consentRoutes({ pool: db.pool, apiToken }),
    inboxRoutes({ inbox: client && createInbox({ pool: db.pool, client, readReceipts: config.INBOX_READ_RECEIPTS }), apiToken }),
    dashboardApiRoutes({ db, apiToken, gate }),
    dashboardRoutes({ pool: db.pool, apiToken, publicUrl: config.PUBLIC_URL, ...opts.dashboard }),
  ]);
  const url = await http.listen({ host: opts.host ?? config.HOST, port: opts.port ?? config.PORT });

  const worker = runWorker
    ? createDispatchWorker(app, {
        sender: client,
        options: opts.workerOptions,
        legalWindows: opts.legalWindows,
        pacer: metrics.observePacer(createSharedPacer(db.pool)),
        onHeartbeat: () => heartbeat?.beat(),
        onEvent: (e) => {
          metrics.onDispatchEvent(e);
          opts.onDispatchEvent?.(e);
        },
      })
    : undefined;
  // Report counters are written per connection; folding them keeps reports small.
  const compactor = createRollupCompactor({ pool: db.pool, logger });
  webhooks.start();
  worker?.start();
  compactor.start();

  let stopping: Promise<void> | undefined;
  return {
    url,
    http,
    worker,
    webhooks,
    metrics,
    stop() {
      stopping ??= (async () => {
        // Claims stop first and the receiver keeps answering while sends finish,
        // so that webhooks about the last sends are still stored.
        await worker?.stop();
        await http.close();
        await webhooks.stop();
        await compactor.stop();
      })();
      return stopping;
    },
  };
}
