import type { Queryable } from './queryable.ts';

export interface NewWebhookEvent {
  providerEventId: string;
  type: string;
  /** The JSON text as received (already verified and parsed once). */
  payload: string;
}

/**
 * Store a batch of received events in one round trip.
 *
 * Why this shape: the receiver answers 2xx only once its event is durable, and
 * at thousands of events per second one INSERT per request would make the
 * database round trip the bottleneck; `unnest` turns three arrays into rows so
 * the statement text stays constant (one prepared plan) whatever the batch size.
 * The unique provider event id makes a repeated delivery a no-op, also when both
 * copies sit in the same batch. The JSON text is cast by PostgreSQL, so it is
 * never re-serialised on our side.
 */
export async function insertWebhookEvents(db: Queryable, events: NewWebhookEvent[]): Promise<Set<string>> {
  const res = await db.query<{ provider_event_id: string }>({
    name: 'webhooks.insert_events',
    text: `INSERT INTO webhook_events (provider_event_id, type, payload)
           SELECT e.id, e.type, e.payload::jsonb
             FROM unnest($1::text[], $2::text[], $3::text[]) AS e(id, type, payload)
           ON CONFLICT (provider_event_id) DO NOTHING
           RETURNING provider_event_id`,
    values: [events.map((e) => e.providerEventId), events.map((e) => e.type), events.map((e) => e.payload)],
  });
  return new Set(res.rows.map((r) => r.provider_event_id));
}

export interface ClaimedWebhookEvent {
  id: number;
  provider_event_id: string;
  type: string;
  payload: unknown;
  attempts: number;
}

/**
 * Lock the next unprocessed events that are due, oldest first.
 *
 * Why this shape: SKIP LOCKED lets several processors (and several bluecast
 * processes) share the backlog without waiting on each other; the locks hold
 * until the caller's transaction commits the results. Arrival order keeps a
 * person's STOP and START in the order they were received. A failed event waits
 * before its next try; the wait is computed from received_at and attempts
 * (exponential, then growing by at most `capSeconds` per attempt) because the
 * table has no next-attempt column, which also keeps the index on
 * (processed_at, received_at) usable.
 */
export async function claimWebhookEvents(
  tx: Queryable,
  opts: { limit: number; retryBaseSeconds: number; retryCapSeconds: number },
): Promise<ClaimedWebhookEvent[]> {
  const res = await tx.query<ClaimedWebhookEvent>({
    name: 'webhooks.claim_events',
    text: `SELECT id, provider_event_id, type, payload, attempts
             FROM webhook_events
            WHERE processed_at IS NULL
              AND received_at <= now() - make_interval(secs =>
                    LEAST($2::float8 * (power(2, LEAST(attempts, 30)) - 1), $3::float8 * attempts))
            ORDER BY received_at, id
            LIMIT $1
              FOR UPDATE SKIP LOCKED`,
    values: [opts.limit, opts.retryBaseSeconds, opts.retryCapSeconds],
  });
  return res.rows;
}

/**
 * Mark events processed, with an optional note (e.g. why an event was dropped).
 *
 * Why this shape: one statement for the whole batch, inside the transaction
 * that applied the events' effects, so "processed" and the effects commit
 * together: an event is never half-applied and never applied twice.
 */
export async function markWebhookEventsProcessed(tx: Queryable, done: { id: number; note: string | null }[]): Promise<void> {
  if (!done.length) return;
  await tx.query({
    name: 'webhooks.mark_processed',
    text: `UPDATE webhook_events w
              SET processed_at = now(), attempts = w.attempts + 1, last_error = d.note
             FROM unnest($1::bigint[], $2::text[]) AS d(id, note)
            WHERE w.id = d.id`,
    values: [done.map((d) => d.id), done.map((d) => d.note)],
  });
}

/**
 * Record failed attempts; the events stay unprocessed and are retried later.
 *
 * Why this shape: attempts drives the retry delay in claimWebhookEvents, and
 * last_error tells an operator what is stuck. Batched like the success path.
 */
export async function recordWebhookEventFailures(tx: Queryable, failed: { id: number; error: string }[]): Promise<void> {
  if (!failed.length) return;
  await tx.query({
    name: 'webhooks.record_failures',
    text: `UPDATE webhook_events w
              SET attempts = w.attempts + 1, last_error = f.error
             FROM unnest($1::bigint[], $2::text[]) AS f(id, error)
            WHERE w.id = f.id`,
    values: [failed.map((f) => f.id), failed.map((f) => f.error)],
  });
}

/**
 * One stored event by its provider id, locked, for the receiver to apply at
 * once (an opt-out is applied before it is acknowledged). Why this shape: a
 * plain FOR UPDATE (not SKIP LOCKED) waits for a processor batch that holds
 * the row, after which processed_at says it is done.
 */
export async function lockWebhookEvent(tx: Queryable, providerEventId: string): Promise<(ClaimedWebhookEvent & { processed: boolean }) | null> {
  const res = await tx.query<ClaimedWebhookEvent & { processed: boolean }>({
    name: 'webhooks.lock_event',
    text: `SELECT id, provider_event_id, type, payload, attempts, processed_at IS NOT NULL AS processed
             FROM webhook_events WHERE provider_event_id = $1 FOR UPDATE`,
    values: [providerEventId],
  });
  return res.rows[0] ?? null;
}
