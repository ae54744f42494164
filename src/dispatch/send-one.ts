import type { SendParams } from '../provider/client.ts';
import { acquireToken } from './pacing.ts';
import type { OutageBreaker, FailureRecorder } from './send-outcome.ts';
import { createSentWriter } from './sent-writer.ts';
import { nowMs, type ClaimedMessage, type WorkerContext } from './worker-types.ts';

/**
 * Share of the lease after which an unanswered send is abandoned (and treated
 * as ambiguous). Sends start before half the lease (see leaseTooOld); the rest
 * leaves time to record the outcome while the lease is still ours.
 */
export const SEND_DEADLINE_SHARE = 0.8;

/**
 * Sending one claimed message: jitter and a pacing token, the last checks
 * (stopping, campaign halted, lease too old, provider paused), the request
 * under a deadline, then its outcome recorded. Never throws for a send.
 */
export function createMessageSender(ctx: WorkerContext, breaker: OutageBreaker, failures: FailureRecorder, onDone: (row: ClaimedMessage) => void) {
  const { clock, opts } = ctx;
  const recordSent = createSentWriter(ctx);

  const release = (row: ClaimedMessage) => ctx.defer([{ id: row.id, at: clock.now() }], 'released');
  const deferUntilAvailable = (row: ClaimedMessage) => ctx.defer([{ id: row.id, at: new Date(breaker.until()) }], 'unavailable');

  /** Past half its lease a claimed row is given back rather than sent: a reconciler may soon take it over. */
  const leaseTooOld = (row: ClaimedMessage) => nowMs(clock) - row.claimed_at.getTime() > opts.leaseMs / 2;
  const mustRelease = (row: ClaimedMessage) => ctx.stopping.aborted || (row.kind === 'campaign' && ctx.haltedCampaigns.has(row.campaign_id)) || leaseTooOld(row);

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
    const left = row.claimed_at.getTime() + opts.leaseMs * SEND_DEADLINE_SHARE - nowMs(clock);
    // Unref'd: a send abandoned by stop() must not keep the process alive until its lease would end.
    const timer = setTimeout(() => ctl.abort(new Error('send cut off before its lease ends; outcome unknown')), Math.max(0, left)).unref();
    const onHardAbort = () => ctl.abort(ctx.hardAbort.reason);
    if (ctx.hardAbort.aborted) onHardAbort();
    else ctx.hardAbort.addEventListener('abort', onHardAbort, { once: true });
    return {
      signal: ctl.signal,
      clear() {
        clearTimeout(timer);
        ctx.hardAbort.removeEventListener('abort', onHardAbort);
      },
    };
  }

  async function recordSuccess(row: ClaimedMessage, line: string | null, messageId: string): Promise<void> {
    try {
      // iMessage unless the fallback may have turned it into an SMS; delivery reports correct it.
      await recordSent({ id: row.id, providerMessageId: messageId, fromLine: line, channel: 'imessage' });
      ctx.totals.sent++;
      ctx.emit({ type: 'sent', messageId: row.id, campaignId: row.campaign_id, providerMessageId: messageId });
    } catch (err) {
      // Sent but not recorded: the lease will expire and the reconciler will
      // find the message in the provider's history. Never resend from here.
      ctx.logger.error({ message: row.id, err }, 'send confirmed but not recorded; the reconciler will record it');
    }
  }

  function paramsFor(row: ClaimedMessage, line: string | null): SendParams {
    const params: SendParams = { to: row.to_phone, message: row.body };
    if (line) params.from = line;
    if (row.attachments.length) params.attachments = row.attachments;
    if (row.fallback_when.length) {
      params.fallback = { when: row.fallback_when as NonNullable<SendParams['fallback']>['when'] };
      if (row.fallback_from) params.fallback.from = row.fallback_from;
    }
    if (row.fast_track) params.fast_track = true;
    return params;
  }

  return async function sendOne(row: ClaimedMessage, line: string | null): Promise<void> {
    if (mustRelease(row)) return release(row);
    if (breaker.paused()) return deferUntilAvailable(row);
    try {
      if (row.jitter_ms > 0) await clock.sleep(ctx.random() * row.jitter_ms, ctx.stopping);
      if (!row.fast_track) {
        const wait = await acquireToken(ctx.deps.pacer, clock, {
          // Without a line of ours the provider picks from its pool: pace the campaign as one line.
          line: line ?? `provider-pool:${row.campaign_id}`,
          ratePerSecond: row.rate_per_line,
          burst: row.burst_per_line,
          maxWaitMs: opts.maxPacingWaitMs,
          marginAfterWaitMs: opts.pacingMarginMs,
          signal: ctx.stopping,
        });
        if (wait > 0) return ctx.defer([{ id: row.id, at: new Date(nowMs(clock) + wait) }], 'pacing');
      }
    } catch {
      return release(row); // a wait cut short by stop()
    }
    if (mustRelease(row)) return release(row);
    if (breaker.paused()) return deferUntilAvailable(row);

    // The consent check that counts: atomic with opt-out processing (see db/sql/hand-off.ts).
    if (!(await ctx.deps.store.handOff({ workerId: ctx.workerId, id: row.id, now: clock.now() }))) {
      ctx.totals.skipped++;
      ctx.emit({ type: 'skipped', messageId: row.id, campaignId: row.campaign_id });
      return;
    }
    // The campaign's concurrency bounds requests to the provider; recording the
    // outcome happens after the slot is freed (still tracked, so stop() waits for it).
    const deadline = sendDeadline(row);
    try {
      const { message_id: messageId } = await ctx.deps.sender.send(paramsFor(row, line), { retry: 'safe', signal: deadline.signal });
      breaker.reset();
      ctx.track(recordSuccess(row, line, messageId));
    } catch (err) {
      ctx.track(failures.record(row, err));
    } finally {
      deadline.clear();
      onDone(row);
    }
  };
}
