import type { Queryable } from './queryable.ts';

/**
 * The operator's tapbacks and read receipts (table inbox_actions), written
 * after the provider accepted the call: the thread's timeline shows what the
 * person saw. One statement each, as everywhere in src/db/sql/.
 */

/** A tapback the provider accepted, on the message with this text (the provider's own key for a reaction). */
export async function recordTapback(db: Queryable, a: { phone: string; line: string; tapback: string; message: string }): Promise<number> {
  const { rows } = await db.query<{ id: number }>({
    name: 'inbox.record_tapback',
    text: `INSERT INTO inbox_actions (phone, line, kind, tapback, message) VALUES ($1, $2, 'tapback', $3, $4) RETURNING id::int`,
    values: [a.phone, a.line, a.tapback, a.message],
  });
  return rows[0]!.id;
}

/** A read receipt the provider accepted for this thread. */
export async function recordReadReceipt(db: Queryable, phone: string, line: string): Promise<number> {
  const { rows } = await db.query<{ id: number }>({
    name: 'inbox.record_read_receipt',
    text: `INSERT INTO inbox_actions (phone, line, kind) VALUES ($1, $2, 'read_receipt') RETURNING id::int`,
    values: [phone, line],
  });
  return rows[0]!.id;
}

/**
 * Whether the person wrote since our last read receipt on this thread (or
 * ever, without one): only then is a receipt news to them. Opening a thread
 * again, or the page refreshing it, sends nothing more. Compared on when the
 * reply reached us (created_at), the clock the receipt's time is on.
 */
export async function readReceiptDue(db: Queryable, phone: string, line: string): Promise<boolean> {
  const { rows } = await db.query<{ due: boolean }>({
    name: 'inbox.read_receipt_due',
    text: `SELECT EXISTS (
             SELECT 1 FROM inbound_messages i
              WHERE i.from_phone = $1 AND i.to_line = $2
                AND i.created_at > COALESCE((SELECT max(a.at) FROM inbox_actions a WHERE a.phone = $1 AND a.line = $2 AND a.kind = 'read_receipt'), '-infinity')
           ) AS due`,
    values: [phone, line],
  });
  return rows[0]!.due;
}
