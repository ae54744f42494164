import type pg from 'pg';
import { insertRawWebhookEvent, insertWebhookEvents, type NewWebhookEvent } from '../db/sql/webhook-events.ts';
import type { Logger } from '../lib/logger.ts';
import { createWriteBatcher, type PendingWrite } from '../lib/write-batcher.ts';

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

type Pending = PendingWrite<NewWebhookEvent, boolean>;

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
 * Write-behind batching of received events (lib/write-batcher): requests that
 * arrive while a write is in flight go out together as one multi-row INSERT.
 * Each request's promise settles only after the COMMIT of the statement that
 * holds its row, so the 2xx always follows a durable row.
 */
export function createEventInbox(opts: EventInboxOptions): EventInbox {
  const log = opts.logger.child({ component: 'webhook-inbox' });
  let closed = false;
  /** The event as the text it was signed as (see insertRawWebhookEvent). */
  async function insertRaw(p: Pending, why: string): Promise<void> {
    const e = p.item;
    const inserted = await insertRawWebhookEvent(opts.pool, { providerEventId: e.providerEventId, type: e.type, raw: e.raw.replace(/\u0000/g, '\uFFFD'), note: `stored as raw text: ${why}`, shapeIssues: e.shapeIssues });
    log.warn({ eventId: e.providerEventId, why }, 'webhook event stored as raw text');
    p.resolve(inserted);
    if (inserted) opts.onStored?.();
  }

  async function insert(all: Pending[]): Promise<void> {
    const batch = all.filter((p) => p.item.payload !== null);
    for (const p of all) if (p.item.payload === null) await insertRaw(p, 'its JSON could not be made storable');
    if (batch.length === 0) return;
    const inserted = await insertWebhookEvents(
      opts.pool,
      batch.map((p) => p.item),
    );
    // A duplicate within the batch reports "new" for both copies; only the row count matters downstream.
    for (const p of batch) p.resolve(inserted.has(p.item.providerEventId));
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
        log.error({ err, eventId: batch[0]!.item.providerEventId }, 'could not store webhook event');
        batch[0]!.reject(err);
        return;
      }
      // One bad row must not fail its neighbours: write them one by one.
      log.warn({ err, size: batch.length }, 'batched webhook insert failed; retrying row by row');
      for (const p of batch) await write([p]);
    }
  }

  const batcher = createWriteBatcher<NewWebhookEvent, boolean>({
    maxBatch: opts.maxBatch ?? 500,
    maxInFlight: opts.maxInFlight ?? 3,
    write,
  });

  return {
    store(event) {
      if (closed) return Promise.reject(new InboxClosedError('the webhook inbox is closed'));
      return batcher.add(event);
    },
    close() {
      closed = true;
      return batcher.idle();
    },
  };
}
