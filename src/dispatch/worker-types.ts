import type { LegalHoldCheck } from './legal-hold.ts';
import type { Logger } from '../lib/logger.ts';
import type { ImessageClient } from '../provider/client.ts';
import { DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.ts';
import type { Clock } from './clock.ts';
import type { RenderFactory } from './enqueue.ts';
import type { Pacer } from './pacing.ts';
import type { ClaimedMessage, Deferral, DispatchStore, SentResult } from './store.ts';

// The dispatcher's options, events and ports, and the context its parts share.

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
  /**
   * Extra delay before a send whose token had to be waited for (acquireToken's
   * marginAfterWaitMs): absorbs that much latency difference between our
   * bucket and the provider's (429s), while tokens stay spaced as before.
   * Conversation care's own sender had it; with one sender every send has it.
   */
  pacingMarginMs: number;
  /** Wait before a new contact is tried again when every pool line is at its cap. */
  capDeferMs: number;
  backoff: BackoffPolicy;
  /** On stop, how long in-flight sends may finish before they are aborted (the first phase). */
  drainMs: number;
  /**
   * On stop, the longest the whole shutdown may take: after the drain, aborted
   * sends get the rest of it to record what became of them; whatever is still
   * running then is left to its lease (the reconciler takes it over).
   */
  stopTimeoutMs: number;
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
  pacingMarginMs: 250,
  capDeferMs: 5 * 60_000,
  backoff: DEFAULT_BACKOFF,
  drainMs: 8_000,
  stopTimeoutMs: 15_000,
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
  | { type: 'expired'; count: number }
  | { type: 'deferred'; count: number; reason: DeferReason }
  | { type: 'ambiguous'; messageId: number; campaignId: number; error: string }
  | { type: 'blocked'; campaignId: number; reason: string; url: string | null }
  | { type: 'reconciled'; foundSent: number; requeued: number; failed: number }
  | { type: 'run-started'; runId: number; campaignId: number; enqueued: number }
  | { type: 'run-completed'; runId: number; campaignId: number; status: string };

/** Why claimed messages went back to the queue unsent (their attempt is given back). */
export type DeferReason = 'window' | 'legal' | 'caps' | 'pacing' | 'released' | 'unavailable' | 'blocked';

export interface RunSummary {
  claimed: number;
  sent: number;
  failed: number;
  retried: number;
  skipped: number;
  /** Past their campaign's send-by deadline: expired unsent (at the claim or by the housekeeping sweep). */
  expired: number;
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
  /**
   * The claim gate (dispatch/legal-hold.ts): the legal send windows and caps
   * with the campaign's window; absent: the campaign's own window alone, by
   * the same engine (BLUECAST_LEGAL_WINDOWS=off).
   */
  legalHold?: LegalHoldCheck;
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
  /**
   * Stop in two phases: stop claiming, hand back what has not gone out and let
   * sends under way finish (drainMs); then abort those still running and let
   * them record their outcome, within stopTimeoutMs overall. Errors are
   * collected, never thrown. Idempotent.
   */
  stop(): Promise<StopReport>;
  /** Process everything due now; resolves when nothing is due and nothing is in flight. */
  runOnce(): Promise<RunSummary>;
  /** Create due runs and enqueue them (what a scheduler tick does). */
  tick(): Promise<void>;
  summary(): RunSummary;
}

export interface StopReport {
  /** Everything finished within the drain: nothing was aborted. */
  drained: boolean;
  /** Tasks still running when the overall deadline passed (their leases cover them). */
  abandoned: number;
  errors: unknown[];
}

export function emptySummary(): RunSummary {
  return { claimed: 0, sent: 0, failed: 0, retried: 0, skipped: 0, expired: 0, deferred: 0, released: 0, ambiguous: 0, reconciledSent: 0, reconciledRequeued: 0, runsCreated: 0, runsStarted: 0, runsCompleted: 0 };
}

/**
 * What the worker's parts (claimer, sender, outcomes) share: its ports and
 * options, its counters, its two stop signals and its set of running tasks.
 */
export interface WorkerContext {
  readonly deps: WorkerDeps;
  readonly opts: WorkerOptions;
  readonly store: DispatchStore;
  readonly clock: Clock;
  readonly workerId: string;
  readonly logger: Logger;
  readonly random: () => number;
  readonly totals: RunSummary;
  /** deps.legalHold, or the window-only gate. */
  readonly legalHold: LegalHoldCheck;
  emit(e: DispatchEvent): void;
  /** Aborted when stop() begins: cuts waits (jitter, tokens) short, never a request. */
  readonly stopping: AbortSignal;
  /** Aborted when the drain time is over: cuts in-flight requests. */
  readonly hardAbort: AbortSignal;
  /** Run a task in the background; stop() and runOnce() wait for it. */
  track(p: Promise<void>): void;
  /** Tasks running now. */
  inFlight(): number;
  /** Campaigns paused or cancelled since their rows were claimed. */
  readonly haltedCampaigns: ReadonlySet<number>;
  /** This worker found the campaign halted itself (blocked): its claimed rows go back unsent at once. */
  haltCampaign(id: number): void;
  /** Hand claimed rows back unsent (their attempt is given back). */
  defer(deferrals: Deferral[], reason: DeferReason): Promise<void>;
}

export const nowMs = (clock: Clock) => clock.now().getTime();

export type { ClaimedMessage, Deferral, SentResult };
