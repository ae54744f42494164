import type pg from 'pg';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { dueQueueDepth, messagesByStatus, webhookBacklog } from '../db/sql/metrics.ts';
import type { DispatchEvent } from '../dispatch/worker.ts';
import type { Pacer } from '../dispatch/pacing.ts';
import type { AttemptRecord } from '../provider/http.ts';

/**
 * bluecast's Prometheus metrics (GET /metrics). Counters and histograms are fed
 * by observers the composition root hands to the parts that see the events
 * (provider transport, dispatcher, pacer, webhook receiver); the gauges of
 * database state are read at scrape time by three cheap statements
 * (src/db/sql/metrics.ts), once per scrape however many gauges use them.
 */
export interface Metrics {
  readonly registry: Registry;
  /** For the provider transport (createImessageClient's onAttempt). */
  onProviderAttempt(a: AttemptRecord): void;
  /** For the dispatcher (onDispatchEvent). */
  onDispatchEvent(e: DispatchEvent): void;
  /** The webhook receiver answered a delivery with this status. */
  onWebhookReceived(status: number): void;
  /** A signed webhook event off its documented shape was stored (and processed leniently). */
  onOffShapeEvent(type: string): void;
  /** A webhook delivery was refused for its signature ('stale': correctly signed, outside the tolerance). */
  onWebhookSignatureRefused(reason: string): void;
  /** The delivery reconciler left off-schema history entries out. */
  onHistoryEntriesSkipped(n: number): void;
  /** A pacer that records how long it asks senders to wait for a line token. */
  observePacer(pacer: Pacer): Pacer;
  /** The exposition text (and its content type). */
  scrape(): Promise<{ contentType: string; body: string }>;
}

export function createMetrics(deps: { pool: pg.Pool }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'bluecast_process_' });
  const registers = [registry];

  const providerLatency = new Histogram({
    name: 'bluecast_provider_request_duration_seconds',
    help: 'Provider API requests (each HTTP attempt, retries included), by operation and outcome (ok, http, timeout, network)',
    labelNames: ['op', 'outcome'] as const,
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const providerErrors = new Counter({
    name: 'bluecast_provider_errors_total',
    help: 'Provider API attempts that failed, by operation and HTTP status ("timeout" or "network" when there was no answer); 429s are counted in bluecast_provider_rate_limited_total instead',
    labelNames: ['op', 'status'] as const,
    registers,
  });
  const providerThrottled = new Counter({
    name: 'bluecast_provider_rate_limited_total',
    help: 'Provider API attempts answered 429 (the provider pacing us), by operation',
    labelNames: ['op'] as const,
    registers,
  });
  const sends = new Counter({
    name: 'bluecast_messages_sent_total',
    help: 'Messages the provider accepted from the dispatcher (rate() of it is sends per second)',
    registers,
  });
  const outcomes = new Counter({
    name: 'bluecast_dispatch_outcomes_total',
    help: 'Dispatcher outcomes per message: sent, failed, retry, ambiguous, skipped; deferred counts messages given back unsent',
    labelNames: ['outcome'] as const,
    registers,
  });
  const webhooks = new Counter({
    name: 'bluecast_webhooks_received_total',
    help: 'Webhook deliveries received, by the HTTP status we answered (2xx: stored)',
    labelNames: ['status'] as const,
    registers,
  });
  const offShape = new Counter({
    name: 'bluecast_webhook_events_off_shape_total',
    help: 'Signed webhook events stored although off their documented shape (never refused: see the receiver log for the issues), by type',
    labelNames: ['type'] as const,
    registers,
  });
  const signatureRefused = new Counter({
    name: 'bluecast_webhook_signatures_refused_total',
    help: 'Webhook deliveries refused (401) for their signature, by reason; stale ones were correctly signed but outside WEBHOOK_TOLERANCE_SECONDS (a clock skew), not stored, left to the provider to resend',
    labelNames: ['reason'] as const,
    registers,
  });
  const skippedEntries = new Counter({
    name: 'bluecast_history_entries_skipped_total',
    help: 'Off-schema history entries the delivery reconciler left out (the rest of the thread was still read)',
    registers,
  });
  const tokenWait = new Histogram({
    name: 'bluecast_line_token_wait_seconds',
    help: "Waits for a sender line's token that the pacer asked of senders (non-zero ones; _sum is the time spent waiting)",
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers,
  });

  // The database gauges of one scrape come from one round of statements.
  let state: Promise<DbState> | undefined;
  const dbState = () => {
    state ??= readDbState(deps.pool).finally(() => setImmediate(() => (state = undefined)));
    return state;
  };
  new Gauge({
    name: 'bluecast_database_up',
    help: 'Whether the statements behind the gauges below answered at this scrape (1) or not (0: they read NaN)',
    registers,
    async collect() {
      this.set((await dbState()).up ? 1 : 0);
    },
  });
  new Gauge({
    name: 'bluecast_messages',
    help: 'Campaign messages by status, all campaigns (from the report rollups; care messages such as opt-out confirmations are not counted)',
    labelNames: ['status'] as const,
    registers,
    async collect() {
      this.reset();
      for (const r of (await dbState()).byStatus) this.set({ status: r.status }, r.messages);
    },
  });
  new Gauge({
    name: 'bluecast_queue_depth',
    help: 'Queued messages whose send time has come (the dispatch backlog)',
    registers,
    async collect() {
      this.set((await dbState()).queueDepth);
    },
  });
  new Gauge({
    name: 'bluecast_webhook_backlog_events',
    help: 'Stored webhook events not processed yet',
    registers,
    async collect() {
      this.set((await dbState()).webhooks.events);
    },
  });
  new Gauge({
    name: 'bluecast_webhook_processing_lag_seconds',
    help: 'Age of the oldest stored webhook event not processed yet (0 when none waits)',
    registers,
    async collect() {
      this.set((await dbState()).webhooks.oldestAgeSeconds);
    },
  });

  return {
    registry,
    onProviderAttempt(a) {
      providerLatency.observe({ op: a.op, outcome: a.outcome }, a.durationMs / 1000);
      if (a.outcome === 'ok') return;
      if (a.status === 429) providerThrottled.inc({ op: a.op });
      else providerErrors.inc({ op: a.op, status: a.status !== undefined ? String(a.status) : a.outcome });
    },
    onDispatchEvent(e) {
      switch (e.type) {
        case 'sent':
          sends.inc();
          outcomes.inc({ outcome: 'sent' });
          break;
        case 'failed':
        case 'retry':
        case 'ambiguous':
        case 'skipped':
          outcomes.inc({ outcome: e.type });
          break;
        case 'deferred':
        case 'expired':
          outcomes.inc({ outcome: e.type }, e.count);
          break;
        default:
          break;
      }
    },
    onWebhookReceived(status) {
      webhooks.inc({ status: String(status) });
    },
    onOffShapeEvent(type) {
      // Types are the provider's text: bounded so a hostile sender cannot grow the label set.
      offShape.inc({ type: /^[a-z0-9_.]{1,64}$/.test(type) ? type : 'other' });
    },
    onWebhookSignatureRefused(reason) {
      signatureRefused.inc({ reason });
    },
    onHistoryEntriesSkipped(n) {
      skippedEntries.inc(n);
    },
    observePacer(pacer) {
      return {
        async take(line, ratePerSecond, burst) {
          const wait = await pacer.take(line, ratePerSecond, burst);
          if (wait > 0) tokenWait.observe(wait / 1000);
          return wait;
        },
      };
    },
    async scrape() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

interface DbState {
  up: boolean;
  byStatus: { status: string; messages: number }[];
  queueDepth: number;
  webhooks: { events: number; oldestAgeSeconds: number };
}

/** A database that is down fails these gauges, not the scrape (the process metrics still come). */
async function readDbState(pool: pg.Pool): Promise<DbState> {
  try {
    const [byStatus, queueDepth, webhooks] = await Promise.all([messagesByStatus(pool), dueQueueDepth(pool), webhookBacklog(pool)]);
    return { up: true, byStatus, queueDepth, webhooks };
  } catch {
    return { up: false, byStatus: [], queueDepth: Number.NaN, webhooks: { events: Number.NaN, oldestAgeSeconds: Number.NaN } };
  }
}
