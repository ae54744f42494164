import { transitionDelivery, type DeliveryTable, type DeliveryTransition } from './delivery-state.ts';
import type { DuePoll, PollRecord } from './delivery-polls.ts';
import type { Queryable } from './queryable.ts';

/*
 * Seed sends' delivery: the statements of delivery-polls.ts and
 * delivery-state.ts over seed_sends instead of outbound_messages, driven by
 * the same reconciler and webhook handler with the same allowed states, so a
 * seed send is followed as a campaign message is while no report rollup,
 * claim or campaign count ever sees it.
 */

/** New seed sends get their first poll at sent_at + delay (as scheduleNewPolls; texts are pushed by webhooks). */
export async function scheduleNewSeedPolls(db: Queryable, firstDelaySeconds: number): Promise<number> {
  const res = await db.query({
    name: 'seeds.schedule_new',
    text: `UPDATE seed_sends SET next_poll_at = sent_at + make_interval(secs => $1::float8)
            WHERE status IN ('sent', 'delivered') AND next_poll_at IS NULL AND poll_attempts = 0
              AND provider_message_id IS NOT NULL AND (channel IS NULL OR channel = 'imessage')`,
    values: [firstDelaySeconds],
  });
  return res.rowCount ?? 0;
}

/** Claim due seed polls by pushing next_poll_at out by a lease (as claimDuePolls). */
export async function claimDueSeedPolls(db: Queryable, opts: { limit: number; leaseSeconds: number }): Promise<DuePoll[]> {
  const res = await db.query<DuePoll>({
    name: 'seeds.claim_due',
    // id::int: seed sends are a handful per test send; DuePoll ids are numbers.
    text: `UPDATE seed_sends s SET next_poll_at = now() + make_interval(secs => $2::float8)
             FROM (SELECT id FROM seed_sends WHERE status IN ('sent', 'delivered') AND next_poll_at <= now()
                    ORDER BY next_poll_at LIMIT $1 FOR UPDATE SKIP LOCKED) due
            WHERE s.id = due.id
           RETURNING s.id::int AS id, s.provider_message_id, s.to_phone, s.from_line, s.body, s.channel::text AS channel,
                     s.poll_attempts, s.sent_at, s.status::text AS status`,
    values: [opts.limit, opts.leaseSeconds],
  });
  return res.rows;
}

/** What a poll learned besides the status (as recordPoll; seed sends keep no spam flags). */
export async function recordSeedPoll(db: Queryable, p: PollRecord): Promise<void> {
  await db.query({
    name: 'seeds.record_poll',
    text: `UPDATE seed_sends
              SET poll_attempts = poll_attempts + 1,
                  next_poll_at = CASE WHEN status IN ('sent', 'delivered') THEN $2::timestamptz ELSE NULL END,
                  channel = COALESCE($3::channel, channel),
                  from_line = COALESCE(from_line, $4)
            WHERE id = $1`,
    values: [p.id, p.nextPollAt, p.channel, p.fromLine],
  });
}

const SEED_DELIVERY: DeliveryTable = { name: 'seeds', table: 'seed_sends', errorColumn: 'delivery_error', extraSets: '' };

/** Move a seed send forward: transitionDelivery's statement over seed_sends. */
export function transitionSeedDelivery(db: Queryable, t: DeliveryTransition): Promise<boolean> {
  return transitionDelivery(db, t, SEED_DELIVERY);
}

/** Whether a provider id is a seed send's (a report that moved nothing is then old news, not a message to wait for). */
export async function isSeedSend(db: Queryable, providerMessageId: string): Promise<boolean> {
  const res = await db.query({ name: 'seeds.by_provider_id', text: `SELECT 1 FROM seed_sends WHERE provider_message_id = $1 LIMIT 1`, values: [providerMessageId] });
  return (res.rowCount ?? 0) > 0;
}

export interface SeedSendRow {
  to_phone: string;
  recipient_phone: string | null;
  provider_message_id: string | null;
  status: string;
  channel: string | null;
  sent_at: Date;
  delivered_at: Date | null;
  read_at: Date | null;
  failed_at: Date | null;
  error: string | null;
}

/** The campaign's latest seed sends with their delivery, newest first (the (campaign_id, sent_at) index). */
export async function recentSeedSends(db: Queryable, p: { campaignId: number; limit: number }): Promise<SeedSendRow[]> {
  const { rows } = await db.query<SeedSendRow>({
    name: 'seeds.recent',
    text: `SELECT s.to_phone, r.phone AS recipient_phone, s.provider_message_id, s.status::text AS status, s.channel::text AS channel,
                  s.sent_at, s.delivered_at, s.read_at, s.failed_at, COALESCE(s.delivery_error, s.error) AS error
             FROM seed_sends s LEFT JOIN campaign_recipients r ON r.id = s.recipient_id
            WHERE s.campaign_id = $1 ORDER BY s.sent_at DESC, s.id DESC LIMIT $2`,
    values: [p.campaignId, p.limit],
  });
  return rows;
}
