import os from 'node:os';
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import pLimit from 'p-limit';
import { compileTemplate, renderMessage } from '../campaigns/template.ts';
import { claimDueCareMessages, insertCareMessage, personConsents, recordCareRetry, type CareKind, type CareResult, type ClaimedCareMessage } from '../db/sql/care-messages.ts';
import { DEFAULT_BACKOFF, retryDelayMs, type BackoffPolicy } from '../dispatch/backoff.ts';
import { systemClock, type Clock } from '../dispatch/clock.ts';
import { acquireToken, createSharedPacer, type Pacer } from '../dispatch/pacing.ts';
import type { Logger } from '../lib/logger.ts';
import type { ImessageClient } from '../provider/client.ts';
import { classifyFailure } from '../provider/classify.ts';
import { carePacing, type CarePacing, type CareTask } from './care-plan.ts';
import { exponentialDelay } from '../lib/backoff.ts';

/** The provider operations conversation care uses. */
export type CareClient = Pick<ImessageClient, 'read' | 'react' | 'typing' | 'reply'>;

export interface CareRunnerOptions {
  pool: pg.Pool;
  client: CareClient;
  logger: Logger;
  /** How long "typing…" shows before the auto-reply; a person needs a moment to type. */
  typingPauseMs?: () => number;
  /** Conversations cared for at once. */
  concurrency?: number;
  /** Per-line token buckets; by default the ones in the database that the dispatcher takes from. */
  pacer?: Pacer;
  clock?: Clock;
  /** Longest wait for a line's token before the message is put off (durably) instead. */
  maxPacingWaitMs?: number;
  /**
   * Extra delay before a send whose token had to be waited for (acquireToken's
   * marginAfterWaitMs): absorbs that much latency difference between our
   * bucket and the provider's without slowing the line, as tokens stay spaced
   * as before.
   */
  pacingMarginMs?: number;
  /** Delays between tries of a message the provider refused for now. */
  backoff?: BackoffPolicy;
  /** How often due retries are looked for (the store is the schedule, shared by every process). */
  retryPollMs?: number;
  /** How long a claimed retry is ours; its send is cut off well before. */
  leaseMs?: number;
  /** Names this runner's claims (default host:pid:random). */
  workerId?: string;
}

export interface CareRunner {
  /** Start trying again the care messages that are due (from this process or an earlier one). */
  start(): void;
  /** Run a task in the background (never throws; failures are logged). */
  submit(task: CareTask): void;
  /** Resolves when no task or retry is running or waiting. */
  idle(): Promise<void>;
  /** Refuses new tasks, puts off those waiting for a token, waits for sends under way. Idempotent. */
  stop(): Promise<void>;
}

/** A care message about to be tried. */
interface CareSend {
  kind: CareKind;
  person: string;
  line: string;
  body: string;
  pacing: CarePacing;
  maxAttempts: number;
  /** Tries that reached the provider before this one. */
  attempts: number;
}

const defaultPause = () => 1_200 + Math.floor(Math.random() * 1_800);
/** Share of the lease after which a retry's send is abandoned (its outcome is then unknown). */
const SEND_DEADLINE_SHARE = 0.8;
const RETRY_BATCH = 20;

/**
 * Conversation care after a reply: read receipt, tapback, then (typing start,
 * a human pause, the auto-reply through reply(event), typing stop). An
 * opt-out's confirmation is queued with the opt-out and sent by the retry
 * loop below, like any care message due.
 *
 * Runs after the event's transaction committed, once per event: the processor
 * never processes a committed event again, so read receipts, tapbacks and
 * typing are never repeated. The messages (auto-reply, confirmation) count
 * against the line's pacing at the provider, so each takes a token from the
 * line's shared bucket first, the very bucket the dispatcher paces the line
 * by. A message the provider refuses for now (429, 5xx, after the client's own
 * retries) or that gets no token in time is kept in outbound_messages and tried
 * again later with backoff, up to the campaign's attempt budget, by whichever
 * process finds it due. Never twice, though: a send whose outcome is unknown
 * (timeout, dropped connection, a worker dying mid-send) is recorded as failed,
 * not retried; sends use retry 'safe' for the same reason.
 */
export function createCareRunner(opts: CareRunnerOptions): CareRunner {
  const log = opts.logger.child({ component: 'conversation-care' });
  const limit = pLimit(opts.concurrency ?? 8);
  const pause = opts.typingPauseMs ?? defaultPause;
  const pacer = opts.pacer ?? createSharedPacer(opts.pool);
  const clock = opts.clock ?? systemClock;
  const maxPacingWaitMs = opts.maxPacingWaitMs ?? 20_000;
  const pacingMarginMs = opts.pacingMarginMs ?? 250;
  const backoff = opts.backoff ?? DEFAULT_BACKOFF;
  const retryPollMs = opts.retryPollMs ?? 1_000;
  const leaseMs = opts.leaseMs ?? 120_000;
  const workerId = opts.workerId ?? `care:${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const running = new Set<Promise<unknown>>();
  // Aborted by stop(): waits for a token end at once and their messages are put off.
  const halt = new AbortController();
  let stopped = false;

  function track<T>(p: Promise<T>): Promise<T> {
    running.add(p);
    void p.finally(() => running.delete(p)).catch(() => undefined);
    return p;
  }

  /** One try: a token from the line's bucket (unless fast track), then the send; never throws. */
  async function attempt(m: CareSend, signal?: AbortSignal): Promise<CareResult> {
    if (!m.pacing.fastTrack) {
      let wait: number;
      try {
        wait = await acquireToken(pacer, clock, {
          line: m.line,
          ratePerSecond: m.pacing.ratePerSecond,
          burst: m.pacing.burst,
          maxWaitMs: maxPacingWaitMs,
          signal: halt.signal,
          marginAfterWaitMs: pacingMarginMs,
        });
      } catch (err) {
        if (halt.signal.aborted) return { status: 'retry', delayMs: 0, error: 'put off: shutting down while waiting for a token', attempted: false };
        // The bucket is in the database; if it cannot be read, neither can the row be written: try later.
        return { status: 'retry', delayMs: retryDelayMs(m.attempts + 1, backoff), error: `no pacing token: ${errorText(err)}`, attempted: false };
      }
      if (wait > 0) return { status: 'retry', delayMs: wait, error: `put off: line ${m.line} has no token for ${wait} ms`, attempted: false };
    }
    // An opt-out is never answered but by its confirmation: checked at the last moment, as the dispatcher's hand-off does.
    if (m.kind !== 'opt_out_confirmation' && !(await personConsents(opts.pool, m.person).catch(() => false))) {
      return { status: 'failed', error: 'not sent: the person opted out' };
    }
    try {
      const event = { data: { from: m.person, to: m.line } };
      const params = m.pacing.fastTrack ? { message: m.body, fast_track: true } : { message: m.body };
      const { message_id } = await opts.client.reply(event, params, { retry: 'safe', signal });
      return { status: 'sent', providerMessageId: message_id };
    } catch (err) {
      const tries = m.attempts + 1;
      const f = classifyFailure(err);
      // Refused, and surely not sent: the one case worth another try later.
      const refusedForNow = f.kind === 'retryable' || f.kind === 'unavailable';
      if (refusedForNow && tries < m.maxAttempts) {
        return { status: 'retry', delayMs: retryDelayMs(tries, backoff, f.retryAfterMs), error: f.message, attempted: true };
      }
      if (refusedForNow) return { status: 'failed', error: `${f.message} (after ${tries} tries)` };
      // Care never sends twice: a send whose outcome is unknown is not tried again.
      if (f.kind === 'ambiguous') return { status: 'failed', error: `outcome unknown, not sent again: ${f.message}` };
      return { status: 'failed', error: f.message };
    }
  }

  function logResult(m: CareSend, r: CareResult, ctx: Record<string, unknown>) {
    if (r.status === 'retry') log.info({ ...ctx, kind: m.kind, line: m.line, delayMs: r.delayMs, reason: r.error }, 'care message put off; will try again');
    else if (r.status === 'failed') log.warn({ ...ctx, kind: m.kind, line: m.line, reason: r.error }, 'care message not sent');
  }

  /** First try of a task's message, then its row, in whatever state the try left it. */
  async function send(task: CareTask, kind: CareKind, body: string) {
    const m: CareSend = { kind, person: task.person, line: task.line, body, pacing: task.pacing, maxAttempts: task.maxAttempts, attempts: 0 };
    const result = await attempt(m);
    logResult(m, result, { inbound: task.inboundMessageId });
    await insertCareMessage(opts.pool, {
      kind,
      campaignId: task.campaignId,
      recipientId: task.recipientId,
      contactId: task.contactId,
      toPhone: task.person,
      fromLine: task.line,
      body,
      result,
    });
  }

  /** One step; its failure is logged and the next step still runs. */
  async function step(name: string, task: CareTask, fn: () => Promise<unknown>) {
    try {
      await fn();
    } catch (err) {
      log.warn({ err, step: name, inbound: task.inboundMessageId }, 'conversation care step failed');
    }
  }

  async function run(task: CareTask): Promise<void> {
    const thread = { to: task.person, from: task.line };
    // Read receipts, tapbacks and typing are not messages: the provider does not pace them.
    if (task.readReceipt) await step('read', task, () => opts.client.read(thread));
    if (task.tapback) {
      const tapback = task.tapback;
      await step('tapback', task, () => opts.client.react('add', { ...thread, tapback, message: task.text }));
    }
    const autoReply = task.autoReply ? renderAutoReply(task, task.autoReply) : null;
    if (autoReply) {
      await step('typing start', task, () => opts.client.typing({ ...thread, action: 'start' }));
      try {
        await clock.sleep(pause());
        // The token is taken after the pause, right before the send, so the
        // provider sees the sends spaced as the bucket spaced them; waiting
        // for it only keeps "typing…" up longer.
        await send(task, 'auto_reply', autoReply);
      } finally {
        await step('typing stop', task, () => opts.client.typing({ ...thread, action: 'stop' }));
      }
    }
  }

  /** The template with the recipient's columns ({{first_name|there}}); null when it does not compile. */
  function renderAutoReply(task: CareTask, template: string): string | null {
    try {
      return renderMessage(compileTemplate(template), task.variables, `auto-reply:${task.inboundMessageId}`).body || null;
    } catch (err) {
      log.warn({ err, campaignId: task.campaignId }, 'auto-reply template does not compile; not sent');
      return null;
    }
  }

  /** Another try of a claimed message; the send is cut off before the lease could pass to another worker. */
  async function retry(row: ClaimedCareMessage): Promise<void> {
    const m: CareSend = {
      kind: row.kind,
      person: row.to_phone,
      line: row.from_line,
      body: row.body,
      pacing: carePacing(row),
      maxAttempts: row.max_attempts,
      attempts: row.attempts,
    };
    const result = halt.signal.aborted
      ? ({ status: 'retry', delayMs: 0, error: 'put off: shutting down', attempted: false } as const)
      : await attempt(m, AbortSignal.timeout(leaseMs * SEND_DEADLINE_SHARE));
    logResult(m, result, { message: row.id, attempts: row.attempts });
    if (!(await recordCareRetry(opts.pool, { owner: workerId, id: row.id, result }))) {
      log.error({ message: row.id, result: result.status }, 'care retry outcome not recorded: the claim was lost');
    }
  }

  async function retryDue(): Promise<number> {
    if (halt.signal.aborted) return 0;
    const rows = await claimDueCareMessages(opts.pool, { owner: workerId, limit: RETRY_BATCH, leaseMs });
    for (const row of rows) {
      if (row.outcome === 'abandoned') log.warn({ message: row.id, kind: row.kind }, 'care message outcome unknown (its worker stopped mid-send); not sent again');
      else if (row.outcome === 'skipped') log.info({ message: row.id, kind: row.kind }, 'care message skipped: the person opted out');
    }
    await Promise.all(
      rows
        .filter((row) => row.outcome === 'send')
        .map((row) => track(limit(() => retry(row))).catch((err: unknown) => log.error({ err, message: row.id }, 'care retry failed'))),
    );
    return rows.length;
  }

  let loop: Promise<void> | undefined;
  let wakeLoop: (() => void) | undefined;
  function nap(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeLoop = undefined;
        resolve();
      }
      wakeLoop = done;
    });
  }

  async function retryLoop(): Promise<void> {
    let failures = 0;
    while (!halt.signal.aborted) {
      try {
        const n = await retryDue();
        failures = 0;
        if (n < RETRY_BATCH) await nap(retryPollMs);
      } catch (err) {
        // The database is away: back off, never exit.
        failures++;
        log.error({ err }, 'care retries failed');
        await nap(exponentialDelay(failures, { baseMs: retryPollMs, maxMs: 30_000 }));
      }
    }
  }

  let stopping: Promise<void> | undefined;
  async function idle() {
    while (running.size) await Promise.allSettled([...running]);
  }
  return {
    start() {
      if (loop || stopped) return;
      loop = retryLoop();
    },
    submit(task) {
      if (stopped) {
        log.warn({ inbound: task.inboundMessageId }, 'conversation care skipped: shutting down');
        return;
      }
      void track(limit(() => run(task))).catch((err: unknown) => log.error({ err, inbound: task.inboundMessageId }, 'conversation care failed'));
    },
    idle,
    stop() {
      stopping ??= (async () => {
        stopped = true;
        halt.abort();
        wakeLoop?.();
        await loop;
        await idle();
      })();
      return stopping;
    },
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
