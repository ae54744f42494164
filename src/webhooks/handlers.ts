import type { z } from 'zod';
import { applyConsent, insertConsentEvent, skipQueuedForContact } from '../db/sql/consent.ts';
import { findStatusByProviderId, knownProviderIds, recordLineSubstitution, transitionDeliveries, transitionDelivery, type DeliveryReport } from '../db/sql/delivery-state.ts';
import { recordReply, resolveConversation } from '../db/sql/inbound-messages.ts';
import type { Queryable } from '../db/sql/queryable.ts';
import {
  imessageIncomingData,
  numbersSubstitutionData,
  textDeliveryConfirmedData,
  textDeliveryFailedData,
  textIncomingMmsData,
  textIncomingSmsData,
} from '../provider/events.ts';
import { effectiveEventTime } from './event-time.ts';
import { planCare } from './care-plan.ts';
import { allowedFrom } from './delivery-status.ts';
import { classifyKeyword } from './keywords.ts';
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

/** A reply: stored, linked to what it answers, consent keywords applied, care planned. */
async function handleIncoming(tx: Queryable, event: StoredEvent, type: keyof typeof INCOMING_CHANNEL): Promise<EventOutcome> {
  const d = dataOf(incomingSchema[type], event);
  if (typeof d === 'string') return { kind: 'done', note: d };
  const attachments = 'attachments' in d && Array.isArray(d.attachments) ? d.attachments.map((a: { url: string }) => a.url) : [];
  const at = effectiveEventTime(d.timestamp, event.receivedAt);
  const keyword = classifyKeyword(d.body);
  // A concurrent first insert of the same contact can hide the row from this statement's snapshot: ask twice.
  const conv = (await resolveConversation(tx, d.from, d.to)) ?? (await resolveConversation(tx, d.from, d.to));
  if (!conv) throw new Error(`could not find or create the contact ${d.from}`);
  const contact = { id: conv.contact_id, opted_out: conv.opted_out };
  const link = conv.outbound_message_id === null ? null : conv;
  const { id: inboundId, firstReply } = await recordReply(tx, {
    webhookEventId: event.id,
    fromPhone: d.from,
    toLine: d.to,
    body: d.body,
    channel: INCOMING_CHANNEL[type],
    attachments,
    sentAt: at,
    contactId: contact.id,
    campaignId: link?.campaign_id ?? null,
    recipientId: link?.recipient_id ?? null,
    outboundMessageId: link?.outbound_message_id ?? null,
    isOptOut: keyword?.kind === 'opt_out',
    isOptIn: keyword?.kind === 'opt_in',
  });
  if (inboundId === null) return { kind: 'done', note: 'reply already stored' };

  let consentChanged = false;
  if (keyword) {
    const r = await applyConsent(tx, { contactId: contact.id, kind: keyword.kind, at });
    consentChanged = r.changed;
    await insertConsentEvent(tx, {
      contactId: contact.id,
      kind: keyword.kind,
      keyword: keyword.keyword,
      source: `${INCOMING_CHANNEL[type]} reply`,
      inboundMessageId: inboundId,
      at,
    });
    if (keyword.kind === 'opt_out' && r.applied) await skipQueuedForContact(tx, contact.id);
  }

  const care = planCare({
    inboundMessageId: inboundId,
    contactId: contact.id,
    campaignId: link?.campaign_id ?? null,
    recipientId: link?.recipient_id ?? null,
    person: d.from,
    line: d.to,
    text: d.body,
    settings: link,
    keyword,
    optedOutBefore: contact.opted_out,
    consentChanged,
    firstReply,
  });
  return care ? { kind: 'done', care } : { kind: 'done' };
}

/** A text.delivery.* event as a report, or why its data is unusable. */
function deliveryReport(event: StoredEvent): DeliveryReport | string {
  const outcome = event.type === 'text.delivery.failed' ? 'failed' : 'delivered';
  const d = outcome === 'failed' ? dataOf(textDeliveryFailedData, event) : dataOf(textDeliveryConfirmedData, event);
  if (typeof d === 'string') return d;
  const error = 'error' in d && typeof d.error === 'string' && d.error ? d.error : outcome === 'failed' ? 'delivery failed' : null;
  return { providerMessageId: d.message_id, to: outcome, at: effectiveEventTime(d.timestamp, event.receivedAt), error };
}

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
  return waitFor(r.providerMessageId);
}

async function handleSubstitution(tx: Queryable, event: StoredEvent): Promise<EventOutcome> {
  const d = dataOf(numbersSubstitutionData, event);
  if (typeof d === 'string') return { kind: 'done', note: d };
  const ok = await recordLineSubstitution(tx, { providerMessageId: d.message_id, originalNumber: d.original_number, usedNumber: d.used_number });
  return ok ? { kind: 'done' } : waitFor(d.message_id);
}

/** Routes a stored event to its effect; unknown and irrelevant types are acknowledged with nothing to do. */
export const applyEvent: EventHandler = async (tx, event) => {
  switch (event.type) {
    case 'imessage.incoming':
    case 'text.incoming.sms':
    case 'text.incoming.mms':
      return handleIncoming(tx, event, event.type);
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

/**
 * Delivery reports of a batch in two statements instead of one or two each:
 * the same transitions as handleDelivery, so either path gives the same result.
 */
export const applyDeliveryBatch: BatchHandler = async (tx, events) => {
  const outcomes = new Map<number, EventOutcome>();
  const reports: { event: StoredEvent; report: DeliveryReport }[] = [];
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
    { delivered: allowedFrom('delivered'), failed: allowedFrom('failed') },
  );
  const unmoved = [...new Set(reports.filter((r) => !moved.has(r.report.providerMessageId)).map((r) => r.report.providerMessageId))];
  const known = await knownProviderIds(tx, unmoved);
  for (const { event, report } of reports) {
    const id = report.providerMessageId;
    if (moved.has(id) || known.has(id)) outcomes.set(event.id, { kind: 'done' });
    else outcomes.set(event.id, waitFor(id));
  }
  return outcomes;
};
