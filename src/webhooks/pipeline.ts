import type pg from 'pg';
import type { Logger } from '../lib/logger.ts';
import { createCareRunner, type CareClient, type CareRunner, type CareRunnerOptions } from './care.ts';
import { applyDeliveryBatch, applyEvent } from './handlers.ts';
import { createEventInbox, type EventInbox, type EventInboxOptions } from './inbox.ts';
import { createEventProcessor, type EventProcessor, type EventProcessorOptions } from './processor.ts';
import { createDeliveryReconciler, type DeliveryReconciler, type DeliveryReconcilerOptions, type TrackingClient } from './reconciler.ts';

export interface WebhookPipelineOptions {
  pool: pg.Pool;
  logger: Logger;
  /** The provider client; without it there is no conversation care and no reconciler. */
  client?: CareClient & TrackingClient;
  inbox?: Partial<Omit<EventInboxOptions, 'pool' | 'logger'>>;
  processor?: Partial<Omit<EventProcessorOptions, 'pool' | 'logger' | 'handler' | 'batchHandler' | 'onCare'>>;
  care?: Partial<Omit<CareRunnerOptions, 'pool' | 'logger' | 'client'>>;
  reconciler?: Partial<Omit<DeliveryReconcilerOptions, 'pool' | 'logger' | 'client'>>;
}

export interface WebhookPipeline {
  /** What the receiver route (src/http/routes/webhooks.ts, mounted by the service) stores events in. */
  inbox: EventInbox;
  processor: EventProcessor;
  care?: CareRunner;
  reconciler?: DeliveryReconciler;
  start(): void;
  /** Close the HTTP server first; this then drains the inbox, the processor, care and the reconciler. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Wires the webhook side: inbox (durable store) → processor (effects) →
 * conversation care, plus the delivery reconciler. The service mounts the
 * receiver route onto `inbox` and calls start()/stop().
 */
export function createWebhookPipeline(opts: WebhookPipelineOptions): WebhookPipeline {
  const care = opts.client ? createCareRunner({ ...opts.care, pool: opts.pool, logger: opts.logger, client: opts.client }) : undefined;
  const processor = createEventProcessor({
    ...opts.processor,
    pool: opts.pool,
    logger: opts.logger,
    handler: applyEvent,
    batchHandler: applyDeliveryBatch,
    onCare: care ? (task) => care.submit(task) : undefined,
  });
  const inbox = createEventInbox({ ...opts.inbox, pool: opts.pool, logger: opts.logger, onStored: () => processor.wake() });
  const reconciler = opts.client
    ? createDeliveryReconciler({ ...opts.reconciler, pool: opts.pool, logger: opts.logger, client: opts.client })
    : undefined;
  let stopping: Promise<void> | undefined;
  return {
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
