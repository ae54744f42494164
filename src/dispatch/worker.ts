import { setMaxListeners } from 'node:events';
import cron, { type ScheduledTask } from 'node-cron';
import { ConflictError } from '../lib/errors.ts';
import { createClaimer } from './claimer.ts';
import { createDrainer, deadline } from './drain.ts';
import { startNextDueRun } from './enqueue.ts';
import { reconcileExpiredLeases } from './reconcile.ts';
import { createDueRuns } from './scheduler.ts';
import { createFailureRecorder, createOutageBreaker } from './send-outcome.ts';
import { createMessageSender } from './send-one.ts';
import {
  DEFAULT_WORKER_OPTIONS,
  emptySummary,
  nowMs,
  type DeferReason,
  type RunSummary,
  type StopReport,
  type Worker,
  type WorkerContext,
  type WorkerDeps,
  type WorkerOptions,
} from './worker-types.ts';

export { DEFAULT_WORKER_OPTIONS } from './worker-types.ts';
export type { DeferReason, DispatchEvent, RunSummary, StopReport, Worker, WorkerDeps, WorkerOptions } from './worker-types.ts';

/** runOnce() stops waiting for unsettled sends when history keeps failing. */
const MAX_POSTPONEMENTS = 5;

/**
 * The dispatcher: the loop and its lifecycle. Depends only on ports: the store
 * (its SQL), the sender (the provider client), a clock, a pacer, a time-zone
 * resolver and a renderer. Its parts: the claimer (claimer.ts), sending one
 * message (send-one.ts), what a failure means and the outage breaker
 * (send-outcome.ts).
 */
export function createWorker(deps: WorkerDeps): Worker {
  const opts: WorkerOptions = { ...DEFAULT_WORKER_OPTIONS, ...deps.options };
  const { store, clock, workerId } = deps;
  const logger = deps.logger.child({ component: 'dispatch', worker: workerId });
  const totals = emptySummary();
  const inFlight = new Set<Promise<void>>();
  const haltedCampaigns = new Set<number>();
  const stopping = new AbortController();
  const hardAbort = new AbortController();
  // Every waiting message listens on these: hundreds of listeners are expected.
  setMaxListeners(0, stopping.signal, hardAbort.signal);
  // Errors of stop() and of the tasks it waits for, reported by stop().
  const stopErrors: unknown[] = [];

  let wakeUp: (() => void) | null = null;
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

  const ctx: WorkerContext = {
    deps,
    opts,
    store,
    clock,
    workerId,
    logger,
    random: deps.random ?? Math.random,
    totals,
    emit: (e) => deps.onEvent?.(e),
    stopping: stopping.signal,
    hardAbort: hardAbort.signal,
    haltedCampaigns,
    haltCampaign: (id) => void haltedCampaigns.add(id),
    track(p) {
      const tracked = p
        .catch((err) => {
          logger.error({ err }, 'dispatch task failed');
          if (stopping.signal.aborted) stopErrors.push(err);
        })
        .finally(() => {
          inFlight.delete(tracked);
          wake();
        });
      inFlight.add(tracked);
    },
    inFlight: () => inFlight.size,
    async defer(deferrals, reason: DeferReason) {
      if (deferrals.length === 0) return;
      const n = await store.deferMessages({ workerId, now: clock.now(), deferrals });
      if (reason === 'released') totals.released += n;
      else totals.deferred += n;
      ctx.emit({ type: 'deferred', count: n, reason });
    },
  };

  const breaker = createOutageBreaker(ctx);
  const failures = createFailureRecorder(ctx, breaker);
  const sendOne = createMessageSender(ctx, breaker, failures, (row) => claimer.noteDone(row.campaign_id));
  const claimer = createClaimer(ctx, breaker, sendOne);

  let loop: Promise<void> | null = null;
  let cronTask: ScheduledTask | null = null;
  let ticking: Promise<void> | null = null;
  let stopped: Promise<StopReport> | null = null;
  let onceRunning = false;
  // Pause/cancel checks and run completion, running beside the claim loop.
  let housekeeping: Promise<void> | null = null;
  let postponements = 0;

  /** Pause/cancel since the claim: rows of such campaigns are handed back, not sent. */
  async function refreshHalted(): Promise<void> {
    const ids = claimer.busyCampaigns();
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
      ctx.emit({ type: 'run-completed', runId: r.id, campaignId: r.campaign_id, status: r.status });
      logger.info({ run: r.id, campaign: r.campaign_id, status: r.status }, 'run finished');
    }
    await store.completeOneOffCampaigns([...new Set(done.map((r) => r.campaign_id))]);
  }

  async function reconcile(): Promise<void> {
    const r = await reconcileExpiredLeases(
      { store, sender: deps.sender, clock, logger, workerId },
      { leaseMs: opts.leaseMs, clockSkewMs: opts.clockSkewMs, historyLimit: 50, retryMs: opts.ambiguousSettleMs, batchSize: opts.batchSize },
    );
    if (r.examined === 0) return;
    if (r.postponed > 0) {
      failures.postpone(r.postponedUntil);
      postponements++;
    }
    totals.reconciledSent += r.foundSent;
    totals.reconciledRequeued += r.requeued;
    totals.failed += r.failed;
    ctx.emit({ type: 'reconciled', foundSent: r.foundSent, requeued: r.requeued, failed: r.failed });
  }

  async function doTick(): Promise<void> {
    const created = await createDueRuns(store, clock.now(), logger);
    totals.runsCreated += created.length;
    while (!stopping.signal.aborted) {
      const started = await startNextDueRun({ store, render: deps.render, zones: deps.zones, logger }, clock.now());
      if (!started) break;
      totals.runsStarted++;
      ctx.emit({ type: 'run-started', runId: started.runId, campaignId: started.campaignId, enqueued: started.enqueued });
    }
    wake();
  }

  function tick(): Promise<void> {
    // Overlapping ticks would only race each other on the same rows.
    ticking ??= doTick().finally(() => (ticking = null));
    return ticking;
  }

  function startHousekeeping(): void {
    // Beside the claims, not in their way: nothing in the loop waits for it.
    housekeeping = (async () => {
      await refreshHalted();
      await completeRuns();
    })()
      .catch((err) => logger.error({ err }, 'dispatch housekeeping failed'))
      .finally(() => (housekeeping = null));
  }

  async function pump(untilIdle: boolean): Promise<void> {
    const housekeepingMs = Math.max(250, Math.min(1_000, opts.pollIntervalMs));
    let lastReconcile = nowMs(clock);
    let lastHousekeeping = nowMs(clock);
    while (!stopping.signal.aborted) {
      deps.onHeartbeat?.();
      try {
        if (nowMs(clock) - lastReconcile >= opts.reconcileIntervalMs) {
          lastReconcile = nowMs(clock);
          await reconcile();
        }
        if (!housekeeping && nowMs(clock) - lastHousekeeping >= housekeepingMs) {
          lastHousekeeping = nowMs(clock);
          startHousekeeping();
        }
        const { more, idle } = await claimer.claimAndDispatch();
        if (more) continue;
        if (untilIdle && idle) {
          // Our own unsettled sends are still in flight in the sense that
          // matters: wait for them to settle, reconcile them, then look again.
          const settling = failures.settlingUntil();
          if (settling === 0 || hardAbort.signal.aborted || postponements >= MAX_POSTPONEMENTS) return;
          const left = settling - nowMs(clock);
          if (left >= 0) {
            await clock.sleep(Math.min(left + 1, opts.pollIntervalMs));
          } else {
            failures.settled();
            lastReconcile = nowMs(clock);
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

  const drain = createDrainer(inFlight, hardAbort, opts.drainMs);

  async function collect(what: string, p: Promise<unknown> | null | undefined): Promise<void> {
    try {
      await p;
    } catch (err) {
      logger.warn({ err }, `stopping: ${what} failed`);
      stopErrors.push(err);
    }
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
        const overall = deadline(opts.stopTimeoutMs);
        stopping.abort(new Error('worker stopping'));
        await collect('the scheduler', (async () => {
          await cronTask?.stop();
          await cronTask?.destroy();
        })());
        wake();
        // Within the deadline too: a loop stuck on a lost database must not hold the shutdown.
        const inTime = async (what: string, p: Promise<unknown> | null) => {
          if ((await Promise.race([collect(what, p), overall.late])) === 'late') logger.warn(`stop deadline passed waiting for ${what}`);
        };
        await inTime('the loop', loop);
        await inTime('a scheduler tick', ticking);
        await inTime('housekeeping', housekeeping);
        const { drained, abandoned } = await drain(overall);
        // What we just finished may have been the last of a run.
        await collect('closing finished runs', Promise.race([completeRuns(), overall.late]));
        overall.clear();
        if (abandoned > 0) logger.warn({ abandoned }, 'stop deadline passed with sends still running; their leases cover them');
        logger.info({ ...totals, drained, abandoned, errors: stopErrors.length }, 'worker stopped');
        return { drained, abandoned, errors: [...stopErrors] };
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
