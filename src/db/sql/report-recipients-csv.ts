import { csvSafeSql } from '../../lib/csv.ts';

/** The fixed columns of the export; a recipient's own CSV column of the same name gets a "csv_" prefix. */
export const RECIPIENT_CSV_FIXED_COLUMNS = [
  'phone', 'timezone', 'run_id', 'status', 'message', 'channel', 'line', 'queued_at', 'sent_at', 'delivered_at', 'read_at',
  'failed_at', 'cancelled_at', 'failure_reason', 'attempts', 'sms_fallback', 'spam_flagged', 'replied',
  'opted_out_by_reply', 'opted_out', 'opted_out_at', 'consent_note', 'not_before', 'hold_reason',
] as const;

/**
 * The variable keys (the recipient CSV's own columns, phone and timezone
 * aside, as the import stored them in campaign_recipients.variables) of a
 * campaign, in name order: one column each in the export. One pass over the
 * campaign's recipients, before the COPY, because COPY's column list is fixed.
 */
export const recipientVariableKeysSql = `
  SELECT DISTINCT k FROM campaign_recipients r, jsonb_object_keys(r.variables) AS k
   WHERE r.campaign_id = $1 AND jsonb_typeof(r.variables) = 'object'
   ORDER BY k`;

/** A text literal for SQL that cannot take bind parameters (COPY). */
function literal(s: string): string {
  return `'${s.replace(/\0/g, '').replace(/'/g, "''")}'`;
}
function identifier(s: string): string {
  return `"${s.replace(/\0/g, '').replace(/"/g, '""')}"`;
}

/**
 * The COPY statement of the per-recipient CSV export: one row per recipient
 * and campaign message (one per run), recipients without a message included,
 * with the recipient's own CSV columns, the text that was sent, each status
 * time, channel, line, failure reason, whether that message got a reply and
 * whether the contact is opted out; consent_note says when a message went out
 * anyway because it was already on the wire when the person's opt-out arrived
 * (the only send an opt-out cannot stop); hold_reason says why a message
 * waits (queued until not_before), was skipped (a frequency cap) or expired
 * (send-by deadline): "waiting: US-FL.hours (US-FL) until …; …". Booleans read true/false (COPY's own
 * t/f means nothing to a spreadsheet user); empty when there is no message.
 *
 * COPY … TO STDOUT streams the rows from the server as it produces them, so
 * the export of a million recipients never sits in our memory. COPY takes no
 * bind parameters, hence the ids are inlined, and only after checking they are
 * integers, and the variable keys are quoted as literals and identifiers.
 * Values a spreadsheet would run as a formula get a leading single quote in
 * SQL, before they leave the database (src/lib/csv.ts: the rule of every CSV
 * bluecast writes; numbers and E.164 phones stay as they are).
 */
export function reportRecipientsCsvSql(campaignId: number, runId: number | null, variableKeys: readonly string[] = []): string {
  if (!Number.isSafeInteger(campaignId)) throw new TypeError(`campaign id must be an integer, got ${campaignId}`);
  if (runId !== null && !Number.isSafeInteger(runId)) throw new TypeError(`run id must be an integer, got ${runId}`);
  const safe = csvSafeSql;
  const iso = (expr: string) => `to_char(${expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  const bool = (expr: string) => `CASE WHEN ${expr} THEN 'true' WHEN NOT ${expr} THEN 'false' END`;
  const fixed = new Set<string>(RECIPIENT_CSV_FIXED_COLUMNS);
  const variables = variableKeys.map((k) => `,
           ${safe(`(r.variables ->> ${literal(k)})`)} AS ${identifier(fixed.has(k) ? `csv_${k}` : k)}`).join('');
  const runFilter = runId === null ? '' : ` AND m.run_id = ${runId}`;
  return `COPY (
    SELECT ${safe('r.phone')} AS phone,
           ${safe('r.timezone')} AS timezone${variables},
           m.run_id,
           m.status,
           ${safe('m.body')} AS message,
           m.channel,
           ${safe('coalesce(m.from_line, m.requested_line)')} AS line,
           ${iso('m.queued_at')} AS queued_at,
           ${iso('m.sent_at')} AS sent_at,
           ${iso('m.delivered_at')} AS delivered_at,
           ${iso('m.read_at')} AS read_at,
           ${iso('m.failed_at')} AS failed_at,
           ${iso('m.cancelled_at')} AS cancelled_at,
           CASE WHEN m.status IN ('failed', 'unconfirmed') THEN ${safe("coalesce(nullif(m.last_error, ''), 'unknown')")} END AS failure_reason,
           m.attempts,
           ${bool("(m.fallback_used OR m.channel IN ('sms', 'mms'))")} AS sms_fallback,
           ${bool('(m.auto_reported_spam OR m.marked_spam)')} AS spam_flagged,
           ${bool('coalesce(rr.replies > 0, false)')} AS replied,
           ${bool('coalesce(rr.opt_outs > 0, false)')} AS opted_out_by_reply,
           ${bool('coalesce(c.opted_out, false)')} AS opted_out,
           ${iso('c.opted_out_at')} AS opted_out_at,
           CASE WHEN m.on_wire_at_opt_out THEN 'on the wire when the opt-out arrived'
                WHEN m.status = 'skipped' AND m.hold_reasons IS NULL THEN 'not sent: opted out' END AS consent_note,
           CASE WHEN m.status = 'queued' THEN ${iso('m.not_before')} END AS not_before,
           CASE WHEN m.hold_reasons IS NOT NULL AND m.status IN ('queued', 'skipped', 'expired') THEN
             (CASE m.status WHEN 'queued' THEN 'waiting: ' WHEN 'skipped' THEN 'skipped: ' ELSE 'expired: ' END) ||
             (SELECT string_agg((x->>'rule') || ' (' || (x->>'jurisdiction') || ')' ||
                                CASE WHEN m.status = 'queued' AND x->>'until' IS NOT NULL THEN ' until ' || (x->>'until') ELSE '' END, '; ')
                FROM jsonb_array_elements(m.hold_reasons) AS x) END AS hold_reason
      FROM campaign_recipients r
      LEFT JOIN contacts c ON c.phone = r.phone
      LEFT JOIN outbound_messages m ON m.recipient_id = r.id AND m.kind = 'campaign' AND m.campaign_id = ${campaignId}${runFilter}
      LEFT JOIN report_replies rr ON rr.campaign_id = ${campaignId} AND rr.recipient_id = r.id AND rr.run_id IS NOT DISTINCT FROM m.run_id
     WHERE r.campaign_id = ${campaignId}${runId === null ? '' : ` AND m.id IS NOT NULL`}
     ORDER BY r.id, m.run_id
  ) TO STDOUT WITH (FORMAT csv, HEADER true)`;
}
