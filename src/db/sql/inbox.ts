import type { Queryable } from './queryable.ts';

/**
 * The order of a thread's events, newest first. A reply's provider time has
 * whole seconds, ours milliseconds: ordered by time alone, an answer that
 * came 300 ms after our message but is stamped with the second before sorts
 * above it. So: the provider's second, then when we knew of the event (our
 * send, the reply's arrival, the consent change: one clock, the database's),
 * then which table and its id, so that equal keys never swap between polls.
 */
const ORDER_DESC = `date_trunc('second', at) DESC, known_at DESC, tab DESC, id DESC`;

export type ThreadState = 'open' | 'needs_attention' | 'done';

export interface ThreadRow {
  phone: string;
  line: string;
  last_at: Date;
  last_body: string;
  last_direction: 'in' | 'out';
  unread: number;
  /** A possible opt-out arrived since the thread was last triaged. */
  needs_attention: boolean;
  state: ThreadState;
  opted_out: boolean;
  /** The campaigns the thread's messages and replies belong to, by name. */
  campaigns: { id: number; name: string }[];
}

export interface ThreadFilter {
  unread?: boolean;
  state?: ThreadState;
  /** A number (any formatting: its digits are matched) or words of a reply. */
  search?: string;
  /** Threads with a message or reply of this campaign. */
  campaignId?: number;
  /** Threads on this line of ours. */
  line?: string;
  limit: number;
}

/**
 * The threads (one per person + our line) with their latest event, unread
 * replies and triage state, newest first.
 *
 * Why this shape: a thread exists once a message went either way; its events
 * come from outbound_messages (to_phone, from_line) and inbound_messages
 * (from_phone, to_line), each served by its (phone, line/sent_at) index. The
 * triage row is optional (LEFT JOIN): without one every reply is unread.
 * Only threads with a reply are listed (a campaign nobody answered is no
 * conversation). Read and triage marks are compared with when a reply
 * arrived (known_at), not its provider second: a reply stamped with the
 * second the operator opened the thread in, but arriving after, is unread.
 * Search matches the number (its digits, however written: "(650) 555-0177")
 * or any reply's text, literally (no LIKE wildcards). The line filter is
 * applied in `ev`, so only that line's rows are aggregated.
 */
export async function listThreads(db: Queryable, f: ThreadFilter): Promise<ThreadRow[]> {
  const { rows } = await db.query<ThreadRow>({
    name: 'inbox.list_threads',
    text: `WITH ev AS (
         SELECT to_phone AS phone, from_line AS line, COALESCE(sent_at, queued_at) AS at, COALESCE(sent_at, queued_at) AS known_at,
                body, 'out' AS dir, false AS attention, 0 AS tab, id, campaign_id
           FROM outbound_messages WHERE from_line IS NOT NULL AND status NOT IN ('queued', 'cancelled') AND ($6::text IS NULL OR from_line = $6)
         UNION ALL
         SELECT from_phone, to_line, sent_at, created_at, body, 'in', needs_attention, 1, id, campaign_id
           FROM inbound_messages WHERE ($6::text IS NULL OR to_line = $6)),
       t AS (
         SELECT ev.phone, ev.line,
                (array_agg(ev.at ORDER BY ${ORDER_DESC}))[1] AS last_at,
                (array_agg(ev.body ORDER BY ${ORDER_DESC}))[1] AS last_body,
                (array_agg(ev.dir ORDER BY ${ORDER_DESC}))[1] AS last_direction,
                count(*) FILTER (WHERE ev.dir = 'in' AND (s.last_read_at IS NULL OR ev.known_at > s.last_read_at))::int AS unread,
                bool_or(ev.attention AND (s.updated_at IS NULL OR ev.known_at > s.updated_at)) AS attention,
                bool_or(ev.dir = 'in' AND $3::text IS NOT NULL AND strpos(lower(ev.body), lower($3)) > 0) AS body_match,
                bool_or(ev.dir = 'in') AS has_reply,
                array_agg(DISTINCT ev.campaign_id) FILTER (WHERE ev.campaign_id IS NOT NULL) AS campaign_ids,
                COALESCE(min(s.state), 'open') AS state
           FROM ev LEFT JOIN inbox_threads s ON s.phone = ev.phone AND s.line = ev.line
          GROUP BY ev.phone, ev.line)
     SELECT t.phone, t.line, t.last_at, t.last_body, t.last_direction, t.unread,
            (t.attention OR t.state = 'needs_attention') AS needs_attention, t.state,
            COALESCE(k.opted_out, false) AS opted_out,
            (SELECT COALESCE(jsonb_agg(jsonb_build_object('id', c.id, 'name', c.name) ORDER BY c.name), '[]'::jsonb)
               FROM campaigns c WHERE c.id = ANY(t.campaign_ids)) AS campaigns
       FROM t LEFT JOIN contacts k ON k.phone = t.phone
      WHERE t.has_reply
        AND ($1::boolean IS NOT TRUE OR t.unread > 0)
        AND ($2::text IS NULL OR t.state = $2 OR ($2 = 'needs_attention' AND t.attention))
        AND ($3::text IS NULL OR t.body_match OR strpos(t.phone, $3) > 0
             OR ($3 ~ '^[0-9 ()+.-]+$' AND length(regexp_replace($3, '[^0-9]', '', 'g')) >= 3 AND strpos(t.phone, regexp_replace($3, '[^0-9]', '', 'g')) > 0))
        AND ($5::int IS NULL OR $5 = ANY(t.campaign_ids))
      ORDER BY t.last_at DESC, t.phone, t.line
      LIMIT $4`,
    values: [f.unread ?? false, f.state ?? null, f.search ?? null, f.limit, f.campaignId ?? null, f.line ?? null],
  });
  return rows;
}

export interface ThreadEvent {
  kind: string;
  id: number;
  at: Date;
  direction: 'in' | 'out' | 'none';
  body: string | null;
  status: string | null;
  delivered_at: Date | null;
  read_at: Date | null;
  note: string | null;
}

/**
 * Everything in one thread, oldest first (see ORDER_DESC): campaign, care and operator messages
 * (with their delivery and read marks), replies (flagged opt-out / possible
 * opt-out), the person's consent events, and the operator's tapbacks (kind
 * tapback: body = the message's text, status = the tapback) and read
 * receipts (kind read_receipt).
 */
export async function threadEvents(db: Queryable, phone: string, line: string, limit: number): Promise<ThreadEvent[]> {
  const { rows } = await db.query<ThreadEvent>({
    name: 'inbox.thread_events',
    text: `SELECT kind, id, at, direction, body, status, delivered_at, read_at, note FROM (
         SELECT kind::text AS kind, id::int AS id, COALESCE(sent_at, queued_at) AS at, COALESCE(sent_at, queued_at) AS known_at, 0 AS tab,
                'out' AS direction, body, status::text AS status, delivered_at, read_at, last_error AS note
           FROM outbound_messages WHERE to_phone = $1 AND COALESCE(from_line, requested_line) = $2
         UNION ALL
         SELECT CASE WHEN is_opt_out THEN 'reply_opt_out' WHEN needs_attention THEN 'reply_possible_opt_out' WHEN is_opt_in THEN 'reply_opt_in' ELSE 'reply' END,
                id::int, sent_at, created_at, 1, 'in', body, NULL, NULL, NULL, NULL
           FROM inbound_messages WHERE from_phone = $1 AND to_line = $2
         UNION ALL
         SELECT 'consent_' || e.kind::text, e.id::int, e.at, e.at, 2, 'none', e.keyword, e.source, NULL, NULL, e.note
           FROM consent_events e JOIN contacts k ON k.id = e.contact_id WHERE k.phone = $1
         UNION ALL
         SELECT a.kind, a.id::int, a.at, a.at, 3, 'none', a.message, a.tapback, NULL, NULL, NULL
           FROM inbox_actions a WHERE a.phone = $1 AND a.line = $2) x
      ORDER BY ${ORDER_DESC}
      LIMIT $3`,
    values: [phone, line, limit],
  });
  return rows.reverse();
}

/** Mark a thread read up to now (opening it). */
export async function markThreadRead(db: Queryable, phone: string, line: string): Promise<void> {
  await db.query({
    name: 'inbox.mark_read',
    text: `INSERT INTO inbox_threads (phone, line, last_read_at) VALUES ($1, $2, now())
           ON CONFLICT (phone, line) DO UPDATE SET last_read_at = now()`,
    values: [phone, line],
  });
}

/** Triage: open, needs_attention or done; "unread" forgets the read mark. */
export async function setThreadState(db: Queryable, phone: string, line: string, state: ThreadState | 'unread'): Promise<void> {
  await db.query({
    name: 'inbox.set_state',
    text: `INSERT INTO inbox_threads (phone, line, state, updated_at) VALUES ($1, $2, CASE WHEN $3 = 'unread' THEN 'open' ELSE $3 END, now())
           ON CONFLICT (phone, line) DO UPDATE
             SET state = CASE WHEN $3 = 'unread' THEN inbox_threads.state ELSE $3 END,
                 last_read_at = CASE WHEN $3 = 'unread' THEN NULL ELSE inbox_threads.last_read_at END,
                 updated_at = now()`,
    values: [phone, line, state],
  });
}

/** The latest reply of a thread: what the operator's answer replies to. */
export async function latestReply(db: Queryable, phone: string, line: string): Promise<{ id: number } | null> {
  const { rows } = await db.query<{ id: number }>({
    name: 'inbox.latest_reply',
    text: `SELECT id::int FROM inbound_messages WHERE from_phone = $1 AND to_line = $2 ORDER BY sent_at DESC, id DESC LIMIT 1`,
    values: [phone, line],
  });
  return rows[0] ?? null;
}

/**
 * The contact a message to this phone is for, locked FOR SHARE until the
 * caller's transaction ends: an opt-out under way (FOR UPDATE) is waited for,
 * and none can start before the caller's message is queued. Null when no
 * contact has this phone.
 */
export async function lockContactForMessage(db: Queryable, phone: string): Promise<{ id: number; opted_out: boolean } | null> {
  const { rows } = await db.query<{ id: number; opted_out: boolean }>({
    name: 'inbox.lock_contact_for_message',
    text: `SELECT id::int AS id, opted_out FROM contacts WHERE phone = $1 FOR SHARE`,
    values: [phone],
  });
  return rows[0] ?? null;
}

/** Whether a person may be written to now (no acknowledged opt-out); an unknown number may. */
export async function personConsents(db: Queryable, phone: string): Promise<boolean> {
  const { rows } = await db.query<{ opted_out: boolean }>({
    name: 'inbox.person_consents',
    text: `SELECT opted_out FROM contacts WHERE phone = $1 FOR SHARE`,
    values: [phone],
  });
  return !(rows[0]?.opted_out ?? false);
}
