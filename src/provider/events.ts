import { z } from 'zod';

/*
 * The provider's v2 webhook events (openapi/wh.json). Receivers must be
 * lenient: extra fields are kept, and an unknown `type` is a generic event,
 * not an error, so new event kinds are stored rather than lost.
 */

/**
 * Unix seconds as documented, yet fractional seconds and milliseconds arrive
 * too (the SDK accepts any number): kept as sent, read through providerTime.
 */
const unixSeconds = z.number().nonnegative();

/**
 * An attachment as documented `{ url, mime, filename }`; the SDK also accepts
 * it without mime or filename, or as a bare URL string: all read as one shape.
 */
export const attachmentSchema = z.union([
  z.string().transform((url) => ({ url })),
  z.looseObject({ url: z.string(), mime: z.string().optional(), filename: z.string().optional() }),
]);

/** A missing or null body (a photo alone) is an empty text, never a reason to lose the event. */
const bodyText = z.string().nullish().transform((b) => b ?? '');

export const textIncomingSmsData = z.looseObject({ from: z.string(), to: z.string(), body: bodyText, timestamp: unixSeconds });
export const textIncomingMmsData = textIncomingSmsData.extend({ attachments: z.array(attachmentSchema).nullish().transform((a) => a ?? []) });
export const textDeliveryConfirmedData = z.looseObject({ from: z.string(), to: z.string(), message_id: z.string(), timestamp: unixSeconds });
export const textDeliveryFailedData = textDeliveryConfirmedData.extend({ error: z.string().default('') });
/** In an incoming iMessage `from` is the person and `to` is our line. */
export const imessageIncomingData = z.looseObject({
  from: z.string(),
  to: z.string(),
  body: bodyText,
  timestamp: unixSeconds,
  attachments: z.array(attachmentSchema).nullish().transform((a) => a ?? []),
});
/**
 * What is still readable of an incoming message off its documented shape
 * (an attachment that is no URL, a body or timestamp of another type): the
 * person, the line and the text are enough to file the reply and honour a
 * STOP, so the rest is read as far as it goes rather than losing the reply.
 * A timestamp that is no number reads as 0, which event times replace by the
 * time of receipt.
 */
export const salvagedIncomingData = z.looseObject({
  from: z.string(),
  to: z.string(),
  body: z.unknown().transform((b) => (typeof b === 'string' ? b : '')),
  timestamp: z.unknown().transform((t) => (typeof t === 'number' && Number.isFinite(t) && t >= 0 ? t : 0)),
  attachments: z.unknown().transform((a) =>
    Array.isArray(a)
      ? a.flatMap((x) => {
          const r = attachmentSchema.safeParse(x);
          return r.success ? [r.data] : [];
        })
      : [],
  ),
});
export const numbersSubstitutionData = z.looseObject({
  original_number: z.string(),
  used_number: z.string(),
  reason: z.string().nullish().transform((r) => r ?? ''),
  /** Null when the substitution concerns no one message (documented as a string). */
  message_id: z.string().nullable(),
  timestamp: unixSeconds,
});
export const otpReverseVerifiedData = z.looseObject({ otp_id: z.string(), number: z.string(), status: z.string() });
export const emailIncomingData = z.looseObject({ email_id: z.string(), timestamp: unixSeconds.optional() });

const envelopeFields = {
  id: z.string().min(1),
  timestamp: unixSeconds,
  api_version: z.string().catch(''),
  known: z.literal(true),
};

const event = <T extends string, D extends z.ZodType>(type: T, data: D) =>
  z.object({ ...envelopeFields, type: z.literal(type), data });

export const knownEventSchema = z.discriminatedUnion('type', [
  event('imessage.incoming', imessageIncomingData),
  event('text.incoming.sms', textIncomingSmsData),
  event('text.incoming.mms', textIncomingMmsData),
  event('text.delivery.confirmed', textDeliveryConfirmedData),
  event('text.delivery.failed', textDeliveryFailedData),
  event('numbers.substitution', numbersSubstitutionData),
  event('otp.reverse.verified', otpReverseVerifiedData),
  event('email.incoming', emailIncomingData),
]);
export type KnownEvent = z.infer<typeof knownEventSchema>;
export type KnownEventType = KnownEvent['type'];
export const KNOWN_EVENT_TYPES: readonly KnownEventType[] = knownEventSchema.options.map((o) => o.shape.type.value);

export type EventOf<T extends KnownEventType> = Extract<KnownEvent, { type: T }>;

/** An event of a type this code does not know yet; stored and acknowledged, never rejected. */
export interface UnknownEvent {
  id: string;
  type: string;
  timestamp: number;
  api_version: string;
  data: unknown;
  known: false;
}

export type ProviderEvent = KnownEvent | UnknownEvent;

export const eventEnvelopeSchema = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  timestamp: unixSeconds,
  // Not checked by the SDK: an event without it is still the provider's.
  api_version: z.string().catch(''),
  data: z.unknown().refine((d) => d !== undefined, 'is required'),
});

/** Provider timestamps are unix seconds; tolerate milliseconds rather than land in 1970 or 50000 AD. */
export function providerTime(ts: number): Date {
  return new Date(ts > 1e12 ? ts : ts * 1000);
}
