import type { Queryable } from './queryable.ts';

export interface NewWebhookEvent {
  providerEventId: string;
  type: string;
  /** The JSON text as received (already verified and parsed once), made storable; null when it could not be. */
  payload: string | null;
  /** The body exactly as received, kept when payload cannot be stored as jsonb. */
  raw: string;
  /** What is off its documented shape (issues joined), when anything is. */
  shapeIssues?: string | null;
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
    text: `INSERT INTO webhook_events (provider_event_id, type, payload, shape_issues)
           SELECT e.id, e.type, e.payload::jsonb, e.issues
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS e(id, type, payload, issues)
           ON CONFLICT (provider_event_id) DO NOTHING
           RETURNING provider_event_id`,
    values: [events.map((e) => e.providerEventId), events.map((e) => e.type), events.map((e) => e.payload ?? 'null'), events.map((e) => e.shapeIssues ?? null)],
  });
  return new Set(res.rows.map((r) => r.provider_event_id));
}

/**
 * Store one received event as the text it was signed as, when PostgreSQL
 * cannot hold its JSON as jsonb (nested deeper than its parser allows, say).
 *
 * Why this shape: the event is acknowledged only once stored, and refusing it
 * would have the provider send it again for ever; the processor parses
 * raw_body itself. `note` goes to last_error so the oddity is visible. The
 * same unique id makes a repeat a no-op.
 */
export async function insertRawWebhookEvent(db: Queryable, e: { providerEventId: string; type: string; raw: string; note: string; shapeIssues?: string | null }): Promise<boolean> {
  const res = await db.query({
    name: 'webhooks.insert_raw_event',
    text: `INSERT INTO webhook_events (provider_event_id, type, payload, raw_body, last_error, shape_issues)
           VALUES ($1, $2, NULL, $3, $4, $5)
           ON CONFLICT (provider_event_id) DO NOTHING`,
    values: [e.providerEventId, e.type, e.raw, e.note, e.shapeIssues ?? null],
  });
  return (res.rowCount ?? 0) > 0;
}

export interface ClaimedWebhookEvent {
  id: number;
  provider_event_id: string;
  type: string;
  /** NULL when only raw_body could hold the event. */
  payload: unknown;
  raw_body: string | null;
  attempts: number;
  received_at: Date;
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
 * (processed_at, received_at) usable. Dead-lettered events wait for an
 * operator (retryDeadLetters), not for the clock.
 */
export async function claimWebhookEvents(
  tx: Queryable,
  opts: { limit: number; retryBaseSeconds: number; retryCapSeconds: number },
): Promise<ClaimedWebhookEvent[]> {
  const res = await tx.query<ClaimedWebhookEvent>({
    name: 'webhooks.claim_events',
    text: `SELECT id, provider_event_id, type, payload, raw_body, attempts, received_at
             FROM webhook_events
            WHERE processed_at IS NULL
              AND dead_lettered_at IS NULL
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
    text: `SELECT id, provider_event_id, type, payload, raw_body, attempts, received_at, processed_at IS NOT NULL AS processed
             FROM webhook_events WHERE provider_event_id = $1 FOR UPDATE`,
    values: [providerEventId],
  });
  return res.rows[0] ?? null;
}

/**
 * Set events aside after their last allowed try: the dead-letter state.
 *
 * Why this shape: the row stays where it is (nothing is dropped), unprocessed,
 * with the time it was set aside and the reason in last_error; the claim skips
 * it until an operator puts it back. Batched like the other outcomes.
 */
export async function deadLetterWebhookEvents(tx: Queryable, failed: { id: number; error: string }[]): Promise<void> {
  if (!failed.length) return;
  await tx.query({
    name: 'webhooks.dead_letter',
    text: `UPDATE webhook_events w
              SET attempts = w.attempts + 1, last_error = f.error, dead_lettered_at = now()
             FROM unnest($1::bigint[], $2::text[]) AS f(id, error)
            WHERE w.id = f.id`,
    values: [failed.map((f) => f.id), failed.map((f) => f.error)],
  });
}

export interface DeadLetterRow {
  id: number;
  provider_event_id: string;
  type: string;
  received_at: Date;
  dead_lettered_at: Date;
  attempts: number;
  last_error: string | null;
}

/** Dead-lettered events, oldest first (through their partial index). */
export async function listDeadLetters(db: Queryable, limit: number): Promise<DeadLetterRow[]> {
  const res = await db.query<DeadLetterRow>({
    name: 'webhooks.list_dead_letters',
    text: `SELECT id::int AS id, provider_event_id, type, received_at, dead_lettered_at, attempts, last_error
             FROM webhook_events
            WHERE dead_lettered_at IS NOT NULL
            ORDER BY dead_lettered_at, id
            LIMIT $1`,
    values: [limit],
  });
  return res.rows;
}

/**
 * Put dead-lettered events back in the queue, by row id or provider event id,
 * or all of them; returns the provider ids requeued.
 *
 * Why this shape: one conditional UPDATE, so only events that are dead-lettered
 * move (a processed event is never re-applied). attempts goes back to 0, which
 * makes the event due at once and gives it the full number of tries again;
 * last_error is kept until the next try overwrites it.
 */
export async function retryDeadLetters(db: Queryable, which: { all: true } | { ids: number[]; providerIds: string[] }): Promise<string[]> {
  const all = 'all' in which;
  const res = await db.query<{ provider_event_id: string }>({
    name: 'webhooks.retry_dead_letters',
    text: `UPDATE webhook_events
              SET dead_lettered_at = NULL, attempts = 0
            WHERE dead_lettered_at IS NOT NULL
              AND ($1::boolean OR id = ANY($2::bigint[]) OR provider_event_id = ANY($3::text[]))
            RETURNING provider_event_id`,
    values: [all, all ? [] : which.ids, all ? [] : which.providerIds],
  });
  return res.rows.map((r) => r.provider_event_id);
}
