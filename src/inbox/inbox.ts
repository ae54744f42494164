import type pg from 'pg';
import { latestReply, listThreads, markThreadRead, setThreadState, personConsents, threadEvents, type ThreadFilter, type ThreadState } from '../db/sql/inbox.ts';
import { deleteQuickReply, findQuickReply, listQuickReplies, saveQuickReply, threadVariables } from '../db/sql/quick-replies.ts';
import { ConflictError, NotFoundError, ValidationError } from '../lib/errors.ts';
import type { ImessageClient } from '../provider/client.ts';
import type { Tapback } from '../provider/schemas.ts';
import { renderQuickReply, type QuickReplyInput } from './quick-replies.ts';
import { sendOperatorReply } from './send-reply.ts';

export type InboxClient = Pick<ImessageClient, 'read' | 'react' | 'typing'>;

export interface Thread {
  phone: string;
  line: string;
}

/** Why a person cannot be written to, for the reply box. */
export const OPTED_OUT_REASON = 'This person opted out: nothing can be sent to them until they opt back in.';

export class OptedOutError extends ConflictError {
  constructor(phone: string) {
    super(`${phone}: ${OPTED_OUT_REASON}`);
  }
}

/**
 * The operator's inbox: threads, their events and triage, and the operator's
 * actions. Typing, tapbacks and read receipts are not messages (the provider
 * does not pace them) and go to the client directly; replies go through the
 * send path (send-reply.ts). Every action is refused for an opted-out person.
 */
export function createInbox(deps: { pool: pg.Pool; client: InboxClient; readReceipts: boolean }) {
  const { pool, client } = deps;
  async function reachable(t: Thread) {
    if (!(await personConsents(pool, t.phone))) throw new OptedOutError(t.phone);
  }
  const provider = { to: (t: Thread) => ({ to: t.phone, from: t.line }) };
  async function reply(t: Thread, body: string) {
    if (!(await latestReply(pool, t.phone, t.line))) throw new ValidationError([{ path: 'thread', message: 'no reply from this person on this line to answer' }]);
    const id = await sendOperatorReply(pool, { ...t, body });
    if (id === null) throw new OptedOutError(t.phone);
    // Typing ends with the send, as in the Messages app.
    await client.typing({ ...provider.to(t), action: 'stop' }).catch(() => undefined);
    return { messageId: id };
  }
  return {
    threads: (f: ThreadFilter) => listThreads(pool, f),
    async open(t: Thread, limit = 500) {
      const events = await threadEvents(pool, t.phone, t.line, limit);
      await markThreadRead(pool, t.phone, t.line);
      let readReceipt = false;
      if (deps.readReceipts && events.some((e) => e.direction === 'in') && (await personConsents(pool, t.phone))) {
        await client.read(provider.to(t));
        readReceipt = true;
      }
      return { events, optedOut: !(await personConsents(pool, t.phone)), readReceipt };
    },
    setState: (t: Thread, state: ThreadState | 'unread') => setThreadState(pool, t.phone, t.line, state),
    async typing(t: Thread, action: 'start' | 'stop') {
      await reachable(t);
      await client.typing({ ...provider.to(t), action });
    },
    async tapback(t: Thread, tapback: Tapback, message: string) {
      await reachable(t);
      await client.react('add', { ...provider.to(t), tapback, message });
    },
    quickReplies: () => listQuickReplies(pool),
    saveQuickReply: (q: QuickReplyInput) => saveQuickReply(pool, q),
    async deleteQuickReply(name: string) {
      if (!(await deleteQuickReply(pool, name))) throw new NotFoundError(`no quick reply named "${name}"`);
    },
    /** The saved answers as this person would get them (text), or why one cannot be used for them (problem). */
    async threadQuickReplies(t: Thread) {
      const vars = await threadVariables(pool, t.phone, t.line);
      return (await listQuickReplies(pool)).map((q) => ({ name: q.name, body: q.body, ...renderQuickReply(q.body, vars, `${t.phone}:${t.line}:${q.id}`) }));
    },
    /** A saved answer rendered for this person, then sent as a reply. */
    async replyWithQuick(t: Thread, name: string) {
      const q = await findQuickReply(pool, name);
      if (!q) throw new NotFoundError(`no quick reply named "${name}"`);
      const r = renderQuickReply(q.body, await threadVariables(pool, t.phone, t.line), `${t.phone}:${t.line}:${q.id}`);
      if (r.text === null) throw new ValidationError([{ path: 'quickReply', message: `"${q.name}": ${r.problem}` }]);
      return { ...(await reply(t, r.text)), body: r.text };
    },
    reply,
  };
}
export type Inbox = ReturnType<typeof createInbox>;
