import { z } from 'zod';
import { isValidE164 } from '../lib/phone.ts';

/*
 * Inputs of the iMessage resource. Stricter than the provider's own checks so
 * that a bad campaign fails here, naming the field, before anything is sent.
 */

const requiredString = (iss: { input?: unknown }) => (iss.input === undefined ? 'is required' : 'must be a string');

export const e164 = z
  .string({ error: requiredString })
  .refine(isValidE164, 'must be a valid phone number in E.164 form, e.g. +14155550100');

export const attachmentUrl = z.string().refine((v) => {
  try {
    const u = new URL(v);
    // The provider fetches the file and needs its type from the name.
    return u.protocol === 'https:' && /\.[A-Za-z0-9]{1,10}$/.test(u.pathname);
  } catch {
    return false;
  }
}, 'must be an https:// URL whose path ends in a file extension');

export const FALLBACK_WHEN = ['imessage_unsupported', 'imessage_fails'] as const;
export const TAPBACKS = ['love', 'like', 'dislike', 'laugh', 'emphasize', 'question'] as const;
export const HISTORY_LIMIT_MAX = 200;
export const HISTORY_LIMIT_DEFAULT = 20;

export const tapbackSchema = z.enum(TAPBACKS);
export type Tapback = z.infer<typeof tapbackSchema>;

export const fallbackSchema = z.strictObject({
  when: z
    .array(z.enum(FALLBACK_WHEN))
    .min(1, 'must name at least one of imessage_unsupported, imessage_fails')
    .refine((a) => new Set(a).size === a.length, 'must not repeat a value'),
  from: e164.optional(),
});

const contentFields = {
  message: z.string().min(1, 'must not be empty').optional(),
  attachments: z.array(attachmentUrl).max(10, 'at most 10 attachments').optional(),
  fallback: fallbackSchema.optional(),
  fast_track: z.boolean().optional(),
};

function requireContent(v: { message?: string; attachments?: string[] }, ctx: z.RefinementCtx): void {
  if (v.message === undefined && !(v.attachments && v.attachments.length > 0)) {
    ctx.addIssue({ code: 'custom', path: ['message'], message: 'is required unless attachments are given' });
  }
}

export const sendParamsSchema = z
  .strictObject({ to: e164, from: e164.optional(), ...contentFields })
  .superRefine(requireContent);
export type SendParams = z.input<typeof sendParamsSchema>;

export const replyParamsSchema = z.strictObject(contentFields).superRefine(requireContent);
export type ReplyParams = z.input<typeof replyParamsSchema>;

/** The part of an incoming event a reply needs: the person wrote from `from` to our line `to`. */
export const replyEventSchema = z.object({ data: z.object({ from: e164, to: e164 }) });

export const typingParamsSchema = z.strictObject({
  to: e164,
  action: z.enum(['start', 'stop']),
  from: e164.optional(),
});
export type TypingParams = z.input<typeof typingParamsSchema>;

export const reactionActionSchema = z.enum(['add', 'remove']);
export const reactionParamsSchema = z.strictObject({
  to: e164,
  from: e164,
  tapback: tapbackSchema,
  message: z.string().min(1, 'must not be empty'),
});
export type ReactionParams = z.input<typeof reactionParamsSchema>;

export const readParamsSchema = z.strictObject({ to: e164, from: e164 });
export type ReadParams = z.input<typeof readParamsSchema>;

export const historyParamsSchema = z.strictObject({
  to: e164,
  from: e164,
  limit: z
    .number({ error: 'must be a whole number from 1 to 200' })
    .int('must be a whole number from 1 to 200')
    .min(1, 'must be at least 1')
    .max(HISTORY_LIMIT_MAX, `must be at most ${HISTORY_LIMIT_MAX}`)
    .default(HISTORY_LIMIT_DEFAULT),
  tracking: z.boolean().optional(),
});
export type HistoryParams = z.input<typeof historyParamsSchema>;

/** The text (SMS/MMS) history takes the same thread, limit and tracking as the iMessage one. */
export const textHistoryParamsSchema = historyParamsSchema;
export type TextHistoryParams = z.input<typeof textHistoryParamsSchema>;

export const messageIdSchema = z
  .string({ error: requiredString })
  .min(1, 'must not be empty')
  .max(200, 'is too long')
  .regex(/^[A-Za-z0-9_\-.:]+$/, 'must be a provider message id such as imsg_…');

export const availabilityParamsSchema = z.strictObject({ to: e164 });

/*
 * Answers. Every answer is an envelope; `data` is validated per operation.
 * Extra fields are tolerated (the provider may add some), missing ones are not.
 */

export const envelopeSchema = z.object({
  id: z.string(),
  timestamp: z.number(),
  api_version: z.string(),
  object: z.string(),
  data: z.unknown(),
});


export const sendDataSchema = z.object({ message_id: z.string().min(1) });
export const typingDataSchema = z.object({ status: z.string() });
export const statusMessageDataSchema = z.object({ status: z.string(), message: z.string() });
export const availabilityDataSchema = z.object({ available: z.boolean() });

export const trackingEntrySchema = z.object({ event: z.string(), title: z.string(), timestamp: z.string() });

/** What an entry of either history (iMessage or text) carries. */
const threadEntrySchema = z.object({
  to: z.string(),
  from: z.string(),
  message: z.string(),
  timestamp: z.number(),
  delivery: z.object({ status: z.string(), delayed: z.boolean(), timestamp: z.number() }),
  attachments: z.array(z.string()),
  tracking: z.array(trackingEntrySchema).optional(),
});
const reactionSchema = z.object({ reaction: z.string(), on: z.string(), timestamp: z.number(), action: z.string(), from: z.string() });

export const historyDataSchema = z.object({
  conversation: z.array(
    threadEntrySchema.extend({
      read: z.number(),
      risk: z.object({ auto_reported_as_spam: z.boolean(), marked_as_spam: z.boolean() }),
    }),
  ),
  reactions: z.array(reactionSchema),
  chat: z
    .object({
      filtered: z.boolean(),
      chat_marked_as_spam: z.boolean(),
      limit: z.number(),
      total: z.number(),
      count: z.number(),
    })
    .optional(),
});
export type HistoryData = z.infer<typeof historyDataSchema>;

/**
 * The SMS/MMS thread (GET /conversations/history/text/…): what we sent on the
 * line, SMS fallbacks of iMessage sends included, and what came in. Entries
 * have no read time and no spam flags, and, like the iMessage history, no
 * message id.
 */
export const textHistoryDataSchema = z.object({
  conversation: z.array(threadEntrySchema),
  reactions: z.array(reactionSchema),
  chat: z.object({ limit: z.number(), total: z.number(), count: z.number() }).optional(),
});
export type TextHistoryData = z.infer<typeof textHistoryDataSchema>;

export const messageDataSchema = z.object({
  id: z.string(),
  to: z.string(),
  from: z.string(),
  message: z.string(),
  timestamp: z.number(),
  status: z.string(),
  attachments: z.array(z.string()),
  tracking: z.array(trackingEntrySchema).optional(),
});
export type MessageData = z.infer<typeof messageDataSchema>;

/** zod issues as our ValidationError wants them: dotted path, message. */
export function toIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.flatMap((i) => {
    const path = i.path.map(String).join('.');
    // Name each unknown field rather than one issue on the object.
    if (i.code === 'unrecognized_keys') return i.keys.map((k) => ({ path: path ? `${path}.${k}` : k, message: 'is not a known field' }));
    return [{ path, message: i.message }];
  });
}
