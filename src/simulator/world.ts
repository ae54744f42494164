import type { ResolvedSimulatorOptions } from './options.ts';
import { randomToken, unitHash } from './random.ts';

export type Channel = 'imessage' | 'sms';

/** What a test sees of each accepted send (GET /__sim/sent). */
export interface SentRecord {
  id: string;
  to: string;
  from: string;
  body: string;
  channel: Channel;
  /** ISO time the send was accepted. */
  at: string;
  fast_track: boolean;
  attachments: string[];
  /** The send was meant for iMessage and went out as SMS. */
  fell_back: boolean;
}

export interface SimMessage {
  id: string;
  direction: 'out' | 'in';
  to: string;
  from: string;
  body: string;
  attachments: string[];
  channel: Channel;
  fellBack: boolean;
  sentAt: number;
  /** When it is delivered, or fails (see failed). */
  settleAt: number;
  failed: boolean;
  /** 0 when it will never be read. */
  readAt: number;
  autoSpam: boolean;
  markedSpam: boolean;
}

export interface Reaction {
  reaction: string;
  on: string;
  timestamp: number;
  action: 'added' | 'removed';
  from: string;
}

export interface SendInput {
  to: string;
  from?: string;
  message?: string;
  attachments?: string[];
  fallback?: { when: string[]; from?: string };
  fast_track?: boolean;
}

export type SendOutcome =
  | { ok: true; message: SimMessage; record: SentRecord }
  | { ok: false; status: number; error: string };

const OPT_OUT_WORDS = ['STOP', 'Stop', 'stop please', 'UNSUBSCRIBE', 'Cancel', 'QUIT', 'STOP ALL', 'End'];
const REPLIES = ['Thanks!', 'Who is this?', 'Sounds good', 'Can you tell me more?', 'Not interested right now', 'Yes please', 'See you there 👍', 'ok'];

export const SMS_FAILURE = 'Carrier never provided delivery confirmation. Your message may have delivered, but Contiguity has no idea if it did.';

const convKey = (person: string, line: string) => `${person}|${line}`;

/**
 * The simulated provider's state: messages by id and by conversation, and the
 * deterministic fate of each (channel, delivery, read, spam, reply), fixed
 * at send time so that every later read of it is O(1) and consistent.
 */
export class World {
  readonly messages = new Map<string, SimMessage>();
  readonly conversations = new Map<string, SimMessage[]>();
  readonly reactions = new Map<string, Reaction[]>();
  readonly sent: SentRecord[] = [];

  constructor(private readonly o: ResolvedSimulatorOptions) {}

  hasImessage(to: string): boolean {
    // The account's own lines are iMessage lines (what `doctor` and the planner check them for).
    if (this.o.lines.includes(to)) return true;
    return unitHash(this.o.seed, 'imessage', to) < this.o.imessageRatio;
  }

  /** A recipient without a line of ours stays on the same one (sticky), as campaigns prefer. */
  lineFor(to: string): string {
    const lines = this.o.lines;
    return lines[Math.floor(unitHash(this.o.seed, 'line', to) * lines.length)]!;
  }

  repliesTo(to: string): boolean {
    return unitHash(this.o.seed, 'reply', to) < this.o.replyRatio;
  }

  /** Decide a send's channel and fate. Validation and pacing happened before. */
  send(p: SendInput, now: number): SendOutcome {
    const from = p.from ?? this.lineFor(p.to);
    const when = p.fallback?.when ?? [];
    let channel: Channel = 'imessage';
    let fellBack = false;
    let failed = false;
    const id0 = randomToken(12, 'base64url');
    if (!this.hasImessage(p.to)) {
      if (!when.includes('imessage_unsupported')) {
        return { ok: false, status: 400, error: `${p.to} cannot receive iMessages and no SMS fallback was requested (fallback.when: imessage_unsupported)` };
      }
      channel = 'sms';
      fellBack = true;
    } else if (unitHash(this.o.seed, 'imessage-fail', id0) < this.o.imessageFailureRate) {
      if (when.includes('imessage_fails')) {
        channel = 'sms';
        fellBack = true;
      } else {
        failed = true;
      }
    }
    const line = channel === 'sms' && fellBack ? (p.fallback?.from ?? from) : from;
    const id = `${channel === 'imessage' ? 'imsg' : 'text'}_${id0}`;
    const t = this.o.timing;
    const settleAt = now + Math.round(t.deliveryMs * (0.5 + unitHash(this.o.seed, 'deliver', id)));
    if (channel === 'sms') failed = unitHash(this.o.seed, 'sms-fail', id) < this.o.smsFailureRate;
    const read = channel === 'imessage' && !failed && unitHash(this.o.seed, 'read', id) < this.o.readRatio;
    const readAt = read ? settleAt + Math.round(t.readMs * (0.5 + unitHash(this.o.seed, 'read-at', id))) : 0;
    const autoSpam = unitHash(this.o.seed, 'spam', id) < this.o.spamRatio;
    const msg: SimMessage = {
      id,
      direction: 'out',
      to: p.to,
      from: line,
      body: p.message ?? '',
      attachments: p.attachments ?? [],
      channel,
      fellBack,
      sentAt: now,
      settleAt,
      failed,
      readAt,
      autoSpam,
      // Users mark spam only on what they read, and only some of those who were auto-flagged.
      markedSpam: autoSpam && read && unitHash(this.o.seed, 'marked', p.to) < 0.5,
    };
    this.messages.set(id, msg);
    this.append(convKey(p.to, line), msg);
    const record: SentRecord = {
      id,
      to: p.to,
      from: line,
      body: msg.body,
      channel,
      at: new Date(now).toISOString(),
      fast_track: p.fast_track ?? false,
      attachments: msg.attachments,
      fell_back: fellBack,
    };
    this.sent.push(record);
    return { ok: true, message: msg, record };
  }

  /** The reply a recipient who answers sends back, if any: body and when. */
  replyFor(msg: SimMessage): { body: string; at: number } | undefined {
    if (msg.failed || !this.repliesTo(msg.to)) return undefined;
    const optOut = unitHash(this.o.seed, 'opt-out', msg.to) < this.o.optOutRatio;
    const words = optOut ? OPT_OUT_WORDS : REPLIES;
    const body = words[Math.floor(unitHash(this.o.seed, 'reply-body', msg.id) * words.length)]!;
    const at = Math.max(msg.settleAt, msg.sentAt + Math.round(this.o.timing.replyMs * (0.5 + unitHash(this.o.seed, 'reply-at', msg.id))));
    return { body, at };
  }

  /** Record an incoming message (person → line) in the conversation. */
  receive(person: string, line: string, body: string, channel: Channel, at: number): SimMessage {
    const msg: SimMessage = {
      id: `${channel === 'imessage' ? 'imsg' : 'text'}_${randomToken(12, 'base64url')}`,
      direction: 'in',
      to: line,
      from: person,
      body,
      attachments: [],
      channel,
      fellBack: false,
      sentAt: at,
      settleAt: at,
      failed: false,
      readAt: 0,
      autoSpam: false,
      markedSpam: false,
    };
    this.messages.set(msg.id, msg);
    this.append(convKey(person, line), msg);
    return msg;
  }

  conversation(person: string, line: string): SimMessage[] {
    return this.conversations.get(convKey(person, line)) ?? [];
  }

  /** React to the latest message in the conversation whose text matches. */
  react(person: string, line: string, tapback: string, text: string, action: 'add' | 'remove', now: number): boolean {
    const conv = this.conversation(person, line);
    if (!conv.some((m) => m.body === text)) return false;
    const key = convKey(person, line);
    const list = this.reactions.get(key) ?? [];
    list.push({ reaction: tapback, on: text, timestamp: now, action: action === 'add' ? 'added' : 'removed', from: line });
    this.reactions.set(key, list);
    return true;
  }

  reactionsOf(person: string, line: string): Reaction[] {
    return this.reactions.get(convKey(person, line)) ?? [];
  }

  private append(key: string, msg: SimMessage): void {
    const list = this.conversations.get(key);
    if (list) list.push(msg);
    else this.conversations.set(key, [msg]);
  }
}

export type MessageStatus = 'sent' | 'delivered' | 'read' | 'failed' | 'received';

export function statusAt(m: SimMessage, now: number): MessageStatus {
  if (m.direction === 'in') return 'received';
  if (now < m.settleAt) return 'sent';
  if (m.failed) return 'failed';
  if (m.readAt && now >= m.readAt) return 'read';
  return 'delivered';
}

export interface TrackingEntry {
  event: string;
  title: string;
  timestamp: string;
}

/** The timeline of what has happened to a message by `now`. */
export function trackingAt(m: SimMessage, now: number): TrackingEntry[] {
  const iso = (t: number) => new Date(t).toISOString();
  if (m.direction === 'in') return [{ event: `${m.channel === 'imessage' ? 'imessage' : 'text'}.incoming`, title: 'Message Received', timestamp: iso(m.sentAt) }];
  const out: TrackingEntry[] = [{ event: 'message.accepted', title: 'Message Accepted', timestamp: iso(m.sentAt) }];
  if (m.fellBack) out.push({ event: 'imessage.fallback', title: 'Sent as SMS (fallback)', timestamp: iso(m.sentAt) });
  if (now >= m.settleAt) {
    const prefix = m.channel === 'imessage' ? 'imessage' : 'text';
    out.push(
      m.failed
        ? { event: `${prefix}.delivery.failed`, title: 'Delivery Failed', timestamp: iso(m.settleAt) }
        : { event: `${prefix}.delivery.confirmed`, title: 'Message Delivered', timestamp: iso(m.settleAt) },
    );
  }
  if (m.readAt && now >= m.readAt) out.push({ event: 'imessage.read', title: 'Message Read', timestamp: iso(m.readAt) });
  return out;
}
