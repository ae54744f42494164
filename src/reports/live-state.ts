import { formatWindow } from '../campaigns/describe.ts';
import { queueState } from '../db/sql/report-queue-state.ts';
import type { Queryable } from '../db/sql/queryable.ts';
import { waitingBecause } from './waiting.ts';

/**
 * "Why waiting": a campaign's messages that are not out yet, counted by why,
 * with until when. Messages held by a rule (legal hours, caps…) come from
 * waitingBecause, whatever rules it knows; the others from the dispatcher's
 * recorded deferrals (db/sql/report-queue-state.ts). A paused or blocked
 * campaign holds every message for that reason alone.
 */
export interface WaitingReason {
  /** paused | blocked | scheduled | rule | window | caps | pacing | unavailable | retry | later | claimed | sending */
  reason: string;
  /** The rule's name for reason `rule` (e.g. US-TX.hours), else null. */
  rule: string | null;
  messages: number;
  /** The latest instant these messages wait for (ISO), when known. */
  until: string | null;
  /** The earliest instant one of them may go (ISO), when known. */
  from: string | null;
  /** One sentence for an operator. */
  explanation: string;
}

export interface LiveState {
  campaignId: number;
  status: string;
  generatedAt: string;
  /** Messages queued or being sent. */
  unsent: number;
  reasons: WaitingReason[];
}

interface CampaignFacts {
  id: number;
  status: string;
  schedule_at: Date | null;
  window_start_minute: number | null;
  window_end_minute: number | null;
  rate_per_line: number;
  sender_lines: string[];
  new_contacts_per_hour: number;
  new_contacts_per_day: number;
  blocked_reason: string | null;
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

export async function liveState(db: Queryable, campaignId: number, now: Date = new Date()): Promise<LiveState> {
  const { rows } = await db.query<CampaignFacts>(
    `SELECT id, status::text AS status, schedule_at, window_start_minute, window_end_minute, rate_per_line, sender_lines,
            new_contacts_per_hour, new_contacts_per_day, blocked_reason
       FROM campaigns WHERE id = $1`,
    [campaignId],
  );
  const c = rows[0]!;
  const [held, queue] = await Promise.all([waitingBecause(db, campaignId, now), queueState(db, { campaignId, now })]);
  const unsent = held.reduce((n, r) => n + r.messages, 0) + queue.reduce((n, r) => n + r.messages, 0);
  const base = { campaignId, status: c.status, generatedAt: now.toISOString(), unsent };
  const all = (reason: string, explanation: string, until: Date | null = null): LiveState => ({
    ...base,
    reasons: unsent > 0 || reason === 'scheduled' ? [{ reason, rule: null, messages: unsent, until: iso(until), from: iso(until), explanation }] : [],
  });
  if (c.status === 'paused') return all('paused', `Paused: ${plural(unsent, 'message')} wait for Resume.`);
  if (c.status === 'blocked') return all('blocked', `Blocked by the provider${c.blocked_reason ? ` (${c.blocked_reason})` : ''}: ${plural(unsent, 'message')} wait until the account is fixed and the campaign resumed.`);
  if (c.status === 'scheduled' && unsent === 0) return all('scheduled', 'Nothing is queued yet: messages are queued at the send time.', c.schedule_at);

  const lines = c.sender_lines.length;
  const window = formatWindow(c.window_start_minute, c.window_end_minute);
  const windowText = (n: string) => `${n} outside the send window: they go from ${window.split('-')[0]} recipient time (window ${window}).`;
  const reasons: WaitingReason[] = held.map((r) =>
    // The campaign's own window is a layer of the same rule engine (compliance/window-only): shown as the window.
    r.rule === 'campaign.window'
      ? { reason: 'window', rule: null, messages: r.messages, until: iso(r.until), from: iso(r.until), explanation: windowText(plural(r.messages, 'message')) }
      : {
          reason: 'rule',
          rule: r.rule,
          messages: r.messages,
          until: iso(r.until),
          from: null,
          explanation: `${plural(r.messages, 'message')} held by ${r.rule}${r.jurisdiction && !r.rule.startsWith(r.jurisdiction) ? ` (${r.jurisdiction})` : ''}${r.until ? ' until the time shown' : ''}.`,
        },
  );
  // Released by a full concurrency slot is due like the rest: one row.
  const byState = new Map<string, { state: string; messages: number; first_at: Date | null; last_at: Date | null }>();
  for (const q of queue) {
    const state = q.state === 'released' ? 'due' : q.state;
    const m = byState.get(state) ?? { state, messages: 0, first_at: null, last_at: null };
    m.messages += q.messages;
    if (q.first_at && (!m.first_at || q.first_at < m.first_at)) m.first_at = q.first_at;
    if (q.last_at && (!m.last_at || q.last_at > m.last_at)) m.last_at = q.last_at;
    byState.set(state, m);
  }
  for (const q of byState.values()) {
    const n = plural(q.messages, 'message');
    const pace = `${c.rate_per_line} per second per line${lines ? ` over ${plural(lines, 'line')}` : ''}`;
    const explanation = {
      sending: `${n} being sent right now.`,
      claimed: `${n} picked up by the sender, each waiting its turn on its line (${pace}).`,
      due: `${n} due now, sent in turn at ${pace} (pacing).`,
      pacing: `${n} waiting for their line's pace (${pace}).`,
      window: windowText(n),
      caps: `${n} waiting for a line's new-contact cap (${c.new_contacts_per_hour} an hour, ${c.new_contacts_per_day} a day per line).`,
      unavailable: `${n} waiting for the provider to answer again.`,
      blocked: `${n} waiting: the provider refused the account.`,
      retry: `${n} to be tried again after a failed attempt.`,
      later: `${n} waiting for their next try.`,
    }[q.state] ?? `${n} waiting (${q.state}).`;
    reasons.push({ reason: q.state, rule: null, messages: q.messages, until: iso(q.last_at), from: iso(q.first_at), explanation });
  }
  return { ...base, reasons };
}
