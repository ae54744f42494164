import type pg from 'pg';
import pLimit from 'p-limit';
import { compileTemplate, renderMessage } from '../campaigns/template.ts';
import { messageStatus, oncePerSlotFree } from '../db/sql/care-messages.ts';
import { enqueueConversationMessage } from '../dispatch/conversation.ts';
import { systemClock, type Clock } from '../dispatch/clock.ts';
import type { Logger } from '../lib/logger.ts';
import type { ImessageClient } from '../provider/client.ts';
import type { CareTask } from './care-plan.ts';

/** The provider operations conversation care uses itself (the reply goes through the dispatcher). */
export type CareClient = Pick<ImessageClient, 'read' | 'react' | 'typing'>;

export interface CareRunnerOptions {
  pool: pg.Pool;
  client: CareClient;
  logger: Logger;
  /** How long "typing…" shows before the auto-reply is queued; a person needs a moment to type. */
  typingPauseMs?: () => number;
  /** Conversations cared for at once. */
  concurrency?: number;
  clock?: Clock;
  /** How often a queued auto-reply is looked at, to stop "typing…" once it is sent (or not). */
  settlePollMs?: number;
  /** Longest "typing…" waits for the dispatcher to settle the auto-reply. */
  settleTimeoutMs?: number;
}

export interface CareRunner {
  /** Run a task in the background (never throws; failures are logged). */
  submit(task: CareTask): void;
  /** Resolves when no task is running or waiting. */
  idle(): Promise<void>;
  /** Refuses new tasks, ends the typing waits, waits for the tasks under way. Idempotent. */
  stop(): Promise<void>;
}

const defaultPause = () => 1_200 + Math.floor(Math.random() * 1_800);
/** Statuses of a message not yet settled by the dispatcher. */
const UNSETTLED = new Set(['queued', 'sending']);

/**
 * Conversation care after a reply: read receipt, tapback, then typing start,
 * a human pause, the auto-reply queued, typing stop once it has gone out (or
 * will not). Read receipts, tapbacks and typing are not messages: they are
 * done here, once per event (the processor never processes a committed event
 * again). The auto-reply is a message like any other: it is queued with
 * enqueueConversationMessage, and the dispatcher claims, paces, consent-checks,
 * sends, retries and records it exactly as it does a campaign's, so there is
 * one sender with one set of rules.
 */
export function createCareRunner(opts: CareRunnerOptions): CareRunner {
  const log = opts.logger.child({ component: 'conversation-care' });
  const limit = pLimit(opts.concurrency ?? 8);
  const pause = opts.typingPauseMs ?? defaultPause;
  const clock = opts.clock ?? systemClock;
  const settlePollMs = opts.settlePollMs ?? 250;
  const settleTimeoutMs = opts.settleTimeoutMs ?? 30_000;
  const running = new Set<Promise<unknown>>();
  const halt = new AbortController();
  let stopped = false;

  function track<T>(p: Promise<T>): Promise<T> {
    running.add(p);
    void p.finally(() => running.delete(p)).catch(() => undefined);
    return p;
  }

  /** One step; its failure is logged and the next step still runs. */
  async function step(name: string, task: CareTask, fn: () => Promise<unknown>) {
    try {
      await fn();
    } catch (err) {
      log.warn({ err, step: name, inbound: task.inboundMessageId }, 'conversation care step failed');
    }
  }

  /** Until the dispatcher has settled the message (or the wait is over): "typing…" shows meanwhile. */
  async function settled(id: number): Promise<void> {
    // Counted in waits, not read off the clock: an injected clock that stands still must not make this wait for ever.
    for (let waited = 0; !halt.signal.aborted && waited < settleTimeoutMs; waited += settlePollMs) {
      const status = await messageStatus(opts.pool, id);
      if (status === null || !UNSETTLED.has(status)) return;
      try {
        await clock.sleep(settlePollMs, halt.signal);
      } catch {
        return;
      }
    }
  }

  async function run(task: CareTask): Promise<void> {
    const thread = { to: task.person, from: task.line };
    if (task.readReceipt) await step('read', task, () => opts.client.read(thread));
    if (task.tapback) {
      const tapback = task.tapback;
      await step('tapback', task, () => opts.client.react('add', { ...thread, tapback, message: task.text }));
    }
    const autoReply = task.autoReply ? renderAutoReply(task, task.autoReply) : null;
    if (!autoReply) return;
    const oncePerMs = task.autoReplyOncePerMs;
    if (oncePerMs !== null && !(await oncePerSlotFree(opts.pool, { contactId: task.contactId, oncePerMs, now: clock.now() }))) {
      log.debug({ inbound: task.inboundMessageId }, 'auto-reply skipped: the person had one recently');
      return;
    }
    await step('typing start', task, () => opts.client.typing({ ...thread, action: 'start' }));
    try {
      try {
        await clock.sleep(pause(), halt.signal);
      } catch {
        // Shutting down: the reply is still queued, for whichever dispatcher is up.
      }
      const id = await enqueueConversationMessage(opts.pool, {
        kind: 'auto_reply',
        campaignId: task.campaignId,
        recipientId: task.recipientId,
        contactId: task.contactId,
        toPhone: task.person,
        fromLine: task.line,
        body: autoReply,
        oncePer: oncePerMs === null ? undefined : { ms: oncePerMs, now: clock.now() },
      });
      if (id !== null) await step('wait for the reply', task, () => settled(id));
    } finally {
      await step('typing stop', task, () => opts.client.typing({ ...thread, action: 'stop' }));
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

  let stopping: Promise<void> | undefined;
  async function idle() {
    while (running.size) await Promise.allSettled([...running]);
  }
  return {
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
        await idle();
      })();
      return stopping;
    },
  };
}
