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
 * Read `get(id, { tracking: true })`. The timeline names events like
 * `imessage.delivery.confirmed`, `text.delivery.failed`, `imessage.fallback`,
 * `imessage.read`; the status field alone says sent/delivered/read/failed. The
 * timeline gives the times; the status is the fallback when it is absent.
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
    } else if (ev.endsWith('.delivery.confirmed')) {
      o.deliveredAt ??= at;
      if (ev.startsWith('text.') || ev.startsWith('sms.')) o.channel = 'sms';
      else o.channel ??= 'imessage';
    } else if (ev.endsWith('.delivery.failed')) {
      o.failedAt ??= at;
      o.error ??= t.title || 'delivery failed';
      if (ev.startsWith('text.') || ev.startsWith('sms.')) o.channel = 'sms';
    } else if (ev.endsWith('.read')) {
      o.readAt ??= at;
    } else if (ev.includes('spam')) {
      if (ev.includes('marked')) o.markedSpam = true;
      else o.autoReportedSpam = true;
    }
  }
  const status = m.status.toLowerCase();
  if (status === 'read' || o.readAt) o.state = 'read';
  else if (status === 'delivered' || o.deliveredAt) o.state = 'delivered';
  else if (status === 'failed' || o.failedAt) o.state = 'failed';
  const now = new Date();
  if (o.state === 'read') {
    o.readAt ??= now;
    o.deliveredAt ??= o.readAt;
  } else if (o.state === 'delivered') o.deliveredAt ??= now;
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

/** Read one history entry: delivery status, read time, and the spam flags only history has. */
export function observeHistoryEntry(e: HistoryEntry): Observation {
  const base = observeMessage({
    id: '',
    to: e.to,
    from: e.from,
    message: e.message,
    timestamp: e.timestamp,
    status: e.read ? 'read' : e.delivery.status === 'delivered' || e.delivery.status === 'failed' ? e.delivery.status : 'sent',
    attachments: e.attachments,
    tracking: e.tracking,
  });
  if (e.read) base.readAt = providerTime(e.read);
  if (e.delivery.status === 'delivered' && e.delivery.timestamp) base.deliveredAt = providerTime(e.delivery.timestamp);
  if (base.state === 'read' && base.deliveredAt === null) base.deliveredAt = base.readAt;
  base.autoReportedSpam ||= e.risk.auto_reported_as_spam;
  base.markedSpam ||= e.risk.marked_as_spam;
  return base;
}
