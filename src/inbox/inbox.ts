import type pg from 'pg';
import { inTransaction } from '../db/sql/queryable.ts';
import { latestReply, listThreads, markThreadRead, setThreadState, personConsents, threadEvents, type ThreadFilter, type ThreadState } from '../db/sql/inbox.ts';
import { readReceiptDue, recordReadReceipt, recordTapback } from '../db/sql/inbox-actions.ts';
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
 * does not pace them) and go to the client directly; tapbacks and read
 * receipts are recorded once accepted (inbox_actions: they are thread
 * events). Replies go through the send path (send-reply.ts). Every action is
 * refused for an opted-out person.
 */
export function createInbox(deps: { pool: pg.Pool; client: InboxClient; readReceipts: boolean }) {
  const { pool, client } = deps;
  /**
   * Runs a provider call for this person while their contact row is held FOR
   * SHARE: a STOP's update waits for it (and so does the STOP's 2xx), so no
   * typing, tapback or receipt goes out after an acknowledged STOP. Inside
   * the transaction now() is its start, before the call: a recorded action's
   * time never covers a reply that arrived while the call was on the wire.
   */
  function whileConsenting<T>(t: Thread, call: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(pool, async (tx) => {
      if (!(await personConsents(tx, t.phone))) throw new OptedOutError(t.phone);
      return call(tx);
    });
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
    /**
     * A thread as the operator opens it: marked read first (a reply landing
     * meanwhile shows, and stays unread until the next look), then a read
     * receipt if the person wrote since the last one (recorded, so it shows in
     * the timeline), then the events. A refused receipt does not keep the
     * thread closed: the answer says why.
     */
    async open(t: Thread, limit = 500) {
      await markThreadRead(pool, t.phone, t.line);
      let readReceipt = false;
      let readReceiptError: string | undefined;
      if (deps.readReceipts && (await readReceiptDue(pool, t.phone, t.line))) {
        try {
          await whileConsenting(t, async (tx) => {
            await client.read(provider.to(t));
            await recordReadReceipt(tx, t.phone, t.line);
          });
          readReceipt = true;
        } catch (err) {
          // An opted-out person gets no receipt; the thread still opens (optedOut says why the box is closed).
          if (!(err instanceof OptedOutError)) readReceiptError = `the read receipt was not sent: ${err instanceof Error ? err.message : String(err)}`;
        }
      }
      const consents = await personConsents(pool, t.phone);
      const events = await threadEvents(pool, t.phone, t.line, limit);
      return { events, optedOut: !consents, readReceipt, ...(readReceiptError ? { readReceiptError } : {}) };
    },
    setState: (t: Thread, state: ThreadState | 'unread') => setThreadState(pool, t.phone, t.line, state),
    async typing(t: Thread, action: 'start' | 'stop') {
      await whileConsenting(t, () => client.typing({ ...provider.to(t), action }));
    },
    async tapback(t: Thread, tapback: Tapback, message: string) {
      return whileConsenting(t, async (tx) => {
        await client.react('add', { ...provider.to(t), tapback, message });
        return { id: await recordTapback(tx, { ...t, tapback, message }) };
      });
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
