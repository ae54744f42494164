import { SENDING_CAMPAIGN_STATUSES } from '../../lifecycle/campaign.ts';
import { messageMachine } from '../../lifecycle/message.ts';
import type { Queryable } from './queryable.ts';
import { recipientStateSql, recipientZipSql } from './recipient-place.ts';

/** The claim: queued → sending, or skipped for a contact who opted out (one status: see fromOne). */
const CLAIMABLE = messageMachine.fromOne(['sending', 'skipped'], 'queued');

/** A claimed message with what the sender needs of its campaign, contact and recipient. */
export interface ClaimedMessage {
  id: number;
  status: 'sending' | 'skipped';
  /** 'campaign', or a conversation message (auto-reply, opt-out confirmation) queued by enqueueConversationMessage. */
  kind: string;
  /** 0 for a conversation message that belongs to no campaign (its limiter and events are keyed by it). */
  campaign_id: number;
  run_id: number | null;
  contact_id: number;
  to_phone: string;
  body: string;
  attempts: number;
  requested_line: string | null;
  claimed_at: Date;
  sticky_line: string | null;
  recipient_timezone: string | null;
  /** From the recipient's CSV row (db/sql/recipient-place.ts), for the legal rules. */
  recipient_state: string | null;
  recipient_zip: string | null;
  // campaign settings
  campaign_name: string;
  timezone: string;
  window_start_minute: number | null;
  window_end_minute: number | null;
  attachments: string[];
  sender_lines: string[];
  fallback_when: string[];
  fallback_from: string | null;
  fast_track: boolean;
  concurrency: number;
  rate_per_line: number;
  burst_per_line: number;
  new_contacts_per_hour: number;
  new_contacts_per_day: number;
  jitter_ms: number;
  max_attempts: number;
  transactional: boolean;
  send_by: Date | null;
  recent_contact_hours: number | null;
  on_cap: 'wait' | 'skip';
}

// What a claim sets and returns, shared by the two claim statements below.
// `picked` is the CTE of locked rows with their contact's opt-out and sticky
// line and the recipient's time zone: joined there, row by row in index order
// under the LIMIT, rather than hashed over whole tables afterwards.
//  - the contact's opt-out is read here: an opted-out recipient's message
//    becomes `skipped` in the same statement and is never handed to the
//    sender. An opt-out arriving after the claim is caught by the sender's
//    hand-off (db/sql/hand-off.ts), which each attempt makes anew: the claim
//    clears handed_off_at;
//  - the lease (owner + deadline) and the attempt count are set together, so a
//    crashed worker's rows are recognisable by their expired lease;
//  - a contact's sticky line becomes the requested line here (a line recorded
//    by an earlier attempt stays), so that only new contacts need the line
//    assignment transaction before the send;
//  - an opted-out row drops the reasons of an earlier legal hold (it is
//    skipped for consent, and the reports count skipped rows with reasons as
//    the rules');
//  - legal_cleared_at is cleared: the legal gate sets it anew once this
//    attempt passes the caps (dispatch/legal-hold.ts), and until then the row
//    must not count against its person's other messages;
//  - updated_at is the claim time, which the crash reconciler compares with the
//    provider's history.
// The campaign settings ride along in RETURNING so the sender needs no second query.
// Conversation messages (kind <> 'campaign': auto-replies, opt-out
// confirmations) are claimed and sent like any other row, with their
// campaign's pacing, attempt budget and concurrency when they have one
// (LEFT JOIN, defaults otherwise) but none of its window, attachments,
// fallback or jitter: they answer a person now, on the line they wrote to.
const CLAIM_UPDATE = `
     UPDATE outbound_messages m
        SET status = CASE WHEN p.opted_out THEN 'skipped'::message_status ELSE 'sending'::message_status END,
            lease_owner = CASE WHEN p.opted_out THEN NULL ELSE $1 END,
            lease_expires_at = CASE WHEN p.opted_out THEN NULL ELSE $4::timestamptz + make_interval(secs => $3::float8 / 1000) END,
            attempts = m.attempts + CASE WHEN p.opted_out THEN 0 ELSE 1 END,
            last_error = CASE WHEN p.opted_out THEN 'recipient opted out' ELSE m.last_error END,
            requested_line = CASE WHEN p.opted_out THEN m.requested_line ELSE COALESCE(m.requested_line, p.sticky_line) END,
            handed_off_at = NULL, defer_reason = NULL, legal_cleared_at = NULL,
            hold_reasons = CASE WHEN p.opted_out THEN NULL ELSE m.hold_reasons END,
            updated_at = $4
       FROM picked p LEFT JOIN campaigns c ON c.id = p.campaign_id
      WHERE m.id = p.id
     RETURNING m.id, m.status::text AS status, m.kind::text AS kind, COALESCE(m.campaign_id, 0) AS campaign_id, m.run_id,
               m.contact_id, m.to_phone, m.body, m.attempts,
               m.requested_line, m.updated_at AS claimed_at, p.sticky_line, p.recipient_timezone, p.recipient_state, p.recipient_zip,
               COALESCE(c.name, 'conversation') AS campaign_name, COALESCE(c.timezone, 'UTC') AS timezone,
               CASE WHEN m.kind = 'campaign' THEN c.window_start_minute END AS window_start_minute,
               CASE WHEN m.kind = 'campaign' THEN c.window_end_minute END AS window_end_minute,
               CASE WHEN m.kind = 'campaign' THEN c.attachments ELSE '{}' END AS attachments,
               COALESCE(c.sender_lines, '{}') AS sender_lines,
               CASE WHEN m.kind = 'campaign' THEN c.fallback_when ELSE '{}' END AS fallback_when,
               CASE WHEN m.kind = 'campaign' THEN c.fallback_from END AS fallback_from,
               COALESCE(c.fast_track, false) AS fast_track, COALESCE(c.concurrency, 1) AS concurrency,
               COALESCE(c.rate_per_line, 1) AS rate_per_line, COALESCE(c.burst_per_line, 5) AS burst_per_line,
               COALESCE(c.new_contacts_per_hour, 2147483647) AS new_contacts_per_hour,
               COALESCE(c.new_contacts_per_day, 2147483647) AS new_contacts_per_day,
               CASE WHEN m.kind = 'campaign' THEN c.jitter_ms ELSE 0 END AS jitter_ms, COALESCE(c.max_attempts, 5) AS max_attempts,
               COALESCE(c.transactional, false) AS transactional, c.send_by, c.recent_contact_hours, COALESCE(c.on_cap, 'wait') AS on_cap`;

// Which rows of `picked` are skipped for an opted-out contact: every kind but
// the opt-out's own confirmation, the one message a person gets after STOP.
const OPTED_OUT = `ct.opted_out AND m.kind <> 'opt_out_confirmation'`;
// The campaign's status gates campaign messages only: a paused or finished
// campaign still answers its replies and confirms its opt-outs.
const CAMPAIGN_SENDING = (campaign: string) =>
  `(m.kind <> 'campaign' OR EXISTS (SELECT 1 FROM campaigns k WHERE k.id = ${campaign} AND k.status = ANY($7::campaign_status[])))`;

// The picked columns both claims share. not_before (the legal rules' first
// allowed instant, dispatch/legal-hold.ts) is also written to next_attempt_at when
// a message is held, so the index condition on next_attempt_at already keeps
// held rows out; the filter on it states the rule and costs nothing per row.
const PICKED_COLUMNS = `m.id, m.campaign_id, ${OPTED_OUT} AS opted_out, ct.sticky_line, r.timezone AS recipient_timezone,
              ${recipientStateSql('r')} AS recipient_state, ${recipientZipSql('r')} AS recipient_zip`;

/**
 * Claim up to `limit` due messages of any active campaign (but those in
 * `excludeCampaigns`) for worker `$1`, in one statement:
 * - FOR UPDATE SKIP LOCKED: concurrent workers pass over each other's rows
 *   instead of waiting, and no row is ever claimed twice;
 * - the campaign's status is read here, so pause/cancel stop claiming at once;
 * - the pick is ordered by next_attempt_at alone, the order of the
 *   (status, next_attempt_at) index, so it stops after `limit` rows instead of
 *   joining and sorting every queued row (a tie-breaker not in the index
 *   would force that sort on every claim); see CLAIM_UPDATE for what is set.
 * `excludeCampaigns` keeps this discovery claim off campaigns the worker
 * already feeds through claimCampaignMessages, so no worker sits on leases it
 * cannot use.
 */
export async function claimMessages(db: Queryable, p: { workerId: string; limit: number; leaseMs: number; now: Date; excludeCampaigns?: number[] }): Promise<ClaimedMessage[]> {
  // Unnamed on purpose: a prepared (generic) plan cannot see the LIMIT and
  // joins the picked rows back by scanning the whole table; planned per call,
  // it looks them up by id.
  const { rows } = await db.query<ClaimedMessage>({
    text: `WITH picked AS (
       SELECT ${PICKED_COLUMNS}
         FROM outbound_messages m
         JOIN contacts ct ON ct.id = m.contact_id
         LEFT JOIN campaign_recipients r ON r.id = m.recipient_id
        WHERE m.status = $6::message_status AND m.next_attempt_at <= $4 AND (m.not_before IS NULL OR m.not_before <= $4)
          AND (m.kind <> 'campaign' OR m.campaign_id <> ALL($5::int[]))
          AND ${CAMPAIGN_SENDING('m.campaign_id')}
        ORDER BY m.next_attempt_at
        LIMIT $2
        FOR UPDATE OF m SKIP LOCKED)${CLAIM_UPDATE}`,
    values: [p.workerId, p.limit, p.leaseMs, p.now, p.excludeCampaigns ?? [], CLAIMABLE, SENDING_CAMPAIGN_STATUSES],
  });
  return rows;
}

/**
 * The same claim for one campaign, as many rows as its concurrency has room
 * for, while the campaign has more due than that. A statement of its own (not
 * an optional filter of the one above) so that its plan is made for a campaign
 * filter. No ORDER BY: every due row of the campaign is taken before it stops
 * being fed this way, so their order among themselves does not matter, and
 * without one the (campaign_id, status) index answers in O(limit) — with one,
 * every claim would read and sort all of the campaign's queued rows (there is
 * no index with next_attempt_at after campaign_id). Unnamed, as above.
 */
export async function claimCampaignMessages(db: Queryable, p: { workerId: string; limit: number; leaseMs: number; now: Date; campaignId: number }): Promise<ClaimedMessage[]> {
  const { rows } = await db.query<ClaimedMessage>({
    text: `WITH picked AS (
       SELECT ${PICKED_COLUMNS}
         FROM outbound_messages m
         JOIN contacts ct ON ct.id = m.contact_id
         LEFT JOIN campaign_recipients r ON r.id = m.recipient_id
        WHERE m.status = $6::message_status AND m.next_attempt_at <= $4 AND (m.not_before IS NULL OR m.not_before <= $4) AND m.campaign_id = $5
          AND ${CAMPAIGN_SENDING('$5')}
        LIMIT $2
        FOR UPDATE OF m SKIP LOCKED)${CLAIM_UPDATE}`,
    values: [p.workerId, p.limit, p.leaseMs, p.now, p.campaignId, CLAIMABLE, SENDING_CAMPAIGN_STATUSES],
  });
  return rows;
}

/**
 * Statuses of the given campaigns, so a worker can drop claimed-but-unsent work
 * of a campaign paused or cancelled since the claim. Primary-key lookups only.
 */
export async function campaignStatuses(db: Queryable, campaignIds: number[]): Promise<Map<number, string>> {
  const { rows } = await db.query<{ id: number; status: string }>(
    `SELECT id, status::text AS status FROM campaigns WHERE id = ANY($1::int[])`,
    [campaignIds],
  );
  return new Map(rows.map((r) => [r.id, r.status]));
}
