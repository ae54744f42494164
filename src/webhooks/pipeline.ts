import type pg from 'pg';
import type { RouteModule } from '../http/server.ts';
import { webhookRoutes } from '../http/routes/webhooks.ts';
import type { Logger } from '../lib/logger.ts';
import { createCareRunner, type CareClient, type CareRunner, type CareRunnerOptions } from './care.ts';
import { createKeywordClassifier, type KeywordClassifier } from '../consent/keywords.ts';
import { applyDeliveryBatch, createEventHandler, isOptOutReply } from './handlers.ts';
import { createEventInbox, type EventInbox, type EventInboxOptions } from './inbox.ts';
import { createEventProcessor, type EventProcessor, type EventProcessorOptions } from './processor.ts';
import { createDeliveryReconciler, type DeliveryReconciler, type DeliveryReconcilerOptions, type TrackingClient } from './reconciler.ts';

export interface WebhookPipelineOptions {
  pool: pg.Pool;
  logger: Logger;
  /** WEBHOOK_SECRET. */
  secrets: string[] | undefined;
  /** The provider client; without it there is no conversation care and no reconciler. */
  client?: CareClient & TrackingClient;
  bodyLimit?: number;
  /** Consent keywords (CONSENT_OPT_OUT_KEYWORDS / CONSENT_OPT_IN_KEYWORDS); the built-in lists by default. */
  keywords?: KeywordClassifier;
  /** CONSENT_CONFIRMATION_TEXT. */
  confirmationText?: string;
  inbox?: Partial<Omit<EventInboxOptions, 'pool' | 'logger'>>;
  processor?: Partial<Omit<EventProcessorOptions, 'pool' | 'logger' | 'handler' | 'batchHandler' | 'onCare'>>;
  care?: Partial<Omit<CareRunnerOptions, 'pool' | 'logger' | 'client'>>;
  reconciler?: Partial<Omit<DeliveryReconcilerOptions, 'pool' | 'logger' | 'client'>>;
}

export interface WebhookPipeline {
  /** Mount with buildHttpServer. */
  routes: RouteModule;
  inbox: EventInbox;
  processor: EventProcessor;
  care?: CareRunner;
  reconciler?: DeliveryReconciler;
  start(): void;
  /** Close the HTTP server first; this then drains the inbox, the processor, care and the reconciler. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Wires the webhook side: receiver route → inbox (durable store) → processor
 * (effects) → conversation care, plus the delivery reconciler. `bluecast serve`
 * mounts `routes` and calls start()/stop().
 */
export function createWebhookPipeline(opts: WebhookPipelineOptions): WebhookPipeline {
  const care = opts.client ? createCareRunner({ ...opts.care, pool: opts.pool, logger: opts.logger, client: opts.client }) : undefined;
  const keywords = opts.keywords ?? createKeywordClassifier();
  const processor = createEventProcessor({
    ...opts.processor,
    pool: opts.pool,
    logger: opts.logger,
    handler: createEventHandler({ keywords, confirmationText: opts.confirmationText }),
    batchHandler: applyDeliveryBatch,
    onCare: care ? (task) => care.submit(task) : undefined,
  });
  const inbox = createEventInbox({ ...opts.inbox, pool: opts.pool, logger: opts.logger, onStored: () => processor.wake() });
  const reconciler = opts.client
    ? createDeliveryReconciler({ ...opts.reconciler, pool: opts.pool, logger: opts.logger, client: opts.client })
    : undefined;
  let stopping: Promise<void> | undefined;
  return {
    routes: webhookRoutes({
      secrets: opts.secrets,
      inbox,
      logger: opts.logger,
      bodyLimit: opts.bodyLimit,
      urgent: (event) => isOptOutReply(keywords, event),
      applyNow: (id) => processor.processNow(id),
    }),
    inbox,
    processor,
    care,
    reconciler,
    start() {
      processor.start();
      care?.start();
      reconciler?.start();
    },
    stop() {
      stopping ??= (async () => {
        await inbox.close();
        await processor.stop();
        await Promise.all([care?.stop(), reconciler?.stop()]);
      })();
      return stopping;
    },
  };
}
