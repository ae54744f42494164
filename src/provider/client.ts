import type { z } from 'zod';
import { ValidationError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { createTransport, DEFAULT_RETRY, type CallOptions, type RetryPolicy, type TransportOptions } from './http.ts';
import {
  availabilityDataSchema,
  availabilityParamsSchema,
  historyDataSchema,
  historyParamsSchema,
  messageDataSchema,
  messageIdSchema,
  reactionActionSchema,
  reactionParamsSchema,
  readParamsSchema,
  replyEventSchema,
  replyParamsSchema,
  sendDataSchema,
  sendParamsSchema,
  statusMessageDataSchema,
  textHistoryDataSchema,
  textHistoryParamsSchema,
  toIssues,
  typingDataSchema,
  typingParamsSchema,
  type HistoryData,
  type HistoryParams,
  type MessageData,
  type ReactionParams,
  type ReadParams,
  type ReplyParams,
  type SendParams,
  type Tapback,
  type TextHistoryData,
  type TextHistoryParams,
  type TypingParams,
} from './schemas.ts';

export type { CallOptions, RetryMode, RetryPolicy } from './http.ts';
export type { HistoryData, MessageData, ReplyParams, SendParams, Tapback, TextHistoryData, TextHistoryParams } from './schemas.ts';

export interface ImessageClientOptions {
  /** Host root, e.g. https://api.contiguity.com; /send/… and /conversations/… are appended. */
  baseUrl: string;
  apiKey: string;
  timeoutMs?: number;
  retry?: RetryPolicy;
  logger?: Logger;
  /** Told of every HTTP attempt (metrics). */
  onAttempt?: TransportOptions['onAttempt'];
}

export interface ImessageClient {
  send(p: SendParams, o?: CallOptions): Promise<{ message_id: string }>;
  reply(event: { data: { from: string; to: string } }, p: ReplyParams, o?: CallOptions): Promise<{ message_id: string }>;
  typing(p: TypingParams, o?: CallOptions): Promise<{ status: string }>;
  react(action: 'add' | 'remove', p: ReactionParams, o?: CallOptions): Promise<{ status: string; message: string }>;
  read(p: ReadParams, o?: CallOptions): Promise<{ status: string; message: string }>;
  history(p: HistoryParams, o?: CallOptions): Promise<HistoryData>;
  /** The SMS/MMS thread with `to` on line `from`: where a send that fell back to SMS shows up. */
  textHistory(p: TextHistoryParams, o?: CallOptions): Promise<TextHistoryData>;
  get(id: string, o?: CallOptions & { tracking?: boolean }): Promise<MessageData>;
  availability(to: string, o?: CallOptions): Promise<{ available: boolean }>;
}

/** Parse input or throw a ValidationError naming every bad field; nothing is sent. */
function parse<S extends z.ZodType>(schema: S, input: unknown, where: string, prefix = ''): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) {
    throw new ValidationError(
      toIssues(r.error).map((i) => ({ ...i, path: prefix ? (i.path ? `${prefix}.${i.path}` : prefix) : i.path })),
      where,
    );
  }
  return r.data;
}

const seg = encodeURIComponent;

/** The path of one thread's history, iMessage or text. */
function threadPath(kind: 'imessage' | 'text', q: { to: string; from: string; limit: number }): string {
  return `/conversations/history/${kind}/${seg(q.to)}/${seg(q.from)}/${q.limit}`;
}

function trackingQuery(tracking: boolean | undefined): Record<string, string> | undefined {
  return tracking ? { tracking: 'true' } : undefined;
}

/**
 * The provider's iMessage resource: one method per operation, inputs checked
 * before any request (a bad input rejects with ValidationError, never throws synchronously).
 */
export function createImessageClient(opts: ImessageClientOptions): ImessageClient & { close(): void } {
  const http = createTransport({
    baseUrl: opts.baseUrl,
    apiKey: opts.apiKey,
    timeoutMs: opts.timeoutMs ?? 15_000,
    retry: opts.retry ?? DEFAULT_RETRY,
    logger: opts.logger,
    onAttempt: opts.onAttempt,
  });

  const postSend = (body: unknown, o?: CallOptions) =>
    http.request({ op: 'send', method: 'POST', path: '/send/imessage', body, data: sendDataSchema }, o);

  return {
    close: () => http.close(),

    async send(p, o) {
      return postSend(parse(sendParamsSchema, p, 'imessage send'), o);
    },

    async reply(event, p, o) {
      const { data } = parse(replyEventSchema, event, 'imessage reply', 'event');
      const params = parse(replyParamsSchema, p, 'imessage reply');
      // The person wrote from data.from to our line data.to: answer on the same line.
      return postSend({ to: data.from, from: data.to, ...params }, o);
    },

    async typing(p, o) {
      const body = parse(typingParamsSchema, p, 'imessage typing');
      return http.request({ op: 'typing', method: 'POST', path: '/send/imessage/typing', body, data: typingDataSchema }, o);
    },

    async react(action, p, o) {
      const act = parse(reactionActionSchema, action, 'imessage react', 'action');
      const params = parse(reactionParamsSchema, p, 'imessage react');
      const body = { to: params.to, from: params.from, action: act, tapback: params.tapback, message: params.message };
      return http.request({ op: 'react', method: 'POST', path: '/send/imessage/reactions', body, data: statusMessageDataSchema }, o);
    },

    async read(p, o) {
      const body = parse(readParamsSchema, p, 'imessage read');
      return http.request({ op: 'read', method: 'POST', path: '/send/imessage/read', body, data: statusMessageDataSchema }, o);
    },

    async history(p, o) {
      const q = parse(historyParamsSchema, p, 'imessage history');
      return http.request({ op: 'history', method: 'GET', path: threadPath('imessage', q), query: trackingQuery(q.tracking), data: historyDataSchema }, o);
    },

    async textHistory(p, o) {
      const q = parse(textHistoryParamsSchema, p, 'text history');
      return http.request({ op: 'textHistory', method: 'GET', path: threadPath('text', q), query: trackingQuery(q.tracking), data: textHistoryDataSchema }, o);
    },

    async get(id, o = {}) {
      const mid = parse(messageIdSchema, id, 'imessage get', 'id');
      const { tracking, ...call } = o;
      return http.request(
        {
          op: 'get',
          method: 'GET',
          path: `/conversations/history/message/${seg(mid)}`,
          query: trackingQuery(tracking),
          data: messageDataSchema,
        },
        call,
      );
    },

    async availability(to, o) {
      const q = parse(availabilityParamsSchema, { to }, 'imessage availability');
      return http.request(
        { op: 'availability', method: 'GET', path: `/conversations/availability/imessage/${seg(q.to)}`, data: availabilityDataSchema },
        o,
      );
    },
  };
}
