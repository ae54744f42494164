import type { ImessageClient } from '../provider/client.ts';
import { providerTime } from '../provider/events.ts';
import { matchSentEntry } from '../provider/history.ts';
import type { Logger } from '../lib/logger.ts';
import type { Clock } from './clock.ts';
import type { DispatchStore, ExpiredLease } from './store.ts';

export interface ExpiredLeaseDeps {
  store: DispatchStore;
  sender: Pick<ImessageClient, 'history' | 'textHistory'>;
  clock: Clock;
  logger: Logger;
  workerId: string;
}

export interface ExpiredLeaseOptions {
  leaseMs: number;
  /** Allowed difference between our clock and the provider's when matching history. */
  clockSkewMs: number;
  /** How far back in the conversation to look. */
  historyLimit: number;
  /** Wait before asking again when history itself failed. */
  retryMs: number;
  batchSize: number;
}

export interface ExpiredLeaseSummary {
  examined: number;
  foundSent: number;
  requeued: number;
  failed: number;
  postponed: number;
  /** When the postponed ones will be asked about again (epoch ms), 0 if none. */
  postponedUntil: number;
}

/**
 * Crash safety: for every message whose lease expired while `sending`, ask the
 * provider before anything is resent. A message with the same body, sent to
 * the recipient after the claim, in the provider's history of the thread means
 * the send happened: record it. Otherwise it did not: queue it for a normal
 * send (or fail it when its attempts are spent). When history cannot be read,
 * wait and ask again; never guess.
 *
 * Which histories: the iMessage one of (to, our line); and, when the campaign
 * asks for SMS fallback, the text one of (to, the fallback line: fallback_from,
 * else our line), because a send that went out as SMS is only there.
 */
export async function reconcileExpiredLeases(deps: ExpiredLeaseDeps, opts: ExpiredLeaseOptions): Promise<ExpiredLeaseSummary> {
  const summary: ExpiredLeaseSummary = { examined: 0, foundSent: 0, requeued: 0, failed: 0, postponed: 0, postponedUntil: 0 };
  for (;;) {
    const rows = await deps.store.claimExpiredLeases({ workerId: deps.workerId, limit: opts.batchSize, leaseMs: opts.leaseMs, now: deps.clock.now() });
    if (rows.length === 0) return summary;
    summary.examined += rows.length;
    await Promise.all(rows.map((row) => reconcileOne(deps, opts, row, summary)));
    if (rows.length < opts.batchSize) return summary;
  }
}

interface Found {
  from: string;
  sentAt: Date;
  channel: 'imessage' | 'sms';
}

type Lookup = { ok: true; found: Found | null } | { ok: false; error: string };

async function lookUp(
  channel: 'imessage' | 'sms',
  read: () => Promise<{ conversation: { to: string; from: string; message: string; timestamp: number }[] }>,
  row: ExpiredLease,
  since: Date,
): Promise<Lookup> {
  try {
    const { conversation } = await read();
    const m = matchSentEntry(conversation, { to: row.to_phone, body: row.body, since });
    return { ok: true, found: m ? { from: m.from, sentAt: providerTime(m.timestamp), channel } : null };
  } catch (err) {
    return { ok: false, error: `${channel === 'sms' ? 'text history' : 'history'} unavailable: ${(err as Error).message}` };
  }
}

async function reconcileOne(deps: ExpiredLeaseDeps, opts: ExpiredLeaseOptions, row: ExpiredLease, summary: ExpiredLeaseSummary): Promise<void> {
  const { store, workerId, clock } = deps;
  const line = row.requested_line ?? row.sticky_line;
  const smsLine = row.fallback_when.length > 0 ? (row.fallback_from ?? line) : null;
  const log = deps.logger.child({ message: row.id, to: row.to_phone, line, smsLine });
  const since = new Date(row.claimed_at.getTime() - opts.clockSkewMs);
  const limit = opts.historyLimit;

  const lookups: Promise<Lookup>[] = [];
  if (line) lookups.push(lookUp('imessage', () => deps.sender.history({ to: row.to_phone, from: line, limit }, { retry: 'all' }), row, since));
  if (smsLine) lookups.push(lookUp('sms', () => deps.sender.textHistory({ to: row.to_phone, from: smsLine, limit }, { retry: 'all' }), row, since));
  const results = await Promise.all(lookups);

  // Found in either history: the send happened, whatever the other one said.
  const found = results.find((r): r is { ok: true; found: Found } => r.ok && r.found !== null)?.found;
  if (found) {
    await store.markReconciledSent({
      workerId,
      id: row.id,
      fromLine: found.from,
      sentAt: found.sentAt,
      now: clock.now(),
      channel: found.channel,
      fallbackUsed: found.channel === 'sms',
      // An SMS fallback line is not the contact's iMessage line.
      stickyLine: found.channel === 'imessage' ? found.from : line,
    });
    summary.foundSent++;
    log.info({ channel: found.channel }, 'expired send found at the provider; recorded as sent');
    return;
  }
  const failures = results.filter((r): r is { ok: false; error: string } => !r.ok);
  if (failures.length > 0) {
    const until = clock.now().getTime() + opts.retryMs;
    const error = failures.map((f) => f.error).join('; ');
    await store.markAmbiguous({ workerId, id: row.id, settleUntil: new Date(until), error });
    summary.postponed++;
    summary.postponedUntil = Math.max(summary.postponedUntil, until);
    log.warn({ err: error }, 'history unavailable; will ask again');
    return;
  }
  if (!line && !row.own_lines) {
    // The provider picked the iMessage line and we never learnt it: that
    // history cannot be asked, and a resend could duplicate. Fail it, saying why.
    await store.markFailed({ workerId, id: row.id, now: clock.now(), error: 'send outcome unknown (no line to look up in history); not resent' });
    summary.failed++;
    log.warn('expired send cannot be reconciled without a line; marked failed');
    return;
  }
  // With lines of our own, the line is recorded before any send: none recorded
  // means the worker stopped between the claim and the line assignment, and
  // nothing was sent.
  const status = await store.markRetryOrFail({
    workerId,
    id: row.id,
    now: clock.now(),
    retryAt: clock.now(),
    maxAttempts: row.max_attempts,
    error: line
      ? 'lease expired before the send was confirmed; not at the provider'
      : 'lease expired before a line was assigned; never sent',
  });
  if (status === 'failed') summary.failed++;
  else summary.requeued++;
  log.info({ status }, 'expired send not at the provider; handed back');
}
