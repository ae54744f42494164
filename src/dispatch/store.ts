import * as legalHolds from '../db/sql/legal-holds.ts';
import type pg from 'pg';
import * as block from '../db/sql/campaign-block.ts';
import * as runs from '../db/sql/campaign-runs.ts';
import * as claim from '../db/sql/claim-messages.ts';
import * as enqueue from '../db/sql/enqueue.ts';
import * as handOff from '../db/sql/hand-off.ts';
import * as lines from '../db/sql/lines.ts';
import * as results from '../db/sql/message-results.ts';
import { inTransaction, type Queryable } from '../db/sql/queryable.ts';
import { createWriteBatcher, type WriteBatcher } from '../lib/write-batcher.ts';
import * as reconcile from '../db/sql/expired-leases.ts';
import type { CapStore } from './legal-hold.ts';

export type { ClaimedMessage } from '../db/sql/claim-messages.ts';
export type { ExpiredLease } from '../db/sql/expired-leases.ts';
export type { SentResult, Deferral } from '../db/sql/message-results.ts';
export type { LineLoad } from '../db/sql/lines.ts';
export type { StartedRun, ScheduleCandidate } from '../db/sql/campaign-runs.ts';
export type { RecipientRow, NewMessage } from '../db/sql/enqueue.ts';

/** The statements an enqueue needs, bound to one transaction. */
export interface EnqueueTx {
  startDueRun(now: Date): Promise<runs.StartedRun | null>;
  readRecipientChunk(campaignId: number, afterId: number, limit: number): Promise<enqueue.RecipientRow[]>;
  insertRunMessages(p: Parameters<typeof enqueue.insertRunMessages>[1]): Promise<number>;
  setRunEnqueued(runId: number, n: number): Promise<void>;
  markCampaignRunning(campaignId: number): Promise<boolean>;
}

/** The statements line assignment needs, bound to one transaction holding the assignment lock. */
export interface LineTx {
  lineNewContactLoad(lines: string[], now: Date): Promise<lines.LineLoad[]>;
  setRequestedLines(workerId: string, assignments: { id: number; line: string }[]): Promise<number>;
}

/**
 * The dispatcher's port onto the database: the hand-written statements of
 * src/db/sql, nothing else. Tests and benchmarks use the real one.
 */
export interface DispatchStore extends CapStore {
  listScheduleCandidates(): Promise<runs.ScheduleCandidate[]>;
  insertRun(p: { campaignId: number; scheduledFor: Date; catchUp: boolean }): Promise<{ id: number } | null>;
  enqueueTransaction<T>(fn: (tx: EnqueueTx) => Promise<T>): Promise<T>;
  claimMessages(p: { workerId: string; limit: number; leaseMs: number; now: Date; excludeCampaigns?: number[]; campaignId?: number }): Promise<claim.ClaimedMessage[]>;
  campaignStatuses(ids: number[]): Promise<Map<number, string>>;
  lineTransaction<T>(fn: (tx: LineTx) => Promise<T>): Promise<T>;
  setRequestedLines(workerId: string, assignments: { id: number; line: string }[]): Promise<number>;
  /** Right before the provider call: false when the contact opted out or the lease is lost (then nothing is sent). */
  handOff(p: { workerId: string; id: number; now: Date }): Promise<boolean>;
  markSent(p: { workerId: string; now: Date; results: results.SentResult[] }): Promise<number>;
  markRetryOrFail(p: { workerId: string; id: number; now: Date; retryAt: Date; maxAttempts: number; error: string }): Promise<'queued' | 'failed' | 'cancelled' | null>;
  markFailed(p: { workerId: string; id: number; now: Date; error: string }): Promise<boolean>;
  markAmbiguous(p: { workerId: string; id: number; settleUntil: Date; error: string }): Promise<boolean>;
  /** `reason` is kept on the rows for the "why waiting" panel (src/reports/live-state.ts). */
  deferMessages(p: { workerId: string; now: Date; deferrals: results.Deferral[]; reason?: string }): Promise<number>;
  /** Claimed rows the recipient's law does not allow now: queued with not_before and their reasons. */
  holdMessages(p: { workerId: string; now: Date; holds: legalHolds.Hold[] }): Promise<number>;
  /** Claimed rows the rules rule out for good: skipped or expired. */
  closeMessages(p: { workerId: string; now: Date; closures: legalHolds.Closure[] }): Promise<{ closed: number; expired: number }>;
  /** Queued messages of campaigns past their send-by deadline: expired (never sent late). */
  expireOverdue(now: Date): Promise<number>;
  claimExpiredLeases(p: { workerId: string; limit: number; leaseMs: number; now: Date }): Promise<reconcile.ExpiredLease[]>;
  markReconciledSent(p: Parameters<typeof reconcile.markReconciledSent>[1]): Promise<boolean>;
  completeFinishedRuns(now: Date): Promise<{ id: number; campaign_id: number; status: string }[]>;
  cancelPendingRunsOfCancelledCampaigns(now: Date): Promise<number>;
  completeOneOffCampaigns(ids: number[]): Promise<number[]>;
  /** The provider refused the account: the campaign stops, its messages stay queued. */
  blockCampaign(p: block.CampaignBlock): Promise<boolean>;
}

/**
 * Hand-offs requested in the same turn of the event loop go out as one
 * statement per worker (lib/write-batcher, no limit on writes in flight): at
 * high rates many sends reach their hand-off together, and a round trip each
 * would halve the dispatcher's throughput.
 */
function gatherHandOffs(pool: pg.Pool): DispatchStore['handOff'] {
  const perWorker = new Map<string, WriteBatcher<{ id: number; now: Date }, boolean>>();
  const batcherFor = (workerId: string) => {
    let b = perWorker.get(workerId);
    if (!b) {
      b = createWriteBatcher({
        maxBatch: Infinity,
        maxInFlight: Infinity,
        write: async (batch) => {
          const now = batch.reduce((t, b) => (b.item.now > t ? b.item.now : t), batch[0]!.item.now);
          const ok = await handOff.handOff(pool, { workerId, ids: batch.map((b) => b.item.id), now });
          for (const b of batch) b.resolve(ok.has(b.item.id));
        },
      });
      perWorker.set(workerId, b);
    }
    return b;
  };
  return (p) => batcherFor(p.workerId).add({ id: p.id, now: p.now });
}

export function createPgDispatchStore(pool: pg.Pool): DispatchStore {
  const lineTx = (db: Queryable): LineTx => ({
    lineNewContactLoad: (l, now) => lines.lineNewContactLoad(db, { lines: l, now }),
    setRequestedLines: (workerId, assignments) => lines.setRequestedLines(db, { workerId, assignments }),
  });
  return {
    listScheduleCandidates: () => runs.listScheduleCandidates(pool),
    insertRun: (p) => runs.insertRun(pool, p),
    enqueueTransaction: (fn) =>
      inTransaction(pool, (c) =>
        fn({
          startDueRun: (now) => runs.startDueRun(c, now),
          readRecipientChunk: (campaignId, afterId, limit) => enqueue.readRecipientChunk(c, campaignId, afterId, limit),
          insertRunMessages: (p) => enqueue.insertRunMessages(c, p),
          setRunEnqueued: (runId, n) => runs.setRunEnqueued(c, runId, n),
          markCampaignRunning: (id) => runs.markCampaignRunning(c, id),
        }),
      ),
    claimMessages: ({ campaignId, ...p }) =>
      campaignId === undefined ? claim.claimMessages(pool, p) : claim.claimCampaignMessages(pool, { ...p, campaignId }),
    campaignStatuses: (ids) => claim.campaignStatuses(pool, ids),
    lineTransaction: (fn) => inTransaction(pool, (c) => fn(lineTx(c)), lines.beginLineAssignment),
    setRequestedLines: (workerId, assignments) => lines.setRequestedLines(pool, { workerId, assignments }),
    handOff: gatherHandOffs(pool),
    markSent: (p) => results.markSent(pool, p),
    markRetryOrFail: (p) => results.markRetryOrFail(pool, p),
    markFailed: (p) => results.markFailed(pool, p),
    markAmbiguous: (p) => results.markAmbiguous(pool, p),
    deferMessages: (p) => results.deferMessages(pool, p),
    holdMessages: (p) => legalHolds.holdMessages(pool, p),
    closeMessages: (p) => legalHolds.closeMessages(pool, p),
    expireOverdue: (now) => legalHolds.expireOverdue(pool, now),
    capTransaction: (fn) =>
      inTransaction(pool, (c) =>
        fn({
          lockContacts: (ids) => legalHolds.lockContactsForCaps(c, ids),
          recentSends: (p) => legalHolds.recentSends(c, p),
          markCleared: (p) => legalHolds.markCleared(c, p),
        }),
      ),
    blockCampaign: (p) => block.blockCampaign(pool, p),
    claimExpiredLeases: (p) => reconcile.claimExpiredLeases(pool, p),
    markReconciledSent: (p) => reconcile.markReconciledSent(pool, p),
    completeFinishedRuns: (now) => runs.completeFinishedRuns(pool, now),
    cancelPendingRunsOfCancelledCampaigns: (now) => runs.cancelPendingRunsOfCancelledCampaigns(pool, now),
    completeOneOffCampaigns: (ids) => runs.completeOneOffCampaigns(pool, ids),
  };
}
