import type { HistoryData, MessageData } from '../provider/client.ts';
import { providerTime } from '../provider/events.ts';
import { matchSentEntry } from '../provider/history.ts';

/** What the provider knows about one sent message, in our terms. */
export interface Observation {
  state: 'sent' | 'delivered' | 'read' | 'failed';
  deliveredAt: Date | null;
  readAt: Date | null;
  failedAt: Date | null;
  error: string | null;
  /** 'sms' when the message went out as a text (fallback); null when not told. */
  channel: 'imessage' | 'sms' | null;
  fallbackUsed: boolean;
  autoReportedSpam: boolean;
  markedSpam: boolean;
  fromLine: string | null;
}

function isoToDate(s: string): Date | null {
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? null : d;
}

/**
 * Read `get(id, { tracking: true })` from documented fields only. Delivery
 * comes from the timeline events the contract names
 * (`imessage.delivery.confirmed`, `text.delivery.confirmed`,
 * `text.delivery.failed`; the failure of either channel is read the same way)
 * and from `status` only where its value is the history's delivery
 * vocabulary (`delivered`, `failed`): the contract gives `get`'s status no
 * values, so anything else (a `read`, a `queued`) proves no more than "sent".
 * Read is never taken from here: it comes from the history entry's `read`
 * timestamp (observeHistoryEntry, mergeHistoryEntry). The fallback and spam
 * events are hints kept for the channel and flags, not for states.
 */
export function observeMessage(m: MessageData): Observation {
  const o: Observation = {
    state: 'sent',
    deliveredAt: null,
    readAt: null,
    failedAt: null,
    error: null,
    channel: null,
    fallbackUsed: false,
    autoReportedSpam: false,
    markedSpam: false,
    fromLine: m.from || null,
  };
  for (const t of m.tracking ?? []) {
    const at = isoToDate(t.timestamp);
    const ev = t.event.toLowerCase();
    if (ev.includes('fallback')) {
      o.fallbackUsed = true;
      o.channel = 'sms';
    } else if (ev === 'imessage.delivery.confirmed' || ev === 'text.delivery.confirmed') {
      o.deliveredAt ??= at;
      if (ev.startsWith('text.')) o.channel = 'sms';
      else o.channel ??= 'imessage';
    } else if (ev === 'text.delivery.failed' || ev === 'imessage.delivery.failed') {
      o.failedAt ??= at;
      o.error ??= t.title || 'delivery failed';
      if (ev.startsWith('text.')) o.channel = 'sms';
    } else if (ev.includes('spam')) {
      if (ev.includes('marked')) o.markedSpam = true;
      else o.autoReportedSpam = true;
    }
  }
  const status = m.status.toLowerCase();
  if (o.deliveredAt || status === 'delivered') o.state = 'delivered';
  else if (o.failedAt || status === 'failed') o.state = 'failed';
  const now = new Date();
  if (o.state === 'delivered') o.deliveredAt ??= now;
  else if (o.state === 'failed') {
    o.failedAt ??= now;
    o.error ??= 'delivery failed';
  }
  return o;
}

type HistoryEntry = HistoryData['conversation'][number];

/**
 * The history entry that is our message: same text, sent closest to when we
 * sent it. History answers carry no message id, so text and time are all there
 * is to match on.
 */
export function findHistoryEntry(history: HistoryData, body: string, sentAt: Date | null, from: string | null): HistoryEntry | null {
  return matchSentEntry(history.conversation, { body, from, near: sentAt ?? new Date() });
}

/** Read one history entry: `delivery.status`, the `read` time, and the spam flags only history has. */
export function observeHistoryEntry(e: HistoryEntry): Observation {
  const base = observeMessage({
    id: '',
    to: e.to,
    from: e.from,
    message: e.message,
    timestamp: e.timestamp,
    status: e.delivery.status,
    attachments: e.attachments,
    tracking: e.tracking,
  });
  return mergeHistoryEntry(base, e);
}

/**
 * Add what a history entry proves to an observation: delivered when
 * `delivery.status` says so (at `delivery.timestamp`), read when `read` is a
 * time (0 or absent: not read), and the spam flags.
 */
export function mergeHistoryEntry(o: Observation, e: HistoryEntry): Observation {
  if (e.delivery.status === 'delivered' && o.state !== 'failed') {
    if (o.state === 'sent') o.state = 'delivered';
    if (e.delivery.timestamp) o.deliveredAt ??= providerTime(e.delivery.timestamp);
  }
  if (e.read > 0 && o.state !== 'failed') {
    o.state = 'read';
    o.readAt = providerTime(e.read);
    o.deliveredAt ??= o.readAt;
  }
  o.autoReportedSpam ||= e.risk.auto_reported_as_spam;
  o.markedSpam ||= e.risk.marked_as_spam;
  return o;
}
