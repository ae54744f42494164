import type { Closure, Hold } from '../db/sql/legal-holds.ts';
import pLimit, { type LimitFunction } from 'p-limit';
import { createHoldPolicy } from './hold.ts';
import { createLineQueue } from './line-queue.ts';
import type { OutageBreaker } from './send-outcome.ts';
import { nowMs, type ClaimedMessage, type Deferral, type WorkerContext } from './worker-types.ts';

export type SendOne = (row: ClaimedMessage, line: string | null) => Promise<void>;

/**
 * The claimer: takes due rows from the store and hands each, once its window
 * and line are settled, to its campaign's limiter (the campaign's
 * concurrency) to be sent.
 */
export function createClaimer(ctx: WorkerContext, breaker: OutageBreaker, sendOne: SendOne) {
  const { store, workerId, clock, opts, totals } = ctx;
  const limiters = new Map<number, LimitFunction>();
  // Campaigns whose last claim came back full: they are fed by claims of their
  // own, sized to the room their concurrency leaves.
  const hot = new Set<number>();
  const hold = createHoldPolicy(opts.holdMs);
  const assignLinesQueued = createLineQueue({ store, workerId, clock, capDeferMs: opts.capDeferMs, random: ctx.random });
  // Rows of such claims still on their way to the campaign's limiter (window
  // and line checks): counted as held, so the next claim can start meanwhile.
  const undispatched = new Map<number, number>();
  const queuedIn = (l: LimitFunction | undefined) => (l ? l.activeCount + l.pendingCount : 0);
  const held = (id: number) => queuedIn(limiters.get(id)) + (undispatched.get(id) ?? 0);
  // A discovery claim that came back short found everything there was: the
  // next one waits a poll interval (or until nothing is in flight). Without
  // this, every finished send would wake the loop into another discovery
  // claim, each one reading past all the queued rows of the campaigns it
  // excludes, to find nothing.
  let discoveryDueAt = 0;

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

  /** Window, lines, then one limited task per message. */
  async function dispatchBatch(rows: ClaimedMessage[]): Promise<void> {
    const now = clock.now();
    const ready: ClaimedMessage[] = [];
    const surplus: Deferral[] = [];
    const legal: Hold[] = [];
    const closed: Closure[] = [];
    // Hold no more than the campaign's hold limit (see hold.ts): more would only
    // sit on leases, and an opt-out or pause arriving meanwhile would come too late.
    const counted = new Map<number, number>();
    for (const row of rows) {
      if (row.status === 'skipped') {
        totals.skipped++;
        ctx.emit({ type: 'skipped', messageId: row.id, campaignId: row.campaign_id });
        continue;
      }
      const n = (counted.get(row.campaign_id) ?? queuedIn(limiters.get(row.campaign_id))) + 1;
      counted.set(row.campaign_id, n);
      if (n > hold.limit(row.campaign_id, row.concurrency)) {
        surplus.push({ id: row.id, at: now });
        continue;
      }
      ready.push(row);
    }
    // The campaign's window and the law, in every zone the recipient may be in (dispatch/legal-hold.ts).
    if (ready.length > 0) {
      const gate = await ctx.legalHold(ready, now, store, workerId);
      ready.length = 0;
      ready.push(...gate.ready);
      legal.push(...gate.holds);
      closed.push(...gate.closures);
    }
    await ctx.defer(surplus, 'released');
    if (legal.length > 0) {
      const n = await store.holdMessages({ workerId, now, holds: legal });
      totals.deferred += n;
      const windowOnly = legal.every((h) => h.reasons.every((r) => (r as { rule?: string }).rule === 'campaign.window'));
      ctx.emit({ type: 'deferred', count: n, reason: windowOnly ? 'window' : 'legal' });
    }
    if (closed.length > 0) {
      const { closed: n, expired } = await store.closeMessages({ workerId, now, closures: closed });
      totals.expired += expired;
      totals.skipped += n - expired;
      if (expired > 0) ctx.emit({ type: 'expired', count: expired });
    }
    if (ready.length === 0) return;
    const { lines, capped } = await assignLinesQueued(ready);
    await ctx.defer(capped, 'caps');
    const cappedIds = new Set(capped.map((c) => c.id));
    for (const row of ready) {
      if (cappedIds.has(row.id)) continue;
      const line = lines.get(row.id) ?? null;
      ctx.track(limiterFor(row)(() => sendOne(row, line)));
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
      ctx.track(
        dispatchBatch(rows).finally(() => {
          const left = (undispatched.get(id) ?? 0) - rows.length;
          if (left > 0) undispatched.set(id, left);
          else undispatched.delete(id);
        }),
      );
      return rows.length;
    }
    const batch = dispatchBatch(rows);
    ctx.track(batch);
    await batch;
    if (rows.length === limit) for (const r of rows) hot.add(r.campaign_id);
    return rows.length;
  }

  /**
   * Claim what this worker can use now: for each campaign it is feeding, the
   * room left in two rounds of its concurrency; then a general claim (other
   * campaigns) for the rest of the in-flight budget. `more`: some claim came
   * back full (there is more to take at once); `idle`: nothing was in flight
   * and nothing could be claimed.
   */
  async function claimAndDispatch(): Promise<{ more: boolean; idle: boolean }> {
    const startedEmpty = ctx.inFlight() === 0;
    // Nothing is claimed while the provider is down: the rows stay queued for any worker.
    if (breaker.paused()) return { more: false, idle: startedEmpty };
    let claimed = 0;
    let more = false;
    for (const id of [...hot]) {
      const free = opts.maxInFlight - ctx.inFlight();
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
    const free = opts.maxInFlight - ctx.inFlight();
    const asked = Math.min(opts.batchSize, free);
    const discoveryDue = ctx.inFlight() === 0 || nowMs(clock) >= discoveryDueAt;
    if (discoveryDue && (asked >= Math.min(opts.batchSize, opts.maxInFlight) / 2 || ctx.inFlight() === 0)) {
      const busy = [...limiters.keys()].filter((id) => hot.has(id) || held(id) > 0);
      const got = await claim(asked, { excludeCampaigns: busy });
      claimed += got;
      if (got === asked) more = true;
      // While it has work in hand, a worker looks for other campaigns a few times a second at most.
      else discoveryDueAt = nowMs(clock) + Math.max(opts.pollIntervalMs, 250);
    }
    return { more, idle: startedEmpty && claimed === 0 };
  }

  return {
    claimAndDispatch,
    /** A send of this campaign is over (its slot in the hold is free). */
    noteDone: (campaignId: number) => hold.noteDone(campaignId),
    /** Campaigns with rows claimed by this worker and not yet sent. */
    busyCampaigns: () => [...limiters.keys()].filter((id) => queuedIn(limiters.get(id)) > 0),
  };
}
