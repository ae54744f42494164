import { setMaxListeners } from 'node:events';
import cron, { type ScheduledTask } from 'node-cron';
import pLimit, { type LimitFunction } from 'p-limit';
import { ConflictError, ValidationError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import type { ImessageClient, SendParams } from '../provider/client.ts';
import { ProviderError } from '../provider/errors.ts';
import { DEFAULT_BACKOFF, retryDelayMs, type BackoffPolicy } from './backoff.ts';
import type { Clock } from './clock.ts';
import { startNextDueRun, type RenderFactory } from './enqueue.ts';
import { createHoldPolicy } from './hold.ts';
import { createLineQueue } from './line-queue.ts';
import { acquireToken, type Pacer } from './pacing.ts';
import { reconcileExpiredLeases } from './reconcile.ts';
import { createDueRuns } from './scheduler.ts';
import type { ClaimedMessage, Deferral, DispatchStore, SentResult } from './store.ts';
import type { TimezoneResolver } from './timezone.ts';
import { isInWindow, nextWindowOpening } from './window.ts';

export interface WorkerOptions {
  /** Most messages claimed by one statement. */
  batchSize: number;
  /** Most claimed-but-unfinished messages this worker holds. */
  maxInFlight: number;
  leaseMs: number;
  /** How long to wait for work when nothing is due. */
  pollIntervalMs: number;
  reconcileIntervalMs: number;
  /** Wait before an ambiguous send is looked up in the provider's history. */
  ambiguousSettleMs: number;
  /** Longest wait for a line's token before the message is handed back instead. */
  maxPacingWaitMs: number;
  /** Wait before a new contact is tried again when every pool line is at its cap. */
  capDeferMs: number;
  backoff: BackoffPolicy;
  /** On stop, how long in-flight sends may finish before they are aborted. */
  drainMs: number;
  /** Longest pause of this worker's sends while the provider is unavailable (503, unreachable). */
  unavailablePauseMaxMs: number;
  /** A campaign may have what it sends in this long claimed ahead (at least two rounds of its concurrency). */
  holdMs: number;
  /** node-cron expression of scheduler ticks in start() mode; false: ticks only through tick(). */
  tickSchedule: string | false;
  clockSkewMs: number;
}

export const DEFAULT_WORKER_OPTIONS: WorkerOptions = {
  batchSize: 100,
  maxInFlight: 256,
  leaseMs: 60_000,
  pollIntervalMs: 500,
  reconcileIntervalMs: 5_000,
  ambiguousSettleMs: 30_000,
  maxPacingWaitMs: 15_000,
  capDeferMs: 5 * 60_000,
  backoff: DEFAULT_BACKOFF,
  drainMs: 8_000,
  unavailablePauseMaxMs: 10_000,
  holdMs: 500,
  tickSchedule: '* * * * * *',
  clockSkewMs: 5_000,
};

export type DispatchEvent =
  | { type: 'sent'; messageId: number; campaignId: number; providerMessageId: string }
  | { type: 'failed'; messageId: number; campaignId: number; error: string }
  | { type: 'retry'; messageId: number; campaignId: number; error: string; retryAt: Date }
  | { type: 'skipped'; messageId: number; campaignId: number }
  | { type: 'deferred'; count: number; reason: DeferReason }
  | { type: 'ambiguous'; messageId: number; campaignId: number; error: string }
  | { type: 'reconciled'; foundSent: number; requeued: number; failed: number }
  | { type: 'run-started'; runId: number; campaignId: number; enqueued: number }
  | { type: 'run-completed'; runId: number; campaignId: number; status: string };

/** Why claimed messages went back to the queue unsent (their attempt is given back). */
export type DeferReason = 'window' | 'caps' | 'pacing' | 'released' | 'unavailable';

export interface RunSummary {
  claimed: number;
  sent: number;
  failed: number;
  retried: number;
  skipped: number;
  deferred: number;
  released: number;
  ambiguous: number;
  reconciledSent: number;
  reconciledRequeued: number;
  runsCreated: number;
  runsStarted: number;
  runsCompleted: number;
}

export interface WorkerDeps {
  store: DispatchStore;
  sender: Pick<ImessageClient, 'send' | 'history' | 'textHistory'>;
  clock: Clock;
  logger: Logger;
  workerId: string;
  pacer: Pacer;
  zones: TimezoneResolver;
  render: RenderFactory;
  options?: Partial<WorkerOptions>;
  onEvent?: (e: DispatchEvent) => void;
  /** Called at every turn of the claim loop (the /healthz heartbeat). */
  onHeartbeat?: () => void;
  random?: () => number;
}

export interface Worker {
  readonly workerId: string;
  /** Run until stop(): scheduler ticks, claims, sends, reconciles. */
  start(): void;
  /** Stop claiming, release what has not gone out, let in-flight sends finish (abort after drainMs). Idempotent. */
  stop(): Promise<void>;
  /** Process everything due now; resolves when nothing is due and nothing is in flight. */
  runOnce(): Promise<RunSummary>;
  /** Create due runs and enqueue them (what a scheduler tick does). */
  tick(): Promise<void>;
  summary(): RunSummary;
}

/**
 * Share of the lease after which an unanswered send is abandoned (and treated
 * as ambiguous). Sends start before half the lease (see leaseTooOld); the rest
 * leaves time to record the outcome while the lease is still ours.
 */
const SEND_DEADLINE_SHARE = 0.8;

/**
 * The provider as a whole cannot take requests (an outage, an overloaded
 * gateway, nothing listening), and surely did not act: not a fault of the
 * message, so it must not spend the message's attempts.
 */
function providerUnavailable(err: unknown): err is ProviderError {
  if (!(err instanceof ProviderError) || err.ambiguous) return false;
  if (err.status !== undefined) return err.status === 502 || err.status === 503 || err.status === 504;
  return err.kind === 'network' || err.kind === 'timeout';
}

function emptySummary(): RunSummary {
  return { claimed: 0, sent: 0, failed: 0, retried: 0, skipped: 0, deferred: 0, released: 0, ambiguous: 0, reconciledSent: 0, reconciledRequeued: 0, runsCreated: 0, runsStarted: 0, runsCompleted: 0 };
}

/**
 * The dispatcher. Depends only on ports: the store (its SQL), the sender (the
 * provider client), a clock, a pacer, a time-zone resolver and a renderer.
 */
export function createWorker(deps: WorkerDeps): Worker {
  const opts: WorkerOptions = { ...DEFAULT_WORKER_OPTIONS, ...deps.options };
  const { store, sender, clock, workerId } = deps;
  const logger = deps.logger.child({ component: 'dispatch', worker: workerId });
  const random = deps.random ?? Math.random;
  const emit = (e: DispatchEvent) => deps.onEvent?.(e);
  const totals = emptySummary();

  const inFlight = new Set<Promise<void>>();
  const limiters = new Map<number, LimitFunction>();
  const haltedCampaigns = new Set<number>();
  // Aborted when stop() begins: cuts waits (jitter, tokens) short, never a request.
  const stopping = new AbortController();
  // Aborted when the drain time is over: cuts in-flight requests.
  const hardAbort = new AbortController();
  // Every waiting message listens on these: hundreds of listeners are expected.
  setMaxListeners(0, stopping.signal, hardAbort.signal);
  let wakeUp: (() => void) | null = null;
  let loop: Promise<void> | null = null;
  let cronTask: ScheduledTask | null = null;
  let ticking: Promise<void> | null = null;
  let stopped: Promise<void> | null = null;
  let onceRunning = false;
  // Pause/cancel checks and run completion, running beside the claim loop.
  let housekeeping: Promise<void> | null = null;
  // Until then, a send of ours with an unknown outcome is still being settled.
  let ambiguousUntil = 0;
  // runOnce() stops waiting for unsettled sends when history keeps failing.
  let postponements = 0;
  const MAX_POSTPONEMENTS = 5;
  // While the provider is unavailable: no claims and no sends until this time
  // (epoch ms, clock time); the pause doubles while it stays down.
  let unavailableUntil = 0;
  let unavailableStreak = 0;
  const providerPaused = () => clock.now().getTime() < unavailableUntil;

  const wake = () => {
    const w = wakeUp;
    wakeUp = null;
    w?.();
  };
  const waitForWork = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wakeUp = null;
        resolve();
      }, ms);
      wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  function track(p: Promise<void>): void {
    const tracked = p.catch((err) => logger.error({ err }, 'dispatch task failed')).finally(() => {
      inFlight.delete(tracked);
      wake();
    });
    inFlight.add(tracked);
  }

  function limiterFor(row: ClaimedMessage): LimitFunction {
    let l = limiters.get(row.campaign_id);
    if (!l) {
      l = pLimit(row.concurrency);
      limiters.set(row.campaign_id, l);
    } else if (l.concurrency !== row.concurrency) {
      l.concurrency = row.concurrency;
    }
    return l;
  }

  // Campaigns whose last claim came back full: they are fed by claims of their
  // own, sized to the room their concurrency leaves.
  const hot = new Set<number>();
  const hold = createHoldPolicy(opts.holdMs);
  const assignLinesQueued = createLineQueue({ store, workerId, clock, capDeferMs: opts.capDeferMs, random });
  // Rows of such claims still on their way to the campaign's limiter (window
  // and line checks): counted as held, so the next claim can start meanwhile.
  const undispatched = new Map<number, number>();
  const held = (id: number) => {
    const l = limiters.get(id);
    return (l ? l.activeCount + l.pendingCount : 0) + (undispatched.get(id) ?? 0);
  };

  // ---- results -------------------------------------------------------------

  // Confirmed sends are recorded in batches, group-commit style: while a write
  // is in flight, the confirmations arriving meanwhile gather, and the next
  // write takes all of them. Batches so grow with the database's latency and
  // the statement count per message shrinks when it matters. Only sends the
  // provider confirmed ever enter the buffer, each with its own row, and each
  // message's task still waits for its own row to be written.
  let sentBuffer: { result: SentResult; done: (err?: unknown) => void }[] = [];
  let sentWrites = 0;
  let sentFlushQueued = false;
  const MAX_SENT_WRITES = 2;
  const MAX_SENT_BATCH = 1_000;
  function recordSent(result: SentResult): Promise<void> {
    return new Promise((resolve, reject) => {
      sentBuffer.push({ result, done: (err) => (err ? reject(err) : resolve()) });
      queueSentFlush();
    });
  }
  function queueSentFlush(): void {
    if (sentFlushQueued || sentWrites >= MAX_SENT_WRITES || sentBuffer.length === 0) return;
    sentFlushQueued = true;
    // The rest of this turn's confirmations join the batch.
    setImmediate(flushSent);
  }
  function flushSent(): void {
    sentFlushQueued = false;
    if (sentWrites >= MAX_SENT_WRITES || sentBuffer.length === 0) return;
    const batch = sentBuffer.length <= MAX_SENT_BATCH ? sentBuffer : sentBuffer.slice(0, MAX_SENT_BATCH);
    sentBuffer = batch === sentBuffer ? [] : sentBuffer.slice(MAX_SENT_BATCH);
    sentWrites++;
    store
      .markSent({ workerId, now: clock.now(), results: batch.map((b) => b.result) })
      .then(
        () => batch.forEach((b) => b.done()),
        (err: unknown) => batch.forEach((b) => b.done(err)),
      )
      .finally(() => {
        sentWrites--;
        queueSentFlush();
      });
  }

  async function defer(deferrals: Deferral[], reason: DeferReason): Promise<void> {
    if (deferrals.length === 0) return;
    const n = await store.deferMessages({ workerId, now: clock.now(), deferrals });
    if (reason === 'released') totals.released += n;
    else totals.deferred += n;
    emit({ type: 'deferred', count: n, reason });
  }

  const release = (row: ClaimedMessage) => defer([{ id: row.id, at: clock.now() }], 'released');

  /** Past half its lease a claimed row is given back rather than sent: a reconciler may soon take it over. */
  const leaseTooOld = (row: ClaimedMessage) => clock.now().getTime() - row.claimed_at.getTime() > opts.leaseMs / 2;

  /**
   * Give the message back without spending its attempt, and pause this
   * worker's sends: a whole outage would otherwise burn every attempt of every
   * message in a few backoff steps (and hammer a provider that is down).
   */
  async function deferForUnavailable(row: ClaimedMessage, err: ProviderError): Promise<void> {
    const now = clock.now().getTime();
    if (now >= unavailableUntil) {
      unavailableStreak++;
      const pause = retryDelayMs(unavailableStreak, { baseMs: opts.backoff.baseMs, maxMs: Math.min(opts.backoff.maxMs, opts.unavailablePauseMaxMs) }, err.retryAfterMs, random);
      unavailableUntil = now + pause;
      logger.warn({ err: err.message, pauseMs: pause, streak: unavailableStreak }, 'provider unavailable; sends paused');
    }
    await defer([{ id: row.id, at: new Date(unavailableUntil) }], 'unavailable');
  }

  async function handleSendError(row: ClaimedMessage, err: unknown): Promise<void> {
    const now = clock.now();
    const base = { messageId: row.id, campaignId: row.campaign_id };
    if (providerUnavailable(err)) return deferForUnavailable(row, err);
    if (err instanceof ProviderError && !err.ambiguous) {
      if (err.retryable) {
        const retryAt = new Date(now.getTime() + retryDelayMs(row.attempts, opts.backoff, err.retryAfterMs, random));
        const status = await store.markRetryOrFail({ workerId, id: row.id, now, retryAt, maxAttempts: row.max_attempts, error: err.message });
        if (status === 'failed') {
          totals.failed++;
          emit({ type: 'failed', ...base, error: err.message });
        } else if (status === 'queued') {
          totals.retried++;
          emit({ type: 'retry', ...base, error: err.message, retryAt });
        }
        return;
      }
      if (await store.markFailed({ workerId, id: row.id, now, error: err.message })) {
        totals.failed++;
        emit({ type: 'failed', ...base, error: err.message });
      }
      return;
    }
    if (err instanceof ValidationError) {
      // Our own input was refused before any request: final.
      if (await store.markFailed({ workerId, id: row.id, now, error: err.message })) {
        totals.failed++;
        emit({ type: 'failed', ...base, error: err.message });
      }
      return;
    }
    // The provider may have acted (timeout, dropped connection, our own abort):
    // never resend blindly; the reconciler asks its history once things settle.
    const error = err instanceof Error ? err.message : String(err);
    const settleUntil = now.getTime() + opts.ambiguousSettleMs;
    ambiguousUntil = Math.max(ambiguousUntil, settleUntil);
    await store.markAmbiguous({ workerId, id: row.id, settleUntil: new Date(settleUntil), error: `ambiguous: ${error}` });
    totals.ambiguous++;
    emit({ type: 'ambiguous', ...base, error });
    logger.warn({ message: row.id, err: error }, 'send outcome unknown; left for the reconciler');
  }

  async function sendOne(row: ClaimedMessage, line: string | null): Promise<void> {
    if (stopping.signal.aborted || haltedCampaigns.has(row.campaign_id) || leaseTooOld(row)) return release(row);
    if (providerPaused()) return defer([{ id: row.id, at: new Date(unavailableUntil) }], 'unavailable');
    try {
      if (row.jitter_ms > 0) await clock.sleep(random() * row.jitter_ms, stopping.signal);
      if (!row.fast_track) {
        const wait = await acquireToken(deps.pacer, clock, {
          // Without a line of ours the provider picks from its pool: pace the campaign as one line.
          line: line ?? `provider-pool:${row.campaign_id}`,
          ratePerSecond: row.rate_per_line,
          burst: row.burst_per_line,
          maxWaitMs: opts.maxPacingWaitMs,
          signal: stopping.signal,
        });
        if (wait > 0) return defer([{ id: row.id, at: new Date(clock.now().getTime() + wait) }], 'pacing');
      }
    } catch {
      return release(row); // a wait cut short by stop()
    }
    if (stopping.signal.aborted || haltedCampaigns.has(row.campaign_id) || leaseTooOld(row)) return release(row);
    if (providerPaused()) return defer([{ id: row.id, at: new Date(unavailableUntil) }], 'unavailable');

    const params: SendParams = { to: row.to_phone, message: row.body };
    if (line) params.from = line;
    if (row.attachments.length) params.attachments = row.attachments;
    if (row.fallback_when.length) {
      params.fallback = { when: row.fallback_when as NonNullable<SendParams['fallback']>['when'] };
      if (row.fallback_from) params.fallback.from = row.fallback_from;
    }
    if (row.fast_track) params.fast_track = true;

    // The consent check that counts: atomic with opt-out processing (see db/sql/hand-off.ts).
    if (!(await store.handOff({ workerId, id: row.id, now: clock.now() }))) {
      totals.skipped++;
      emit({ type: 'skipped', messageId: row.id, campaignId: row.campaign_id });
      return;
    }
    // The campaign's concurrency bounds requests to the provider; recording the
    // outcome happens after the slot is freed (still tracked, so stop() waits for it).
    const deadline = sendDeadline(row);
    try {
      const { message_id: messageId } = await sender.send(params, { retry: 'safe', signal: deadline.signal });
      unavailableStreak = 0;
      track(recordSuccess(row, line, messageId));
    } catch (err) {
      track(handleSendError(row, err));
    } finally {
      deadline.clear();
      hold.noteDone(row.campaign_id);
    }
  }

  /**
   * The signal a send runs under: stop()'s hard abort, and the lease. Once the
   * lease has expired a reconciler may look the message up in history and,
   * not finding it, hand it out again; a request of ours still in flight then
   * (the client waiting out a Retry-After, retrying a refused connection, a
   * slow answer) could land afterwards: a double send. So the send is cut off
   * well before the lease ends; the cut-off is ambiguous, so the row is left
   * to settle and be looked up like any lost answer.
   */
  function sendDeadline(row: ClaimedMessage): { signal: AbortSignal; clear(): void } {
    const ctl = new AbortController();
    const left = row.claimed_at.getTime() + opts.leaseMs * SEND_DEADLINE_SHARE - clock.now().getTime();
    const timer = setTimeout(() => ctl.abort(new Error('send cut off before its lease ends; outcome unknown')), Math.max(0, left));
    const onHardAbort = () => ctl.abort(hardAbort.signal.reason);
    if (hardAbort.signal.aborted) onHardAbort();
    else hardAbort.signal.addEventListener('abort', onHardAbort, { once: true });
    return {
      signal: ctl.signal,
      clear() {
        clearTimeout(timer);
        hardAbort.signal.removeEventListener('abort', onHardAbort);
      },
    };
  }

  async function recordSuccess(row: ClaimedMessage, line: string | null, messageId: string): Promise<void> {
    try {
      // iMessage unless the fallback may have turned it into an SMS; delivery reports correct it.
      await recordSent({ id: row.id, providerMessageId: messageId, fromLine: line, channel: 'imessage' });
      totals.sent++;
      emit({ type: 'sent', messageId: row.id, campaignId: row.campaign_id, providerMessageId: messageId });
    } catch (err) {
      // Sent but not recorded: the lease will expire and the reconciler will
      // find the message in the provider's history. Never resend from here.
      logger.error({ message: row.id, err }, 'send confirmed but not recorded; the reconciler will record it');
    }
  }

  /** Window, lines, then one limited task per message. */
  async function dispatchBatch(rows: ClaimedMessage[]): Promise<void> {
    const now = clock.now();
    const ready: ClaimedMessage[] = [];
    const outside: Deferral[] = [];
    const surplus: Deferral[] = [];
    // Hold no more than the campaign's hold limit (see hold.ts): more would only
    // sit on leases, and an opt-out or pause arriving meanwhile would come too late.
    const held = new Map<number, number>();
    for (const row of rows) {
      if (row.status === 'skipped') {
        totals.skipped++;
        emit({ type: 'skipped', messageId: row.id, campaignId: row.campaign_id });
        continue;
      }
      const l = limiters.get(row.campaign_id);
      const n = (held.get(row.campaign_id) ?? (l ? l.activeCount + l.pendingCount : 0)) + 1;
      held.set(row.campaign_id, n);
      if (n > hold.limit(row.campaign_id, row.concurrency)) {
        surplus.push({ id: row.id, at: now });
        continue;
      }
      const window = { startMinute: row.window_start_minute, endMinute: row.window_end_minute };
      if (window.startMinute !== null && window.endMinute !== null) {
        const zone = await deps.zones.zoneFor(row.to_phone, row.recipient_timezone, row.timezone);
        if (!isInWindow(now, zone, window)) {
          outside.push({ id: row.id, at: nextWindowOpening(now, zone, window) });
          continue;
        }
      }
      ready.push(row);
    }
    await defer(surplus, 'released');
    await defer(outside, 'window');
    if (ready.length === 0) return;
    const { lines, capped } = await assignLinesQueued(ready);
    await defer(capped, 'caps');
    const cappedIds = new Set(capped.map((c) => c.id));
    for (const row of ready) {
      if (cappedIds.has(row.id)) continue;
      const line = lines.get(row.id) ?? null;
      track(limiterFor(row)(() => sendOne(row, line)));
    }
  }

  async function claim(limit: number, filter: { campaignId?: number; excludeCampaigns?: number[] }): Promise<number> {
    const rows = await store.claimMessages({ workerId, limit, leaseMs: opts.leaseMs, now: clock.now(), ...filter });
    if (rows.length === 0) return 0;
    totals.claimed += rows.length;
    const id = filter.campaignId;
    if (id !== undefined) {
      // Its room was counted before the claim: the next claim need not wait for
      // this batch's line assignment, which would otherwise sit between every two claims.
      undispatched.set(id, (undispatched.get(id) ?? 0) + rows.length);
      track(
        dispatchBatch(rows).finally(() => {
          const left = (undispatched.get(id) ?? 0) - rows.length;
          if (left > 0) undispatched.set(id, left);
          else undispatched.delete(id);
        }),
      );
      return rows.length;
    }
    const batch = dispatchBatch(rows);
    track(batch);
    await batch;
    if (rows.length === limit) for (const r of rows) hot.add(r.campaign_id);
    return rows.length;
  }

  // A discovery claim that came back short found everything there was: the
  // next one waits a poll interval (or until nothing is in flight). Without
  // this, every finished send would wake the loop into another discovery
  // claim, each one reading past all the queued rows of the campaigns it
  // excludes, to find nothing.
  let discoveryDueAt = 0;

  /**
   * Claim what this worker can use now: for each campaign it is feeding, the
   * room left in two rounds of its concurrency; then a general claim (other
   * campaigns) for the rest of the in-flight budget. `more`: some claim came
   * back full (there is more to take at once); `idle`: nothing was in flight
   * and nothing could be claimed.
   */
  async function claimAndDispatch(): Promise<{ more: boolean; idle: boolean }> {
    const startedEmpty = inFlight.size === 0;
    // Nothing is claimed while the provider is down: the rows stay queued for any worker.
    if (providerPaused()) return { more: false, idle: startedEmpty };
    let claimed = 0;
    let more = false;
    for (const id of [...hot]) {
      const free = opts.maxInFlight - inFlight.size;
      const l = limiters.get(id);
      if (!l) continue;
      const limit = hold.limit(id, l.concurrency);
      // Never more than the in-flight budget has room for: a campaign whose
      // hold is larger than the budget must still be fed (the discovery claim
      // below leaves it out).
      const room = Math.min(limit - held(id), free);
      // Wait for half a round (or half the hold) of room: claims of a few rows
      // each would cost a statement per few messages. With nothing in flight
      // the room is at least this, so a hot campaign is never left unfed.
      const enough = Math.max(1, Math.min(opts.batchSize, Math.floor(opts.maxInFlight / 2), Math.max(l.concurrency / 2, limit / 2)));
      if (room < enough) continue;
      const asked = Math.min(room, opts.batchSize);
      const got = await claim(asked, { campaignId: id });
      claimed += got;
      if (got < asked) {
        hot.delete(id);
        discoveryDueAt = 0; // what else is due may now be claimed
      } else more = true;
    }
    const free = opts.maxInFlight - inFlight.size;
    const asked = Math.min(opts.batchSize, free);
    const discoveryDue = inFlight.size === 0 || Date.now() >= discoveryDueAt;
    if (discoveryDue && (asked >= Math.min(opts.batchSize, opts.maxInFlight) / 2 || inFlight.size === 0)) {
      const busy = [...limiters.keys()].filter((id) => hot.has(id) || held(id) > 0);
      const got = await claim(asked, { excludeCampaigns: busy });
      claimed += got;
      if (got === asked) more = true;
      // While it has work in hand, a worker looks for other campaigns a few times a second at most.
      else discoveryDueAt = Date.now() + Math.max(opts.pollIntervalMs, 250);
    }
    return { more, idle: startedEmpty && claimed === 0 };
  }

  /** Pause/cancel since the claim: rows of such campaigns are handed back, not sent. */
  async function refreshHalted(): Promise<void> {
    const ids = [...limiters.keys()].filter((id) => (limiters.get(id)!.activeCount + limiters.get(id)!.pendingCount) > 0);
    haltedCampaigns.clear();
    if (ids.length === 0) return;
    for (const [id, status] of await store.campaignStatuses(ids)) if (status !== 'scheduled' && status !== 'running') haltedCampaigns.add(id);
  }

  async function completeRuns(): Promise<void> {
    const now = clock.now();
    await store.cancelPendingRunsOfCancelledCampaigns(now);
    const done = await store.completeFinishedRuns(now);
    if (done.length === 0) return;
    totals.runsCompleted += done.length;
    for (const r of done) {
      emit({ type: 'run-completed', runId: r.id, campaignId: r.campaign_id, status: r.status });
      logger.info({ run: r.id, campaign: r.campaign_id, status: r.status }, 'run finished');
    }
    await store.completeOneOffCampaigns([...new Set(done.map((r) => r.campaign_id))]);
  }

  async function reconcile(): Promise<void> {
    const r = await reconcileExpiredLeases(
      { store, sender, clock, logger, workerId },
      { leaseMs: opts.leaseMs, clockSkewMs: opts.clockSkewMs, historyLimit: 50, retryMs: opts.ambiguousSettleMs, batchSize: opts.batchSize },
    );
    if (r.examined === 0) return;
    if (r.postponed > 0) {
      ambiguousUntil = Math.max(ambiguousUntil, r.postponedUntil);
      postponements++;
    }
    totals.reconciledSent += r.foundSent;
    totals.reconciledRequeued += r.requeued;
    totals.failed += r.failed;
    emit({ type: 'reconciled', foundSent: r.foundSent, requeued: r.requeued, failed: r.failed });
  }

  async function doTick(): Promise<void> {
    const created = await createDueRuns(store, clock.now(), logger);
    totals.runsCreated += created.length;
    while (!stopping.signal.aborted) {
      const started = await startNextDueRun({ store, render: deps.render, zones: deps.zones, logger }, clock.now());
      if (!started) break;
      totals.runsStarted++;
      emit({ type: 'run-started', runId: started.runId, campaignId: started.campaignId, enqueued: started.enqueued });
    }
    wake();
  }

  function tick(): Promise<void> {
    // Overlapping ticks would only race each other on the same rows.
    ticking ??= doTick().finally(() => (ticking = null));
    return ticking;
  }

  async function pump(untilIdle: boolean): Promise<void> {
    let lastReconcile = Date.now();
    let lastHousekeeping = Date.now();
    while (!stopping.signal.aborted) {
      deps.onHeartbeat?.();
      try {
        if (Date.now() - lastReconcile >= opts.reconcileIntervalMs) {
          lastReconcile = Date.now();
          await reconcile();
        }
        if (!housekeeping && Date.now() - lastHousekeeping >= Math.max(250, Math.min(1_000, opts.pollIntervalMs))) {
          lastHousekeeping = Date.now();
          // Beside the claims, not in their way: nothing below waits for it.
          housekeeping = (async () => {
            await refreshHalted();
            await completeRuns();
          })()
            .catch((err) => logger.error({ err }, 'dispatch housekeeping failed'))
            .finally(() => (housekeeping = null));
        }
        const { more, idle } = await claimAndDispatch();
        if (more) continue;
        if (untilIdle && idle) {
          // Our own unsettled sends are still in flight in the sense that
          // matters: wait for them to settle, reconcile them, then look again.
          if (ambiguousUntil === 0 || hardAbort.signal.aborted || postponements >= MAX_POSTPONEMENTS) return;
          const left = ambiguousUntil - clock.now().getTime();
          if (left >= 0) {
            await clock.sleep(Math.min(left + 1, opts.pollIntervalMs));
          } else {
            ambiguousUntil = 0;
            lastReconcile = Date.now();
            await reconcile();
          }
          continue;
        }
        await waitForWork(opts.pollIntervalMs);
      } catch (err) {
        if (stopping.signal.aborted) return;
        logger.error({ err }, 'dispatch loop error; retrying');
        if (untilIdle) throw err;
        await waitForWork(opts.pollIntervalMs);
      }
    }
  }

  async function drain(): Promise<void> {
    const all = () => Promise.allSettled([...inFlight]);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), opts.drainMs)));
    // Loop: a finishing task may have been the batch that tracked more tasks.
    while (inFlight.size > 0) {
      const r = await Promise.race([all(), deadline]);
      if (r === 'late') {
        hardAbort.abort(new Error('worker stopping'));
        while (inFlight.size > 0) await all();
        break;
      }
    }
    clearTimeout(timer);
  }

  return {
    workerId,

    start() {
      if (loop || stopped) return;
      logger.info('worker started');
      if (opts.tickSchedule) {
        cronTask = cron.schedule(opts.tickSchedule, () => tick().catch((err) => logger.error({ err }, 'scheduler tick failed')), {
          name: `bluecast-scheduler-${workerId}`,
          noOverlap: true,
        });
      }
      loop = (async () => {
        await tick().catch((err) => logger.error({ err }, 'scheduler tick failed'));
        await reconcile().catch((err) => logger.error({ err }, 'reconcile failed'));
        await pump(false);
      })();
    },

    stop() {
      stopped ??= (async () => {
        stopping.abort(new Error('worker stopping'));
        await cronTask?.stop();
        await cronTask?.destroy();
        wake();
        await loop?.catch(() => undefined);
        await ticking?.catch(() => undefined);
        await housekeeping;
        await drain();
        // What we just finished may have been the last of a run.
        await completeRuns().catch((err) => logger.warn({ err }, 'could not close finished runs'));
        logger.info({ ...totals }, 'worker stopped');
      })();
      return stopped;
    },

    async runOnce() {
      if (loop) throw new ConflictError('runOnce() cannot run while the worker is started');
      if (onceRunning) throw new ConflictError('runOnce() is already running');
      onceRunning = true;
      const before = { ...totals };
      postponements = 0;
      try {
        await tick();
        await reconcile();
        await pump(true);
        await housekeeping;
        await drain();
        await completeRuns();
      } finally {
        onceRunning = false;
      }
      const out = emptySummary();
      for (const k of Object.keys(out) as (keyof RunSummary)[]) out[k] = totals[k] - before[k];
      return out;
    },

    tick,
    summary: () => ({ ...totals }),
  };
}
