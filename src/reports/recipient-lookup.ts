import { campaignRegion, recipientTimeline } from '../db/sql/report-recipient-timeline.ts';
import type { Queryable } from '../db/sql/queryable.ts';
import { ValidationError } from '../lib/errors.ts';
import { normalizePhone } from '../lib/phone.ts';

export interface RecipientEvent {
  at: string;
  event: string;
  campaignId: number | null;
  campaign: string | null;
  messageId: string | null;
  kind: string | null;
  line: string | null;
  channel: string | null;
  text: string | null;
  detail: string | null;
}

export interface RecipientLookup {
  campaignId: number;
  /** The number as typed, and as stored (E.164). */
  query: string;
  phone: string;
  /** Loaded into this campaign (a row of its recipients). */
  recipient: boolean;
  /** Opted out now (the last consent event is an opt-out). */
  optedOut: boolean;
  /** Newest first, at most `limit`. */
  events: RecipientEvent[];
  truncated: boolean;
}

const LIMIT = 200;

/**
 * One person's timeline in a campaign: queued, sent, delivered, read,
 * failed…, their replies and their consent events. The number is read as
 * people type it ("(415) 555-0100"), in the campaign's region.
 */
export async function lookupRecipient(db: Queryable, campaignId: number, typed: string): Promise<RecipientLookup> {
  const n = normalizePhone(typed, await campaignRegion(db, campaignId));
  if (!n.ok) throw new ValidationError([{ path: 'phone', message: n.reason }], 'query');
  const rows = await recipientTimeline(db, { phone: n.e164, campaignId, limit: LIMIT + 1 });
  const events = rows.slice(0, LIMIT).map((r) => ({
    at: r.at.toISOString(),
    event: r.event,
    campaignId: r.campaign_id,
    campaign: r.campaign_name,
    messageId: r.message_id,
    kind: r.kind,
    line: r.line,
    channel: r.channel,
    text: r.text,
    detail: r.detail,
  }));
  const consent = events.find((e) => e.event === 'opt_out' || e.event === 'opt_in');
  return {
    campaignId,
    query: typed,
    phone: n.e164,
    recipient: events.some((e) => e.event === 'imported'),
    optedOut: consent?.event === 'opt_out',
    events,
    truncated: rows.length > LIMIT,
  };
}
