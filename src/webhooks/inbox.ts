import type pg from 'pg';
import { insertRawWebhookEvent, insertWebhookEvents, type NewWebhookEvent } from '../db/sql/webhook-events.ts';
import type { Logger } from '../lib/logger.ts';

export interface EventInbox {
  /** Resolves once the event is committed (true: new, false: a duplicate); rejects when it could not be stored. */
  store(event: NewWebhookEvent): Promise<boolean>;
  /** Waits for everything accepted so far to be written; later stores are refused. */
  close(): Promise<void>;
}

export interface EventInboxOptions {
  pool: pg.Pool;
  logger: Logger;
  /** Rows per INSERT. */
  maxBatch?: number;
  /** INSERTs in flight at once (each holds a pool connection). */
  maxInFlight?: number;
  /** Called after a write that stored at least one new event. */
  onStored?: () => void;
}

interface Pending {
  event: NewWebhookEvent;
  resolve(inserted: boolean): void;
  reject(err: unknown): void;
}

/**
 * A statement refused for what the row holds, not for the state of the
 * database: data exceptions (22xxx) and program limits (54xxx, e.g. "stack
 * depth limit exceeded" for JSON nested 100,000 deep). Such an event is kept
 * as raw text instead; anything else is a reason to answer "try again".
 */
function refusedForContent(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^(22|54)[0-9A-Z]{3}$/.test(code);
}

export class InboxClosedError extends Error {
  override readonly name = 'InboxClosedError';
}

/**
 * Write-behind batching of received events. Requests that arrive while a write
 * is in flight wait together and go out as one multi-row INSERT, so the number
 * of database round trips follows the database's speed, not the request rate:
 * under light load an event is written at the next turn of the event loop,
 * under heavy load batches grow. Each request's promise settles only after the
 * COMMIT of the statement that holds its row, so the 2xx always follows a
 * durable row.
 */
export function createEventInbox(opts: EventInboxOptions): EventInbox {
  const log = opts.logger.child({ component: 'webhook-inbox' });
  const maxBatch = opts.maxBatch ?? 500;
  const maxInFlight = opts.maxInFlight ?? 3;
  let queue: Pending[] = [];
  let inFlight = 0;
  let scheduled = false;
  let closed = false;
  let idleWaiters: (() => void)[] = [];

  function settleIdle() {
    if (inFlight === 0 && queue.length === 0 && !scheduled) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  function schedule() {
    if (scheduled || queue.length === 0 || inFlight >= maxInFlight) return;
    scheduled = true;
    // setImmediate: every request parsed in this turn of the event loop joins the batch.
    setImmediate(flush);
  }

  function flush() {
    scheduled = false;
    while (queue.length > 0 && inFlight < maxInFlight) {
      const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
      queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
      inFlight++;
      void write(batch).finally(() => {
        inFlight--;
        schedule();
        settleIdle();
      });
    }
  }

  /** The event as the text it was signed as (see insertRawWebhookEvent). */
  async function insertRaw(p: Pending, why: string): Promise<void> {
    const e = p.event;
    const inserted = await insertRawWebhookEvent(opts.pool, { providerEventId: e.providerEventId, type: e.type, raw: e.raw.replace(/\u0000/g, '\uFFFD'), note: `stored as raw text: ${why}`, shapeIssues: e.shapeIssues });
    log.warn({ eventId: e.providerEventId, why }, 'webhook event stored as raw text');
    p.resolve(inserted);
    if (inserted) opts.onStored?.();
  }

  async function insert(all: Pending[]): Promise<void> {
    const batch = all.filter((p) => p.event.payload !== null);
    for (const p of all) if (p.event.payload === null) await insertRaw(p, 'its JSON could not be made storable');
    if (batch.length === 0) return;
    const inserted = await insertWebhookEvents(
      opts.pool,
      batch.map((p) => p.event),
    );
    // A duplicate within the batch reports "new" for both copies; only the row count matters downstream.
    for (const p of batch) p.resolve(inserted.has(p.event.providerEventId));
    if (inserted.size > 0) opts.onStored?.();
  }

  async function write(batch: Pending[]): Promise<void> {
    try {
      await insert(batch);
    } catch (err) {
      if (batch.length === 1 && refusedForContent(err)) {
        try {
          await insertRaw(batch[0]!, (err as Error).message);
          return;
        } catch (rawErr) {
          err = rawErr;
        }
      }
      if (batch.length === 1) {
        log.error({ err, eventId: batch[0]!.event.providerEventId }, 'could not store webhook event');
        batch[0]!.reject(err);
        return;
      }
      // One bad row must not fail its neighbours: write them one by one.
      log.warn({ err, size: batch.length }, 'batched webhook insert failed; retrying row by row');
      for (const p of batch) await write([p]);
    }
  }

  return {
    store(event) {
      if (closed) return Promise.reject(new InboxClosedError('the webhook inbox is closed'));
      return new Promise<boolean>((resolve, reject) => {
        queue.push({ event, resolve, reject });
        schedule();
      });
    },
    close() {
      closed = true;
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        settleIdle();
      });
    },
  };
}
