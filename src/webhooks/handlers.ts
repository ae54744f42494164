import type { z } from 'zod';
import { changeConsent, flipped } from '../consent/change.ts';
import { createKeywordClassifier, type ConsentKeyword, type KeywordClassifier } from '../consent/keywords.ts';
import { findFallbackSend } from '../db/sql/fallback-match.ts';
import { findStatusByProviderId, knownProviderIds, recordLineSubstitution, transitionDeliveries, transitionDelivery, type DeliveryReport } from '../db/sql/delivery-state.ts';
import { recordReply, resolveConversation } from '../db/sql/inbound-messages.ts';
import { isSeedSend, transitionSeedDelivery } from '../db/sql/seed-delivery.ts';
import type { Queryable } from '../db/sql/queryable.ts';
import {
  imessageIncomingData,
  numbersSubstitutionData,
  salvagedIncomingData,
  textDeliveryConfirmedData,
  textDeliveryFailedData,
  textIncomingMmsData,
  textIncomingSmsData,
} from '../provider/events.ts';
import { enqueueConversationMessage } from '../dispatch/conversation.ts';
import { effectiveEventTime } from './event-time.ts';
import { planCare } from './care-plan.ts';
import { allowedFrom, failureOutcome } from './delivery-status.ts';
import { normalizePhone, regionOf } from '../lib/phone.ts';
import type { EventOutcome, StoredEvent } from './stored-event.ts';

/** Applies one stored event inside the processor's transaction. */
export type EventHandler = (tx: Queryable, event: StoredEvent) => Promise<EventOutcome>;

/** Applies the events of a batch it knows how to do set-wise; returns their outcomes (the rest go one by one). */
export type BatchHandler = (tx: Queryable, events: StoredEvent[]) => Promise<Map<number, EventOutcome>>;

function dataOf<S extends z.ZodType>(schema: S, event: StoredEvent): z.output<S> | string {
  const data = (event.payload as { data?: unknown } | null)?.data;
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  return `invalid ${event.type} data: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`;
}

const INCOMING_CHANNEL = {
  'imessage.incoming': 'imessage',
  'text.incoming.sms': 'sms',
  'text.incoming.mms': 'mms',
} as const;

const incomingSchema = {
  'imessage.incoming': imessageIncomingData,
  'text.incoming.sms': textIncomingSmsData,
  'text.incoming.mms': textIncomingMmsData,
} as const;

export interface HandlerOptions {
  keywords: KeywordClassifier;
  /** CONSENT_CONFIRMATION_TEXT: the confirmation of an opt-out when the campaign has none of its own (none when unset). */
  confirmationText?: string;
  /** AUTO_REPLY_ONCE_PER_HOURS (planCare's default when unset). */
  autoReplyOncePerHours?: number;
}

/**
 * A reply: the sender parsed to E.164 (the region of our line it came to as
 * the default) and matched to its contact, stored, linked to what it answers,
 * consent keywords applied, care planned. A sender that is no phone number is
 * stored unmatched (no contact is made of it) and nothing else is done.
 */
async function handleIncoming(tx: Queryable, event: StoredEvent, type: keyof typeof INCOMING_CHANNEL, o: HandlerOptions): Promise<EventOutcome> {
  const exact = dataOf(incomingSchema[type], event);
  // Off its shape: what is readable still files the reply (and honours a STOP); the note says what was not.
  const d = typeof exact === 'string' ? dataOf(salvagedIncomingData, event) : exact;
  if (typeof d === 'string') return { kind: 'done', note: exact as string };
  const attachments = 'attachments' in d && Array.isArray(d.attachments) ? d.attachments.map((a: { url: string }) => a.url) : [];
  const at = effectiveEventTime(d.timestamp, event.receivedAt);
  const channel = INCOMING_CHANNEL[type];
  const classified = o.keywords.classify(d.body);
  const sender = normalizePhone(d.from, regionOf(d.to) ?? 'US');
  const reply = { webhookEventId: event.id, toLine: d.to, body: d.body, channel, attachments, sentAt: at };
  if (!sender.ok) {
    // Kept for the record; a keyword from it is for a person to look at.
    await recordReply(tx, {
      ...reply, fromPhone: d.from, contactId: null, campaignId: null, recipientId: null, outboundMessageId: null,
      isOptOut: classified?.kind === 'opt_out', isOptIn: false, needsAttention: classified !== null && classified.kind !== 'opt_in',
    });
    return { kind: 'done', note: `unmatched sender: ${sender.reason}` };
  }
  const from = sender.e164;
  // A concurrent first insert of the same contact can hide the row from this statement's snapshot: ask twice.
  const conv = (await resolveConversation(tx, from, d.to)) ?? (await resolveConversation(tx, from, d.to));
  if (!conv) throw new Error(`could not find or create the contact ${from}`);
  const contact = { id: Number(conv.contact_id), opted_out: conv.opted_out };
  const link = conv.outbound_message_id === null ? null : conv;
  // START / YES bring back only a person who opted out; otherwise "yes" is an ordinary reply.
  const keyword: ConsentKeyword | null =
    classified?.kind === 'opt_out' || (classified?.kind === 'opt_in' && contact.opted_out) ? { kind: classified.kind, keyword: classified.keyword } : null;
  const { id: inboundId, firstReply } = await recordReply(tx, {
    ...reply,
    fromPhone: from,
    contactId: contact.id,
    campaignId: link?.campaign_id ?? null,
    recipientId: link?.recipient_id ?? null,
    outboundMessageId: link?.outbound_message_id ?? null,
    isOptOut: keyword?.kind === 'opt_out',
    isOptIn: keyword?.kind === 'opt_in',
    needsAttention: classified?.kind === 'possible_opt_out',
  });
  if (inboundId === null) return { kind: 'done', note: 'reply already stored' };

  if (keyword) {
    const r = await changeConsent(tx, {
      kind: keyword.kind,
      keyword: keyword.keyword,
      source: `${channel} reply`,
      note: null,
      changes: [{ contactId: contact.id, at, inboundMessageId: inboundId }],
    });
    // One confirmation per opt-out (not for a repeated STOP), the campaign's text or the deployment's.
    const confirmation = link?.opt_out_confirmation?.trim() || o.confirmationText?.trim();
    if (keyword.kind === 'opt_out' && flipped(r, contact.id, 'opt_out') && confirmation) {
      await enqueueConversationMessage(tx, {
        kind: 'opt_out_confirmation',
        campaignId: link?.campaign_id ?? null,
        recipientId: link?.recipient_id ?? null,
        contactId: contact.id,
        toPhone: from,
        fromLine: d.to,
        body: confirmation,
        confirmsInboundId: inboundId,
      });
    }
  }

  const care = planCare({
    inboundMessageId: inboundId,
    contactId: contact.id,
    campaignId: link?.campaign_id ?? null,
    recipientId: link?.recipient_id ?? null,
    person: from,
    line: d.to,
    text: d.body,
    settings: link,
    keyword,
    optedOutBefore: contact.opted_out,
    firstReply,
    autoReplyOncePerHours: o.autoReplyOncePerHours,
  });
  return care ? { kind: 'done', care } : { kind: 'done' };
}

/** A text.delivery.* report with the thread it names (for fallbacks that carry an id of their own). */
type ThreadReport = DeliveryReport & { phone: string; line: string };

const e164Or = (raw: string): string => {
  const p = normalizePhone(raw);
  return p.ok ? p.e164 : raw;
};

/** A text.delivery.* event as a report, or why its data is unusable. */
function deliveryReport(event: StoredEvent): ThreadReport | string {
  const outcome = event.type === 'text.delivery.failed' ? 'failed' : 'delivered';
  const d = outcome === 'failed' ? dataOf(textDeliveryFailedData, event) : dataOf(textDeliveryConfirmedData, event);
  if (typeof d === 'string') return d;
  const error = 'error' in d && typeof d.error === 'string' && d.error ? d.error : outcome === 'failed' ? 'delivery failed' : null;
  const to = outcome === 'failed' ? failureOutcome(error) : outcome;
  return { providerMessageId: d.message_id, to, at: effectiveEventTime(d.timestamp, event.receivedAt), error, phone: e164Or(d.to), line: e164Or(d.from) };
}

/**
 * A report whose id is none of ours may be about an SMS fallback that got an
 * id of its own: matched by (recipient, line, time window) when exactly one
 * send fits, campaign message or seed send (findFallbackSend); two
 * candidates are ambiguous and move nothing. The note
 * says what it moved, or null when it was none.
 */
async function applyToFallback(tx: Queryable, r: ThreadReport): Promise<string | null> {
  const allowed = allowedFrom(r.to);
  const send = await findFallbackSend(tx, { to: r.phone, line: r.line, at: r.at, allowed });
  if (send === null) return null;
  const t = { messageId: send.id, to: r.to, from: allowed, at: r.at, error: r.error, viaText: true };
  const how = `matched to an SMS fallback by recipient, line and time (id ${r.providerMessageId} is the fallback's own)`;
  if (send.table === 'seed_sends') return (await transitionSeedDelivery(tx, t)) ? `${how}: ${SEED_NOTE}` : null;
  return (await transitionDelivery(tx, t)) ? how : null;
}

/**
 * A report about a seed send (`plan --seed`): the same transition over
 * seed_sends. True when it is one (moved, or old news).
 */
async function applyToSeed(tx: Queryable, r: ThreadReport): Promise<boolean> {
  const moved = await transitionSeedDelivery(tx, { providerMessageId: r.providerMessageId, to: r.to, from: allowedFrom(r.to), at: r.at, error: r.error, viaText: true });
  return moved || (await isSeedSend(tx, r.providerMessageId));
}

const SEED_NOTE = 'a seed send (plan --seed): recorded in seed_sends';

const waitFor = (providerMessageId: string): EventOutcome => ({ kind: 'wait', reason: `no outbound message with provider id ${providerMessageId} (yet)` });

/** Delivery news for a message we sent; waits when the send is not recorded yet. */
async function handleDelivery(tx: Queryable, event: StoredEvent): Promise<EventOutcome> {
  const r = deliveryReport(event);
  if (typeof r === 'string') return { kind: 'done', note: r };
  const moved = await transitionDelivery(tx, {
    providerMessageId: r.providerMessageId,
    to: r.to,
    from: allowedFrom(r.to),
    at: r.at,
    error: r.error,
    viaText: true,
  });
  // Old news (the message is already further along) is simply done; a message we do not know yet is waited for.
  if (moved || (await findStatusByProviderId(tx, r.providerMessageId)) !== null) return { kind: 'done' };
  if (await applyToSeed(tx, r)) return { kind: 'done', note: SEED_NOTE };
  const fallback = await applyToFallback(tx, r);
  if (fallback) return { kind: 'done', note: fallback };
  return waitFor(r.providerMessageId);
}

async function handleSubstitution(tx: Queryable, event: StoredEvent): Promise<EventOutcome> {
  const d = dataOf(numbersSubstitutionData, event);
  if (typeof d === 'string') return { kind: 'done', note: d };
  // Not about one message of ours (null id): nothing to move, kept for the record.
  if (d.message_id === null) return { kind: 'done', note: `substitution of ${d.original_number} by ${d.used_number} names no message` };
  const ok = await recordLineSubstitution(tx, { providerMessageId: d.message_id, originalNumber: d.original_number, usedNumber: d.used_number });
  return ok ? { kind: 'done' } : waitFor(d.message_id);
}

/** Routes a stored event to its effect; unknown and irrelevant types are acknowledged with nothing to do. */
export function createEventHandler(o: HandlerOptions): EventHandler {
  return async (tx, event) => {
    switch (event.type) {
      case 'imessage.incoming':
      case 'text.incoming.sms':
      case 'text.incoming.mms':
        return handleIncoming(tx, event, event.type, o);
      case 'text.delivery.confirmed':
      case 'text.delivery.failed':
        return handleDelivery(tx, event);
      case 'numbers.substitution':
        return handleSubstitution(tx, event);
      default:
        // Stored for the record (otp, e-mail, types added later); nothing here acts on them.
        return { kind: 'done' };
    }
  };
}

/** The handler with the built-in keyword lists. */
export const applyEvent: EventHandler = createEventHandler({ keywords: createKeywordClassifier() });

/** Whether an event is a reply that opts out: the receiver applies those before it acknowledges them. */
export function isOptOutReply(keywords: KeywordClassifier, event: { type: string; data?: unknown }): boolean {
  if (!(event.type in INCOMING_CHANNEL)) return false;
  const body = (event.data as { body?: unknown } | null | undefined)?.body;
  return typeof body === 'string' && keywords.classify(body)?.kind === 'opt_out';
}

/**
 * Delivery reports of a batch in two statements instead of one or two each:
 * the same transitions as handleDelivery, so either path gives the same result.
 */
export const applyDeliveryBatch: BatchHandler = async (tx, events) => {
  const outcomes = new Map<number, EventOutcome>();
  const reports: { event: StoredEvent; report: ThreadReport }[] = [];
  for (const event of events) {
    if (event.type !== 'text.delivery.confirmed' && event.type !== 'text.delivery.failed') continue;
    const report = deliveryReport(event);
    if (typeof report === 'string') outcomes.set(event.id, { kind: 'done', note: report });
    else reports.push({ event, report });
  }
  if (reports.length === 0) return outcomes;
  const moved = await transitionDeliveries(
    tx,
    reports.map((r) => r.report),
    { delivered: allowedFrom('delivered'), failed: allowedFrom('failed'), unconfirmed: allowedFrom('unconfirmed') },
  );
  const unmoved = [...new Set(reports.filter((r) => !moved.has(r.report.providerMessageId)).map((r) => r.report.providerMessageId))];
  const known = await knownProviderIds(tx, unmoved);
  for (const { event, report } of reports) {
    const id = report.providerMessageId;
    if (moved.has(id) || known.has(id)) outcomes.set(event.id, { kind: 'done' });
    else if (await applyToSeed(tx, report)) outcomes.set(event.id, { kind: 'done', note: SEED_NOTE });
    else {
      const fallback = await applyToFallback(tx, report);
      outcomes.set(event.id, fallback ? { kind: 'done', note: fallback } : waitFor(id));
    }
  }
  return outcomes;
};
