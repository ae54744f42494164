import { TAPBACKS, type Tapback } from '../provider/schemas.ts';
import type { ConsentKeyword } from '../consent/keywords.ts';

/** Conversation care to do for one reply, decided inside the event's transaction, run after it commits. */
export interface CareTask {
  inboundMessageId: number;
  contactId: number;
  campaignId: number;
  recipientId: number | null;
  /** The person (the reply's `from`). */
  person: string;
  /** Our line (the reply's `to`). */
  line: string;
  /** The reply's text, for the tapback. */
  text: string;
  readReceipt: boolean;
  tapback: Tapback | null;
  /** The campaign's auto-reply template (rendered with `variables` when sent). */
  autoReply: string | null;
  /** At most one auto-reply to the person in this long (null: no time limit). */
  autoReplyOncePerMs: number | null;
  variables: Record<string, string>;
}

export interface CareSettings {
  care_read_receipt: boolean | null;
  care_tapback: string | null;
  care_auto_reply: string | null;
  opt_out_confirmation: string | null;
  variables?: Record<string, string> | null;
}

const tapbacks: ReadonlySet<string> = new Set(TAPBACKS);

/** AUTO_REPLY_ONCE_PER_HOURS by default. */
export const DEFAULT_AUTO_REPLY_ONCE_PER_HOURS = 24;

/**
 * The care rules, as a pure function:
 * - nothing without a campaign (the settings are per campaign) and nothing for a
 *   person who is opted out;
 * - an opt-out is never answered here: its one confirmation is queued with
 *   the opt-out itself (handlers.ts, enqueueConversationMessage);
 * - an opt-in keyword is not a conversation: no care;
 * - any other reply: read receipt and tapback when enabled, and the
 *   auto-reply, so that a chatty person is not answered by a robot again and
 *   again, at most once per person in `autoReplyOncePerHours` (enforced when
 *   it is queued, atomically: enqueueConversationMessage's `oncePer`), or,
 *   with 0, only on the recipient's first reply to the campaign.
 */
export function planCare(p: {
  inboundMessageId: number;
  contactId: number;
  campaignId: number | null;
  recipientId: number | null;
  person: string;
  line: string;
  text: string;
  settings: CareSettings | null;
  keyword: ConsentKeyword | null;
  optedOutBefore: boolean;
  firstReply: boolean;
  autoReplyOncePerHours?: number;
}): CareTask | null {
  const s = p.settings;
  if (p.campaignId === null || !s) return null;
  const base = {
    inboundMessageId: p.inboundMessageId,
    contactId: p.contactId,
    campaignId: p.campaignId,
    recipientId: p.recipientId,
    person: p.person,
    line: p.line,
    text: p.text,
    readReceipt: false,
    tapback: null,
    autoReply: null,
    autoReplyOncePerMs: null,
    variables: s.variables ?? {},
  };
  if (p.keyword || p.optedOutBefore) return null;
  const tapback = s.care_tapback && tapbacks.has(s.care_tapback) ? (s.care_tapback as Tapback) : null;
  const hours = p.autoReplyOncePerHours ?? DEFAULT_AUTO_REPLY_ONCE_PER_HOURS;
  const autoReply = hours > 0 || p.firstReply ? s.care_auto_reply?.trim() || null : null;
  const task: CareTask = { ...base, readReceipt: Boolean(s.care_read_receipt), tapback, autoReply, autoReplyOncePerMs: hours > 0 ? hours * 3_600_000 : null };
  return task.readReceipt || task.tapback || task.autoReply ? task : null;
}
