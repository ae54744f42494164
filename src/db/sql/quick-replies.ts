import type { Queryable } from './queryable.ts';

export interface QuickReplyRow {
  id: number;
  name: string;
  body: string;
  updated_at: Date;
}

/** Every saved answer, by name (there are a handful). */
export async function listQuickReplies(db: Queryable): Promise<QuickReplyRow[]> {
  const { rows } = await db.query<QuickReplyRow>({
    name: 'inbox.list_quick_replies',
    text: `SELECT id, name, body, updated_at FROM quick_replies ORDER BY lower(name)`,
  });
  return rows;
}

/** One saved answer by name, whatever the case. */
export async function findQuickReply(db: Queryable, name: string): Promise<QuickReplyRow | null> {
  const { rows } = await db.query<QuickReplyRow>({
    name: 'inbox.find_quick_reply',
    text: `SELECT id, name, body, updated_at FROM quick_replies WHERE lower(name) = lower($1)`,
    values: [name],
  });
  return rows[0] ?? null;
}

/**
 * Save an answer under its name: a new one, or the new text of the one of
 * that name (whatever its case: the unique index is on lower(name), and the
 * name keeps the spelling given last).
 */
export async function saveQuickReply(db: Queryable, q: { name: string; body: string }): Promise<QuickReplyRow> {
  const { rows } = await db.query<QuickReplyRow>({
    name: 'inbox.save_quick_reply',
    text: `INSERT INTO quick_replies (name, body) VALUES ($1, $2)
           ON CONFLICT (lower(name)) DO UPDATE SET name = EXCLUDED.name, body = EXCLUDED.body, updated_at = now()
           RETURNING id, name, body, updated_at`,
    values: [q.name, q.body],
  });
  return rows[0]!;
}

/** Forget an answer; false when there was none of that name. */
export async function deleteQuickReply(db: Queryable, name: string): Promise<boolean> {
  const r = await db.query({ name: 'inbox.delete_quick_reply', text: `DELETE FROM quick_replies WHERE lower(name) = lower($1)`, values: [name] });
  return (r.rowCount ?? 0) > 0;
}

/**
 * The CSV columns of the person a thread is with, for a quick reply's
 * {{first_name}}: the recipient row of our latest message to them on that
 * line that has one, else their latest recipient row in any campaign, else
 * none. The first lookup is served by the (to_phone, from_line, sent_at)
 * index; the second, a fallback for threads we never wrote in, reads the
 * person's recipient rows.
 */
export async function threadVariables(db: Queryable, phone: string, line: string): Promise<Record<string, string>> {
  const { rows } = await db.query<{ variables: Record<string, string> | null }>({
    name: 'inbox.thread_variables',
    text: `SELECT COALESCE(
             (SELECT r.variables FROM outbound_messages m JOIN campaign_recipients r ON r.id = m.recipient_id
               WHERE m.to_phone = $1 AND COALESCE(m.from_line, m.requested_line) = $2
               ORDER BY m.queued_at DESC, m.id DESC LIMIT 1),
             (SELECT variables FROM campaign_recipients WHERE phone = $1 ORDER BY id DESC LIMIT 1)) AS variables`,
    values: [phone, line],
  });
  return rows[0]?.variables ?? {};
}
