import { classifyFailure, type Failure } from '../provider/classify.ts';
import { retryDelayMs } from './backoff.ts';
import type { ClaimedMessage, WorkerContext } from './worker-types.ts';
import { nowMs } from './worker-types.ts';

/**
 * While the provider is unavailable, this worker neither claims nor sends
 * until the pause is over; the pause doubles (with jitter, up to
 * unavailablePauseMaxMs) while it stays down, and a confirmed send resets it.
 * A whole outage would otherwise burn every attempt of every message in a few
 * backoff steps, and hammer a provider that is down.
 */
export interface OutageBreaker {
  /** Sends are paused now. */
  paused(): boolean;
  /** When the pause ends (epoch ms, clock time); in the past when none. */
  until(): number;
  /** The provider was found unavailable: start (or keep) the pause; returns its end. */
  trip(f: Failure): number;
  /** A send went through. */
  reset(): void;
}

export function createOutageBreaker(ctx: Pick<WorkerContext, 'clock' | 'opts' | 'random' | 'logger'>): OutageBreaker {
  let until = 0;
  let streak = 0;
  return {
    paused: () => nowMs(ctx.clock) < until,
    until: () => until,
    trip(f) {
      const now = nowMs(ctx.clock);
      if (now >= until) {
        streak++;
        const policy = { baseMs: ctx.opts.backoff.baseMs, maxMs: Math.min(ctx.opts.backoff.maxMs, ctx.opts.unavailablePauseMaxMs) };
        const pause = retryDelayMs(streak, policy, f.retryAfterMs, ctx.random);
        until = now + pause;
        ctx.logger.warn({ err: f.message, pauseMs: pause, streak }, 'provider unavailable; sends paused');
      }
      return until;
    },
    reset() {
      streak = 0;
    },
  };
}

/**
 * Record what a failed send means for its message (see classifyFailure):
 * handed back unspent while the provider is down; retried with backoff or
 * failed when its attempts are spent; failed at once when refused for good;
 * left `sending` to settle and be looked up in history when the provider may
 * have acted.
 */
export function createFailureRecorder(ctx: WorkerContext, breaker: OutageBreaker) {
  const { store, workerId, opts, totals } = ctx;
  /** Until then, a send of ours with an unknown outcome is still settling (epoch ms); 0: none. */
  let ambiguousUntil = 0;

  async function markFailed(row: ClaimedMessage, error: string): Promise<void> {
    if (await store.markFailed({ workerId, id: row.id, now: ctx.clock.now(), error })) {
      totals.failed++;
      ctx.emit({ type: 'failed', messageId: row.id, campaignId: row.campaign_id, error });
    }
  }

  async function record(row: ClaimedMessage, err: unknown): Promise<void> {
    const f = classifyFailure(err);
    const now = ctx.clock.now();
    const base = { messageId: row.id, campaignId: row.campaign_id };
    switch (f.kind) {
      case 'unavailable':
        return ctx.defer([{ id: row.id, at: new Date(breaker.trip(f)) }], 'unavailable');
      case 'retryable': {
        const retryAt = new Date(now.getTime() + retryDelayMs(row.attempts, opts.backoff, f.retryAfterMs, ctx.random));
        const status = await store.markRetryOrFail({ workerId, id: row.id, now, retryAt, maxAttempts: row.max_attempts, error: f.message });
        if (status === 'failed') {
          totals.failed++;
          ctx.emit({ type: 'failed', ...base, error: f.message });
        } else if (status === 'queued') {
          totals.retried++;
          ctx.emit({ type: 'retry', ...base, error: f.message, retryAt });
        }
        return;
      }
      case 'account': {
        // Every send of the campaign would be refused: stop the campaign, not
        // the recipient. The message goes back to the queue with its attempt
        // given back; so do the other in-flight ones as their refusals come in.
        const url = f.url ?? null;
        ctx.haltCampaign(row.campaign_id);
        if (await store.blockCampaign({ campaignId: row.campaign_id, reason: f.message, url, now })) {
          ctx.emit({ type: 'blocked', campaignId: row.campaign_id, reason: f.message, url });
          ctx.logger.error({ campaign: row.campaign_id, err: f.message, url }, 'provider refused the account; campaign blocked until resumed');
        }
        return ctx.defer([{ id: row.id, at: now }], 'blocked');
      }
      case 'refused':
        return markFailed(row, f.message);
      case 'ambiguous': {
        // Never resend blindly: the reconciler asks the history once things settle.
        // A 5xx also says the provider is in trouble: pause sends as for an outage.
        if (f.outage) breaker.trip(f);
        const settleUntil = Math.max(now.getTime() + opts.ambiguousSettleMs, f.outage ? breaker.until() : 0);
        ambiguousUntil = Math.max(ambiguousUntil, settleUntil);
        await store.markAmbiguous({ workerId, id: row.id, settleUntil: new Date(settleUntil), error: `ambiguous: ${f.message}` });
        totals.ambiguous++;
        ctx.emit({ type: 'ambiguous', ...base, error: f.message });
        ctx.logger.warn({ message: row.id, err: f.message }, 'send outcome unknown; left for the reconciler');
        return;
      }
    }
  }

  return {
    record,
    /** Until when sends of ours are still settling (epoch ms, clock time); 0: none. */
    settlingUntil: () => ambiguousUntil,
    /** The reconciler has looked at them (or postponed them until `until`). */
    settled(until = 0) {
      ambiguousUntil = until;
    },
    postpone(until: number) {
      ambiguousUntil = Math.max(ambiguousUntil, until);
    },
  };
}
export type FailureRecorder = ReturnType<typeof createFailureRecorder>;
