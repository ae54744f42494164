import type { Queryable } from './queryable.ts';

export interface ReportWebhookEventsRow {
  /** Signed events stored although off their documented shape, that concern the campaign. */
  off_shape: number;
  /** Events set aside after their last processing try, that concern the campaign. */
  dead_lettered: number;
  /** The same over every stored event, whatever it concerns (some name no campaign we can tell). */
  all_off_shape: number;
  all_dead_lettered: number;
}

/**
 * The webhook events of a campaign that need a look: off their documented
 * shape, or dead-lettered. An event concerns the campaign when the reply it
 * carried was filed under it, or when the message id it names is one of the
 * campaign's sends (delivery reports, substitutions). Why this shape: few
 * events are odd, so the scan starts from the partial index on shape_issues
 * (and the dead-lettered ones) and probes the two links per row; the totals
 * over every event come from the same rows, since an odd event may name no
 * message we know.
 */
export async function reportWebhookEvents(db: Queryable, campaignId: number): Promise<ReportWebhookEventsRow> {
  const res = await db.query<ReportWebhookEventsRow>({
    name: 'reports.webhook_events',
    text: `WITH odd AS (
             SELECT e.id, e.shape_issues IS NOT NULL AS off_shape, e.dead_lettered_at IS NOT NULL AS dead,
                    EXISTS (SELECT 1 FROM inbound_messages i WHERE i.webhook_event_id = e.id AND i.campaign_id = $1)
                    OR EXISTS (SELECT 1 FROM outbound_messages m
                                WHERE m.provider_message_id = e.payload->'data'->>'message_id' AND m.campaign_id = $1) AS ours
               FROM webhook_events e
              WHERE e.shape_issues IS NOT NULL OR e.dead_lettered_at IS NOT NULL
           )
           SELECT count(*) FILTER (WHERE off_shape AND ours)::int AS off_shape,
                  count(*) FILTER (WHERE dead AND ours)::int AS dead_lettered,
                  count(*) FILTER (WHERE off_shape)::int AS all_off_shape,
                  count(*) FILTER (WHERE dead)::int AS all_dead_lettered
             FROM odd`,
    values: [campaignId],
  });
  return res.rows[0]!;
}
