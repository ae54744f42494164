import type pg from 'pg';
import pLimit from 'p-limit';
import { transitionDelivery, type DeliveryTransition } from '../db/sql/delivery-state.ts';
import { claimDuePolls, recordPoll, scheduleNewPolls, type DuePoll, type PollRecord } from '../db/sql/delivery-polls.ts';
import { claimDueSeedPolls, recordSeedPoll, scheduleNewSeedPolls, transitionSeedDelivery } from '../db/sql/seed-delivery.ts';
import type { Queryable } from '../db/sql/queryable.ts';
import type { Logger } from '../lib/logger.ts';
import { createPollLoop } from '../lib/poll-loop.ts';
import type { ImessageClient } from '../provider/client.ts';
import { allowedFrom, failureOutcome } from './delivery-status.ts';
import { findHistoryEntry, mergeHistoryEntry, observeHistoryEntry, observeMessage, type Observation } from './tracking.ts';
import { ProviderError } from '../provider/errors.ts';
import { exponentialDelay } from '../lib/backoff.ts';

/** The provider operations the reconciler uses. */
export type TrackingClient = Pick<ImessageClient, 'get' | 'history'>;

export interface PollPolicy {
  /** First poll this long after the send. */
  firstDelayMs: number;
  /** Delays double up to this. */
  maxDelayMs: number;
  /** Polls per message before giving up. */
  maxAttempts: number;
  /** No polling of messages sent longer ago than this. */
  maxAgeMs: number;
}

/**
 * 12 polls with doubling delays (30 s … 1 h) reach about 9 hours after the
 * send: iMessage delivery is seconds, reads mostly come the same day, and a
 * message the provider keeps saying nothing about must not cost two provider
 * calls every hour for days. The cap holds whatever the answers are (errors
 * and off-schema answers count as polls).
 */
export const DEFAULT_POLL_POLICY: PollPolicy = {
  firstDelayMs: 30_000,
  maxDelayMs: 3_600_000,
  maxAttempts: 12,
  maxAgeMs: 3 * 24 * 3_600_000,
};

export interface DeliveryReconcilerOptions {
  pool: pg.Pool;
  client: TrackingClient;
  logger: Logger;
  policy?: Partial<PollPolicy>;
  intervalMs?: number;
  batchSize?: number;
  /** Provider calls in flight at once. */
  concurrency?: number;
  /** How long a claimed poll is reserved before someone else may take it. */
  leaseMs?: number;
  now?: () => Date;
  /** Off-schema history entries left out (metrics). */
  onSkippedEntries?: (n: number) => void;
}

export interface DeliveryPollSummary {
  polled: number;
  changed: number;
  errors: number;
}

export interface DeliveryReconciler {
  start(): void;
  /** Lets the round in progress finish, then stops. Idempotent. */
  stop(): Promise<void>;
  /** One round: schedule new sends, poll what is due. */
  runOnce(): Promise<DeliveryPollSummary>;
}

/** The statements of one table of sends the reconciler follows: the same polls and transitions over its rows. */
interface PolledTable {
  scheduleNew(db: Queryable, firstDelaySeconds: number): Promise<number>;
  claimDue(db: Queryable, o: { limit: number; leaseSeconds: number }): Promise<DuePoll[]>;
  transition(db: Queryable, t: DeliveryTransition): Promise<boolean>;
  record(db: Queryable, p: PollRecord): Promise<void>;
}

/**
 * Campaign (and conversation) messages, then seed sends (`plan --seed`):
 * kept in a table of their own so no campaign count sees them, followed the same way.
 */
const POLLED_TABLES: readonly PolledTable[] = [
  { scheduleNew: scheduleNewPolls, claimDue: claimDuePolls, transition: transitionDelivery, record: recordPoll },
  { scheduleNew: scheduleNewSeedPolls, claimDue: claimDueSeedPolls, transition: transitionSeedDelivery, record: recordSeedPoll },
];

/** Next poll time after `attempts` polls, or null when polling should end. */
export function nextPollAt(policy: PollPolicy, attempts: number, sentAt: Date | null, now: Date): Date | null {
  if (attempts >= policy.maxAttempts) return null;
  if (sentAt && now.getTime() - sentAt.getTime() > policy.maxAgeMs) return null;
  const delay = exponentialDelay(attempts, { baseMs: policy.firstDelayMs, maxMs: policy.maxDelayMs });
  return new Date(now.getTime() + delay);
}

/** Whether an observation is the end of the story for this message. */
function isFinal(o: Observation): boolean {
  return o.state === 'read' || o.state === 'failed' || (o.state === 'delivered' && o.channel === 'sms');
}

/**
 * iMessage delivery and read states are not all pushed by webhooks: this
 * component asks the provider about messages sent but not final, with backoff,
 * and records delivered / read / failed, the SMS fallback and the spam flags.
 * State changes go through the same forward-only transition as webhooks, so
 * the two can race freely.
 */
export function createDeliveryReconciler(opts: DeliveryReconcilerOptions): DeliveryReconciler {
  const log = opts.logger.child({ component: 'delivery-reconciler' });
  const policy: PollPolicy = { ...DEFAULT_POLL_POLICY, ...opts.policy };
  const intervalMs = opts.intervalMs ?? 5_000;
  const batchSize = opts.batchSize ?? 100;
  const leaseSeconds = (opts.leaseMs ?? 120_000) / 1000;
  const limit = pLimit(opts.concurrency ?? 4);
  const now = opts.now ?? (() => new Date());
  const controller = new AbortController();

  /** Off-schema history entries were left out by the client: noted, and the rest of the thread still read. */
  function noteSkipped<H extends { skipped?: string[] }>(m: DuePoll, h: H): H {
    if (h.skipped?.length) {
      opts.onSkippedEntries?.(h.skipped.length);
      log.info({ id: m.id, to: m.to_phone, skipped: h.skipped }, 'off-schema history entries skipped');
    }
    return h;
  }

  async function observe(m: DuePoll): Promise<Observation | null> {
    const signal = controller.signal;
    if (m.provider_message_id) {
      const got = observeMessage(await opts.client.get(m.provider_message_id, { tracking: true, signal }));
      // Read times, delivery.status and the spam flags live only in the thread's history.
      const from = m.from_line ?? got.fromLine;
      if (from && got.state !== 'failed' && got.channel !== 'sms') {
        const history = noteSkipped(m, await opts.client.history({ to: m.to_phone, from, limit: 20 }, { signal }));
        const entry = findHistoryEntry(history, m.body, m.sent_at, from);
        if (entry) mergeHistoryEntry(got, entry);
      }
      return got;
    }
    if (!m.from_line) return null;
    const history = noteSkipped(m, await opts.client.history({ to: m.to_phone, from: m.from_line, limit: 50, tracking: true }, { signal }));
    const entry = findHistoryEntry(history, m.body, m.sent_at, m.from_line);
    return entry ? observeHistoryEntry(entry) : null;
  }

  async function apply(table: PolledTable, m: DuePoll, o: Observation | null, stopPolling = false): Promise<boolean> {
    let changed = false;
    if (o) {
      const target = { providerMessageId: m.provider_message_id, messageId: m.id };
      if (o.deliveredAt && (o.state === 'delivered' || o.state === 'read')) {
        changed = (await table.transition(opts.pool, { ...target, to: 'delivered', from: allowedFrom('delivered'), at: o.deliveredAt })) || changed;
      }
      if (o.state === 'read' && o.readAt) {
        changed = (await table.transition(opts.pool, { ...target, to: 'read', from: allowedFrom('read'), at: o.readAt })) || changed;
      }
      if (o.state === 'failed' && o.failedAt) {
        const to = failureOutcome(o.error);
        changed = (await table.transition(opts.pool, { ...target, to, from: allowedFrom(to), at: o.failedAt, error: o.error })) || changed;
      }
    }
    const t = now();
    await table.record(opts.pool, {
      id: m.id,
      nextPollAt: stopPolling || (o && isFinal(o)) ? null : nextPollAt(policy, m.poll_attempts + 1, m.sent_at, t),
      channel: o?.channel ?? null,
      fallbackUsed: o?.fallbackUsed ?? false,
      autoReportedSpam: o?.autoReportedSpam ?? false,
      markedSpam: o?.markedSpam ?? false,
      fromLine: o?.fromLine ?? null,
    });
    return changed;
  }

  async function pollOne(table: PolledTable, m: DuePoll, summary: DeliveryPollSummary): Promise<void> {
    let o: Observation | null;
    let unknown = false;
    try {
      o = await observe(m);
    } catch (err) {
      if (controller.signal.aborted) return; // shutting down: the lease runs out and someone polls again
      summary.errors++;
      // The provider does not know this id (another account, a simulator since restarted): asking again cannot help.
      unknown = err instanceof ProviderError && err.status === 404;
      log[unknown ? 'info' : 'warn']({ err, id: m.id, providerMessageId: m.provider_message_id }, unknown ? 'provider does not know the message; polling stops' : 'delivery poll failed');
      o = null; // counts as a poll: the backoff keeps a broken message from being asked about forever
    }
    summary.polled++;
    if (await apply(table, m, o, unknown)) summary.changed++;
  }

  async function runOnce(): Promise<DeliveryPollSummary> {
    const summary: DeliveryPollSummary = { polled: 0, changed: 0, errors: 0 };
    for (const table of POLLED_TABLES) {
      await table.scheduleNew(opts.pool, policy.firstDelayMs / 1000);
      for (;;) {
        const due = await table.claimDue(opts.pool, { limit: batchSize, leaseSeconds });
        await Promise.all(due.map((m) => limit(() => pollOne(table, m, summary))));
        if (controller.signal.aborted) return summary;
        if (due.length < batchSize) break;
      }
    }
    return summary;
  }

  const loop = createPollLoop({
    round: runOnce,
    intervalMs,
    onError: (err) => {
      log.error({ err }, 'delivery reconciliation failed');
    },
    onStop: () => controller.abort(),
  });

  return {
    start: () => loop.start(),
    stop: () => loop.stop(),
    runOnce,
  };
}
