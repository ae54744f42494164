/**
 * What the headline numbers of a campaign mean, computed in one place for the
 * report (CLI, JSON, page) and the campaigns list, so that they cannot drift.
 *
 * A message has reached an outcome when nothing more will happen to it on its
 * own: delivered (or read), failed (refused at send time or reported failed),
 * unconfirmed (the carrier never confirmed; it may have been delivered) or
 * skipped (the person had opted out, or a frequency cap ruled it out) or
 * expired (not sent by its campaign's send-by deadline). Queued, sending and sent-awaiting-news
 * messages have not; nor has a cancelled one (nobody decided its fate: the
 * operator stopped the campaign), so a campaign cancelled before sending shows
 * 0% progress, not 100%.
 *
 * The delivery rate divides by the messages that reached a delivery outcome
 * (delivered + failed + unconfirmed): every message that ended failed counts
 * against it, whether the provider refused it or it never reached the
 * provider at all. Skipped and expired messages were never attempted
 * (consent, caps, deadline), so they count in neither part.
 */
export interface StatusCounts {
  queued: number;
  sending: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  unconfirmed: number;
  cancelled: number;
  skipped: number;
  expired: number;
}

export interface Outcomes {
  messages: number;
  /** Delivered or read. */
  delivered: number;
  failed: number;
  unconfirmed: number;
  skipped: number;
  /** Not sent by the campaign's send-by deadline. */
  expired: number;
  cancelled: number;
  /** Queued or being sent. */
  waiting: number;
  /** Handed to the provider, no delivery news yet. */
  awaitingDelivery: number;
  /** delivered + failed + unconfirmed: the denominator of the delivery figures. */
  deliveryOutcomes: number;
  /** deliveryOutcomes + skipped + expired. */
  reachedOutcome: number;
}

export const OUTCOME_DEFINITIONS = {
  reachedOutcome: 'delivered (or read), failed, unconfirmed, skipped (opted out or capped) or expired (send-by deadline); not queued, sending, awaiting delivery news or cancelled',
  progress: 'messages that reached an outcome / messages',
  delivery: 'delivered (or read) / (delivered + failed + unconfirmed): every message that ended failed counts against delivery',
  failure: 'failed / (delivered + failed + unconfirmed)',
  unconfirmed: 'unconfirmed (the carrier never confirmed; the provider says it may have been delivered) / (delivered + failed + unconfirmed)',
} as const;

export function outcomes(s: StatusCounts): Outcomes {
  const delivered = s.delivered + s.read;
  const deliveryOutcomes = delivered + s.failed + s.unconfirmed;
  return {
    messages: s.queued + s.sending + s.sent + s.delivered + s.read + s.failed + s.unconfirmed + s.cancelled + s.skipped + s.expired,
    delivered,
    failed: s.failed,
    unconfirmed: s.unconfirmed,
    skipped: s.skipped,
    expired: s.expired,
    cancelled: s.cancelled,
    waiting: s.queued + s.sending,
    awaitingDelivery: s.sent,
    deliveryOutcomes,
    reachedOutcome: deliveryOutcomes + s.skipped + s.expired,
  };
}

const ratio = (num: number, den: number) => (den > 0 ? num / den : null);

export function outcomeRates(o: Outcomes): { progress: number | null; delivery: number | null; failure: number | null; unconfirmed: number | null } {
  return {
    progress: ratio(o.reachedOutcome, o.messages),
    delivery: ratio(o.delivered, o.deliveryOutcomes),
    failure: ratio(o.failed, o.deliveryOutcomes),
    unconfirmed: ratio(o.unconfirmed, o.deliveryOutcomes),
  };
}
