import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Inbox } from '../../inbox/inbox.ts';
import { quickReplySchema } from '../../inbox/quick-replies.ts';
import { ConflictError } from '../../lib/errors.ts';
import { ProviderError } from '../../provider/errors.ts';
import { TAPBACKS } from '../../provider/schemas.ts';
import { requireBearer } from '../auth.ts';
import { parseInput } from '../input.ts';
import type { RouteModule } from '../server.ts';

const phone = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +14155550123');
export const threadListQuerySchema = z.object({
  unread: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  state: z.enum(['open', 'needs_attention', 'done']).optional(),
  q: z.string().trim().min(1).max(100).optional(),
  campaign: z.coerce.number().int().min(1).max(2147483647).optional().describe('threads with a message or reply of this campaign (its id)'),
  line: phone.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export const threadQuerySchema = z.object({ phone, line: phone });
export const threadReplySchema = threadQuerySchema
  .extend({
    body: z.string().trim().min(1, 'write something to send').max(2000).optional(),
    quickReply: z.string().trim().min(1).max(60).optional().describe('the name of a saved answer, rendered for this person'),
  })
  .refine((b) => (b.body === undefined) !== (b.quickReply === undefined), { message: 'give either body or quickReply', path: ['body'] });
export { quickReplySchema };
export const quickReplyNameSchema = z.object({ name: z.string().trim().min(1).max(60) });
export const threadTypingSchema = threadQuerySchema.extend({ action: z.enum(['start', 'stop']) });
export const threadTapbackSchema = threadQuerySchema.extend({ tapback: z.enum(TAPBACKS), message: z.string().min(1).max(2000) });
export const threadStateSchema = threadQuerySchema.extend({ state: z.enum(['open', 'needs_attention', 'done', 'unread']) });

/** A weak ETag of what a poll would show, so an unchanged thread list costs a 304. */
function etagOf(value: unknown): string {
  return `W/"${createHash('sha1').update(JSON.stringify(value)).digest('base64url')}"`;
}

/**
 * The inbox API, bearer token required (the dashboard's inbox polls it):
 *   GET  /api/inbox/threads[?unread=&state=&q=&campaign=&line=&limit=]  threads with unread counts (ETag / If-None-Match)
 *   GET  /api/inbox/thread?phone=&line=                 a thread's events; opening it marks it read (and sends a read receipt if they wrote since the last)
 *   POST /api/inbox/thread/reply   {phone, line, body | quickReply}  an answer through the send path (409 opted out)
 *   GET  /api/inbox/thread/quick-replies?phone=&line=  the saved answers rendered for this person
 *   GET|PUT /api/inbox/quick-replies {name, body}, DELETE ?name=  the saved answers
 *   POST /api/inbox/thread/typing  {phone, line, action}
 *   POST /api/inbox/thread/tapback {phone, line, tapback, message}  recorded as a thread event once the provider took it
 *   POST /api/inbox/thread/state   {phone, line, state} open | needs_attention | done | unread
 */
export function inboxRoutes(deps: { inbox: Inbox | undefined; apiToken: string | undefined }): RouteModule {
  return (app) => {
    // What the provider refused (a tapback on a message it does not have, a read receipt during an outage) is the
    // operator's to read, as the provider said it: 502, not an "internal error". The rest goes to the server's handler.
    app.setErrorHandler((err, _req, reply) => {
      if (err instanceof ProviderError) return reply.code(502).send({ error: `the provider did not take it: ${err.message}` });
      throw err;
    });
    const auth = requireBearer(deps.apiToken);
    const inbox = () => {
      if (!deps.inbox) throw new ConflictError('the inbox needs CONTIGUITY_API_KEY (no provider configured)');
      return deps.inbox;
    };
    app.get('/api/inbox/threads', { onRequest: auth }, async (req, reply) => {
      const q = parseInput(threadListQuerySchema, req.query, 'query');
      const threads = await inbox().threads({ unread: q.unread, state: q.state, search: q.q, campaignId: q.campaign, line: q.line, limit: q.limit });
      const body = { threads, unreadThreads: threads.filter((t) => t.unread > 0).length, unreadReplies: threads.reduce((n, t) => n + t.unread, 0) };
      const tag = etagOf(body);
      reply.header('etag', tag).header('cache-control', 'no-cache');
      if (req.headers['if-none-match'] === tag) return reply.code(304).send();
      return body;
    });
    app.get('/api/inbox/thread', { onRequest: auth }, async (req) => inbox().open(parseInput(threadQuerySchema, req.query, 'query')));
    app.post('/api/inbox/thread/reply', { onRequest: auth }, async (req, reply) => {
      const b = parseInput(threadReplySchema, req.body, 'body');
      const t = { phone: b.phone, line: b.line };
      return reply.code(202).send(b.quickReply !== undefined ? await inbox().replyWithQuick(t, b.quickReply) : await inbox().reply(t, b.body!));
    });
    app.get('/api/inbox/quick-replies', { onRequest: auth }, async () => ({ quickReplies: await inbox().quickReplies() }));
    app.put('/api/inbox/quick-replies', { onRequest: auth }, async (req) => inbox().saveQuickReply(parseInput(quickReplySchema, req.body, 'body')));
    app.delete('/api/inbox/quick-replies', { onRequest: auth }, async (req) => {
      await inbox().deleteQuickReply(parseInput(quickReplyNameSchema, req.query, 'query').name);
      return { ok: true };
    });
    app.get('/api/inbox/thread/quick-replies', { onRequest: auth }, async (req) => ({
      quickReplies: await inbox().threadQuickReplies(parseInput(threadQuerySchema, req.query, 'query')),
    }));
    app.post('/api/inbox/thread/typing', { onRequest: auth }, async (req) => {
      const b = parseInput(threadTypingSchema, req.body, 'body');
      await inbox().typing(b, b.action);
      return { ok: true };
    });
    app.post('/api/inbox/thread/tapback', { onRequest: auth }, async (req) => {
      const b = parseInput(threadTapbackSchema, req.body, 'body');
      const { id } = await inbox().tapback(b, b.tapback, b.message);
      return { ok: true, id };
    });
    app.post('/api/inbox/thread/state', { onRequest: auth }, async (req) => {
      const b = parseInput(threadStateSchema, req.body, 'body');
      await inbox().setState(b, b.state);
      return { ok: true };
    });
  };
}
