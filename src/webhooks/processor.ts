import type pg from 'pg';
import {
  claimWebhookEvents,
  deadLetterWebhookEvents,
  lockWebhookEvent,
  markWebhookEventsProcessed,
  recordWebhookEventFailures,
  type ClaimedWebhookEvent,
} from '../db/sql/webhook-events.ts';
import type { Logger } from '../lib/logger.ts';
import { createPollLoop } from '../lib/poll-loop.ts';
import type { CareTask } from './care-plan.ts';
import type { BatchHandler, EventHandler } from './handlers.ts';
import type { EventOutcome, StoredEvent } from './stored-event.ts';
import { exponentialDelay } from '../lib/backoff.ts';

export interface EventProcessorOptions {
  pool: pg.Pool;
  logger: Logger;
  handler: EventHandler;
  /** Optional set-wise handling of some events of a batch (fast path only); the rest go through `handler`. */
  batchHandler?: BatchHandler;
  /** Receives care work once the event that asked for it is committed. */
  onCare?: (task: CareTask) => void;
  batchSize?: number;
  /** Safety net for events stored by other processes or before a restart. */
  pollIntervalMs?: number;
  /** First retry delay of a failed event; doubles per attempt. */
  retryBaseMs?: number;
  /** Retry delays grow by at most this much per attempt. */
  retryCapMs?: number;
  /** A delivery report that still matches no message after this many tries is dropped (with a note). */
  maxWaitAttempts?: number;
  /**
   * An event whose handling fails this many times goes to the dead-letter
   * state (kept, with the reason, until `bluecast webhooks retry`) instead of
   * being retried for ever.
   */
  maxAttempts?: number;
}

export interface EventProcessor {
  start(): void;
  /** Finishes the batch in progress, then stops. Idempotent. */
  stop(): Promise<void>;
  /** New events are stored: look now instead of at the next poll. */
  wake(): void;
  /** Process everything due now; resolves with the number of events handled. */
  drain(): Promise<number>;
  /** Apply one stored event now, in a transaction of its own; true once it is processed (by this call or earlier). */
  processNow(providerEventId: string): Promise<boolean>;
}

/** With the default delays (1 s doubling, growth capped at 5 min a try) the last try is about 20 minutes after the first. */
export const DEFAULT_MAX_ATTEMPTS = 10;

/**
 * The event as the handlers read it. An event kept only as raw text (its JSON
 * too deep for jsonb) is parsed here, where JSON.parse has no depth limit; text
 * that does not parse is a reason to set the event aside, not a crash.
 */
function storedEvent(row: ClaimedWebhookEvent): StoredEvent | string {
  let payload = row.payload;
  if (payload === null && row.raw_body !== null) {
    try {
      payload = JSON.parse(row.raw_body);
    } catch (err) {
      return `the stored body is not JSON: ${errorText(err)}`;
    }
  }
  return { id: row.id, providerEventId: row.provider_event_id, type: row.type, payload, attempts: row.attempts, receivedAt: row.received_at };
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 2000);

/**
 * Applies stored webhook events, durably: an event is only marked processed in
 * the transaction that applied its effects, so a crash at any point leaves it
 * to be processed again by the next processor — here or in another process.
 *
 * A batch is one transaction; when an event fails, the batch is redone with
 * one savepoint per event, so the failing event's effects are rolled back
 * alone, its failure recorded, and the rest of the batch commits.
 */
export function createEventProcessor(opts: EventProcessorOptions): EventProcessor {
  const log = opts.logger.child({ component: 'webhook-processor' });
  const batchSize = opts.batchSize ?? 100;
  const pollIntervalMs = opts.pollIntervalMs ?? 1_000;
  const retryBaseSeconds = (opts.retryBaseMs ?? 1_000) / 1000;
  const retryCapSeconds = (opts.retryCapMs ?? 300_000) / 1000;
  const maxWaitAttempts = opts.maxWaitAttempts ?? 6;
  const maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;

  // One batch at a time in this process; other processes share the table through SKIP LOCKED.
  let current: Promise<number> = Promise.resolve(0);

  class HandlerFailed extends Error {}

  /**
   * One batch in one transaction. The fast path runs the events one after the
   * other with no savepoints (two round trips fewer per event); if any of them
   * throws, the whole batch is rolled back and done again in safe mode, one
   * savepoint per event, so that only the failing event is set aside.
   */
  async function processBatch(safe = false): Promise<number> {
    const client = await opts.pool.connect();
    const care: CareTask[] = [];
    let claimed: ClaimedWebhookEvent[] = [];
    try {
      await client.query('BEGIN');
      claimed = await claimWebhookEvents(client, { limit: batchSize, retryBaseSeconds, retryCapSeconds });
      const done: { id: number; note: string | null }[] = [];
      const failed: { id: number; error: string }[] = [];
      const deadLettered: { id: number; error: string }[] = [];
      const fail = (event: { id: number; attempts: number }, error: string) =>
        (event.attempts + 1 >= maxAttempts ? deadLettered : failed).push({ id: event.id, error: event.attempts + 1 >= maxAttempts ? `after ${event.attempts + 1} tries: ${error}` : error });
      const events: StoredEvent[] = [];
      for (const row of claimed) {
        const e = storedEvent(row);
        // Unreadable now is unreadable on every try: set aside at once.
        if (typeof e === 'string') deadLettered.push({ id: row.id, error: e });
        else events.push(e);
      }
      let batched = new Map<number, EventOutcome>();
      if (!safe && opts.batchHandler) {
        try {
          batched = await opts.batchHandler(client, events);
        } catch (err) {
          throw new HandlerFailed('retry the batch with savepoints', { cause: err });
        }
      }
      for (const event of events) {
        const pre = batched.get(event.id);
        if (safe) await client.query('SAVEPOINT ev');
        try {
          const outcome = pre ?? (await opts.handler(client, event));
          if (safe) await client.query('RELEASE SAVEPOINT ev');
          if (outcome.kind === 'done') {
            done.push({ id: event.id, note: outcome.note ?? null });
            if (outcome.care) care.push(outcome.care);
          } else if (event.attempts + 1 >= maxWaitAttempts) {
            done.push({ id: event.id, note: `dropped after ${event.attempts + 1} tries: ${outcome.reason}` });
          } else {
            failed.push({ id: event.id, error: outcome.reason });
          }
        } catch (err) {
          if (!safe) throw new HandlerFailed('retry the batch with savepoints', { cause: err });
          await client.query('ROLLBACK TO SAVEPOINT ev');
          const last = event.attempts + 1 >= maxAttempts;
          log.warn({ err, eventId: event.providerEventId, type: event.type, attempts: event.attempts + 1 }, last ? 'webhook event failed; dead-lettered' : 'webhook event failed; will retry');
          fail(event, errorText(err));
        }
      }
      await markWebhookEventsProcessed(client, done);
      await recordWebhookEventFailures(client, failed);
      await deadLetterWebhookEvents(client, deadLettered);
      await client.query('COMMIT');
    } catch (err) {
      const rolledBack = await client.query('ROLLBACK').then(() => true, () => false);
      // A connection that could not even roll back is broken: drop it rather than pool it.
      client.release(!rolledBack);
      if (err instanceof HandlerFailed) return processBatch(true);
      throw err;
    }
    client.release();
    // Only now is the reply durably recorded: care may talk to the provider.
    for (const task of care) opts.onCare?.(task);
    return claimed.length;
  }

  /** Batches until nothing is due. */
  async function drainOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await processBatch();
      total += n;
      if (n < batchSize) return total;
    }
  }

  function drain(): Promise<number> {
    // Serialised with the loop's own batches so that tests and callers see a settled table.
    const next = current.catch(() => 0).then(drainOnce);
    current = next;
    return next;
  }

  /**
   * A deadlock victim (an opt-out meeting a sender's write on the same
   * contact) or a serialization failure is tried again at once: answering the
   * provider 503 for it would only delay the opt-out.
   */
  async function processNow(providerEventId: string): Promise<boolean> {
    for (let i = 0; ; i++) {
      const r = await processNowOnce(providerEventId);
      if (r !== 'retry') return r;
      if (i >= 2) return false;
    }
  }

  async function processNowOnce(providerEventId: string): Promise<boolean | 'retry'> {
    const client = await opts.pool.connect();
    let care: CareTask | undefined;
    try {
      await client.query('BEGIN');
      const row = await lockWebhookEvent(client, providerEventId);
      if (!row || row.processed) {
        await client.query('COMMIT');
        return row !== null;
      }
      const event = storedEvent(row);
      if (typeof event === 'string') {
        // Unreadable: the processor sets it aside with this reason.
        await client.query('COMMIT');
        return false;
      }
      const outcome = await opts.handler(client, event);
      if (outcome.kind === 'wait') {
        await client.query('ROLLBACK');
        return false;
      }
      await markWebhookEventsProcessed(client, [{ id: event.id, note: outcome.note ?? null }]);
      await client.query('COMMIT');
      care = outcome.care;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      const code = (err as { code?: string }).code;
      if (code === '40P01' || code === '40001') return 'retry';
      log.warn({ err, eventId: providerEventId }, 'event could not be applied at once; the processor will retry it');
      return false;
    } finally {
      client.release();
    }
    if (care) opts.onCare?.(care);
    return true;
  }

  const loop = createPollLoop({
    round: drain,
    intervalMs: pollIntervalMs,
    onError: (err, failures) => {
      // The database is away (restart, failover): back off, never exit.
      log.error({ err }, 'webhook processing failed');
      return exponentialDelay(failures, { baseMs: pollIntervalMs, maxMs: 30_000 });
    },
  });

  return {
    start: () => loop.start(),
    async stop() {
      await loop.stop();
      await current.catch(() => undefined);
    },
    wake: () => loop.wake(),
    drain,
    processNow,
  };
}
