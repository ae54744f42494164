import type pg from 'pg';
import type { Logger } from '../lib/logger.ts';
import type { ProviderEvent } from '../provider/webhooks.ts';
import { createCareRunner, type CareClient, type CareRunner, type CareRunnerOptions } from './care.ts';
import { createKeywordClassifier, type KeywordClassifier } from '../consent/keywords.ts';
import { applyDeliveryBatch, createEventHandler, isOptOutReply } from './handlers.ts';
import { createEventInbox, type EventInbox, type EventInboxOptions } from './inbox.ts';
import { createEventProcessor, type EventProcessor, type EventProcessorOptions } from './processor.ts';
import { createDeliveryReconciler, type DeliveryReconciler, type DeliveryReconcilerOptions, type TrackingClient } from './delivery-reconciler.ts';

export interface WebhookPipelineOptions {
  pool: pg.Pool;
  logger: Logger;
  /** The provider client; without it there is no conversation care and no reconciler. */
  client?: CareClient & TrackingClient;
  /** Consent keywords (CONSENT_OPT_OUT_KEYWORDS / CONSENT_OPT_IN_KEYWORDS); the built-in lists by default. */
  keywords?: KeywordClassifier;
  /** CONSENT_CONFIRMATION_TEXT. */
  confirmationText?: string;
  /** AUTO_REPLY_ONCE_PER_HOURS. */
  autoReplyOncePerHours?: number;
  inbox?: Partial<Omit<EventInboxOptions, 'pool' | 'logger'>>;
  processor?: Partial<Omit<EventProcessorOptions, 'pool' | 'logger' | 'handler' | 'batchHandler' | 'onCare'>>;
  care?: Partial<Omit<CareRunnerOptions, 'pool' | 'logger' | 'client'>>;
  reconciler?: Partial<Omit<DeliveryReconcilerOptions, 'pool' | 'logger' | 'client'>>;
}

export interface WebhookPipeline {
  /** What the receiver route (src/http/routes/webhooks.ts, mounted by the service) stores events in. */
  inbox: EventInbox;
  /** Events whose effects must be in place before the receiver's 2xx (an opt-out reply)… */
  urgent(event: ProviderEvent): boolean;
  /** …applied at once by the receiver; false when it could not (the processor retries it). */
  applyNow(providerEventId: string): Promise<boolean>;
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
  const keywords = opts.keywords ?? createKeywordClassifier();
  const processor = createEventProcessor({
    ...opts.processor,
    pool: opts.pool,
    logger: opts.logger,
    handler: createEventHandler({ keywords, confirmationText: opts.confirmationText, autoReplyOncePerHours: opts.autoReplyOncePerHours }),
    batchHandler: applyDeliveryBatch,
    onCare: care ? (task) => care.submit(task) : undefined,
  });
  const inbox = createEventInbox({ ...opts.inbox, pool: opts.pool, logger: opts.logger, onStored: () => processor.wake() });
  const reconciler = opts.client
    ? createDeliveryReconciler({ ...opts.reconciler, pool: opts.pool, logger: opts.logger, client: opts.client })
    : undefined;
  let stopping: Promise<void> | undefined;
  return {
    urgent: (event) => isOptOutReply(keywords, event),
    applyNow: (id) => processor.processNow(id),
    inbox,
    processor,
    care,
    reconciler,
    start() {
      processor.start();
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
