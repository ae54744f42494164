-- Report rollups.
--
-- A campaign report must answer in well under 100 ms for a million messages,
-- and a plain aggregate over a million rows already costs about that much. So
-- the numbers a report needs are kept as counters, maintained by
-- statement-level triggers (transition tables): a bulk enqueue or cancel of a
-- million rows costs one aggregate, a single-row update one small upsert.
--
-- Every counter row carries `shard` = the PostgreSQL backend pid of the writer.
-- Concurrent transactions therefore never update the same counter row: the
-- triggers add no lock waits and no deadlocks to the dispatcher or the webhook
-- processor, whatever order their statements touch messages in. A report sums
-- over shards; the compactor (src/reports/compact.ts) folds the rows of
-- backends that have gone away into shard 0, which only it writes.
--
-- The key columns are nullable (no run, no channel yet, no line yet) and the
-- unique keys are NULLS NOT DISTINCT so that ON CONFLICT finds those rows.

-- Messages of kind 'campaign' by campaign, run, status, channel, line (the line
-- really used, else the one asked for) and, for failed ones, the reason.
CREATE TABLE "report_counts" (
    "id" BIGSERIAL NOT NULL,
    "campaign_id" INTEGER NOT NULL,
    "run_id" INTEGER,
    "status" "message_status" NOT NULL,
    "channel" "channel",
    "line" TEXT,
    "failure_reason" TEXT,
    "shard" INTEGER NOT NULL,
    "messages" BIGINT NOT NULL DEFAULT 0,
    -- of those: with sent_at (reached the provider), delivered, read,
    -- SMS fallback, spam flags
    "sent" BIGINT NOT NULL DEFAULT 0,
    "delivered" BIGINT NOT NULL DEFAULT 0,
    "read" BIGINT NOT NULL DEFAULT 0,
    "fallback" BIGINT NOT NULL DEFAULT 0,
    "auto_reported_spam" BIGINT NOT NULL DEFAULT 0,
    "marked_spam" BIGINT NOT NULL DEFAULT 0,
    "spam" BIGINT NOT NULL DEFAULT 0,
    -- earliest and latest send ever recorded (monotone: a later change of
    -- sent_at does not take an earlier send back)
    "first_sent_at" TIMESTAMPTZ(3),
    "last_sent_at" TIMESTAMPTZ(3),

    CONSTRAINT "report_counts_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "report_counts_key" ON "report_counts"
    ("campaign_id", "run_id", "status", "channel", "line", "failure_reason", "shard") NULLS NOT DISTINCT;

-- Time series per campaign and run: metric 'sent' | 'delivered' | 'read' |
-- 'failed' | 'replies' bucketed by minute (bucket = minutes since the epoch),
-- and 'latency' (time to delivery) bucketed on a log scale:
-- bucket = floor(ln(1 + ms) / ln(1.02)), so each bucket is 2% wide.
-- Plain totals live in bucket 0: 'repliers' and 'opted_out' (recipients per
-- run with at least one reply / opt-out, kept from report_replies by the
-- inbound trigger) and 'unlinked_opt_outs' (opt-outs tied to no recipient).
CREATE TABLE "report_series" (
    "id" BIGSERIAL NOT NULL,
    "campaign_id" INTEGER NOT NULL,
    "run_id" INTEGER,
    "metric" TEXT NOT NULL,
    "bucket" INTEGER NOT NULL,
    "shard" INTEGER NOT NULL,
    "n" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "report_series_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "report_series_metric_check" CHECK ("metric" IN ('sent', 'delivered', 'read', 'failed', 'replies', 'latency', 'repliers', 'opted_out', 'unlinked_opt_outs'))
);
CREATE UNIQUE INDEX "report_series_key" ON "report_series"
    ("campaign_id", "run_id", "metric", "bucket", "shard") NULLS NOT DISTINCT;

-- Replies per campaign, run (of the outbound message the reply is linked to)
-- and recipient: the per-recipient reply history of the CSV export, and what
-- the inbound trigger compares against to keep the distinct-replier counters
-- in report_series. Keyed by recipient, so there is no hot row to shard.
CREATE TABLE "report_replies" (
    "id" BIGSERIAL NOT NULL,
    "campaign_id" INTEGER NOT NULL,
    "run_id" INTEGER,
    "recipient_id" BIGINT,
    "replies" INTEGER NOT NULL DEFAULT 0,
    "opt_outs" INTEGER NOT NULL DEFAULT 0,
    "first_reply_at" TIMESTAMPTZ(3),
    "last_reply_at" TIMESTAMPTZ(3),

    CONSTRAINT "report_replies_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "report_replies_key" ON "report_replies"
    ("campaign_id", "run_id", "recipient_id") NULLS NOT DISTINCT;

-- Deleting a campaign deletes its rollups. run_id has no foreign key: a
-- deleted run's messages are subtracted by the trigger, leaving zeroed rows.
ALTER TABLE "report_counts" ADD CONSTRAINT "report_counts_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "report_series" ADD CONSTRAINT "report_series_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "report_replies" ADD CONSTRAINT "report_replies_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The triggers. Each statement's changed rows become signed rows `d`: +1 for
-- every new version, -1 for every old one. Rows whose counted columns did not
-- change cancel out in the GROUP BY and HAVING drops them, so an update that
-- touches no counted column (a lease renewal, poll bookkeeping) writes nothing.
-- The join on campaigns drops the rows of a campaign deleted in this very
-- statement (its rollups go with it by cascade). A trigger with transition
-- tables fires for one event only, hence one function per event with the same
-- body around a different `d`.
CREATE FUNCTION "report_outbound_insert"() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  WITH d AS (SELECT 1 AS sign, n.* FROM new_rows n)
  INSERT INTO report_counts AS c
    (campaign_id, run_id, status, channel, line, failure_reason, shard,
     messages, sent, delivered, read, fallback, auto_reported_spam, marked_spam, spam,
     first_sent_at, last_sent_at)
  SELECT d.campaign_id, d.run_id, d.status, d.channel, coalesce(d.from_line, d.requested_line),
         CASE WHEN d.status = 'failed' THEN left(coalesce(nullif(d.last_error, ''), 'unknown'), 200) END,
         pg_backend_pid(),
         sum(d.sign),
         coalesce(sum(d.sign) FILTER (WHERE d.sent_at IS NOT NULL), 0),
         coalesce(sum(d.sign) FILTER (WHERE d.delivered_at IS NOT NULL OR d.status IN ('delivered', 'read')), 0),
         coalesce(sum(d.sign) FILTER (WHERE d.read_at IS NOT NULL OR d.status = 'read'), 0),
         coalesce(sum(d.sign) FILTER (WHERE d.fallback_used OR d.channel IN ('sms', 'mms')), 0),
         coalesce(sum(d.sign) FILTER (WHERE d.auto_reported_spam), 0),
         coalesce(sum(d.sign) FILTER (WHERE d.marked_spam), 0),
         coalesce(sum(d.sign) FILTER (WHERE d.auto_reported_spam OR d.marked_spam), 0),
         min(d.sent_at) FILTER (WHERE d.sign > 0),
         max(d.sent_at) FILTER (WHERE d.sign > 0)
    FROM d JOIN campaigns k ON k.id = d.campaign_id
   WHERE d.kind = 'campaign'
   GROUP BY 1, 2, 3, 4, 5, 6
  HAVING sum(d.sign) <> 0
      OR coalesce(sum(d.sign) FILTER (WHERE d.sent_at IS NOT NULL), 0) <> 0
      OR coalesce(sum(d.sign) FILTER (WHERE d.delivered_at IS NOT NULL OR d.status IN ('delivered', 'read')), 0) <> 0
      OR coalesce(sum(d.sign) FILTER (WHERE d.read_at IS NOT NULL OR d.status = 'read'), 0) <> 0
      OR coalesce(sum(d.sign) FILTER (WHERE d.fallback_used OR d.channel IN ('sms', 'mms')), 0) <> 0
      OR coalesce(sum(d.sign) FILTER (WHERE d.auto_reported_spam OR d.marked_spam), 0) <> 0
      OR coalesce(sum(d.sign) FILTER (WHERE d.auto_reported_spam), 0) <> 0
      OR coalesce(sum(d.sign) FILTER (WHERE d.marked_spam), 0) <> 0
  ON CONFLICT (campaign_id, run_id, status, channel, line, failure_reason, shard) DO UPDATE SET
     messages = c.messages + excluded.messages,
     sent = c.sent + excluded.sent,
     delivered = c.delivered + excluded.delivered,
     read = c.read + excluded.read,
     fallback = c.fallback + excluded.fallback,
     auto_reported_spam = c.auto_reported_spam + excluded.auto_reported_spam,
     marked_spam = c.marked_spam + excluded.marked_spam,
     spam = c.spam + excluded.spam,
     first_sent_at = least(c.first_sent_at, excluded.first_sent_at),
     last_sent_at = greatest(c.last_sent_at, excluded.last_sent_at);

  WITH d AS (SELECT 1 AS sign, n.* FROM new_rows n)
  INSERT INTO report_series AS s (campaign_id, run_id, metric, bucket, shard, n)
  SELECT d.campaign_id, d.run_id, m.metric, m.bucket, pg_backend_pid(), sum(d.sign)
    FROM d JOIN campaigns k ON k.id = d.campaign_id
   CROSS JOIN LATERAL (VALUES
     ('sent', floor(extract(epoch FROM d.sent_at) / 60)::int),
     ('delivered', floor(extract(epoch FROM d.delivered_at) / 60)::int),
     ('read', floor(extract(epoch FROM d.read_at) / 60)::int),
     ('failed', floor(extract(epoch FROM d.failed_at) / 60)::int),
     ('latency', CASE WHEN d.delivered_at IS NOT NULL AND d.sent_at IS NOT NULL
                 THEN floor(ln(1 + greatest(0, extract(epoch FROM d.delivered_at - d.sent_at) * 1000)) / ln(1.02))::int END)
   ) AS m(metric, bucket)
   WHERE d.kind = 'campaign' AND m.bucket IS NOT NULL
     AND (d.sent_at IS NOT NULL OR d.delivered_at IS NOT NULL OR d.read_at IS NOT NULL OR d.failed_at IS NOT NULL)
   GROUP BY 1, 2, 3, 4
  HAVING sum(d.sign) <> 0
  ON CONFLICT (campaign_id, run_id, metric, bucket, shard) DO UPDATE SET n = s.n + excluded.n;
  RETURN NULL;
END
$fn$;

CREATE FUNCTION "report_outbound_update"() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  WITH d AS (SELECT 1 AS sign, n.* FROM new_rows n UNION ALL SELECT -1 AS sign, o.* FROM old_rows o)
  INSERT INTO report_counts AS c
    (campaign_id, run_id, status, channel, line, failure_reason, shard,
     messages, sent, delivered, read, fallback, auto_reported_spam, marked_spam, spam,
     first_sent_at, last_sent_at)
  SELECT d.campaign_id, d.run_id, d.status, d.channel, coalesce(d.from_line, d.requested_line),
         CASE WHEN d.status = 'failed' THEN left(coalesce(nullif(d.last_error, ''), 'unknown'), 200) END,
         pg_backend_pid(),
         sum(d.sign),
         coalesce(sum(d.sign) FILTER (WHERE d.sent_at IS NOT NULL), 0),
         coalesce(sum(d.sign) FILTER (WHERE d.delivered_at IS NOT NULL OR d.status IN ('delivered', 'read')), 0),
         coalesce(sum(d.sign) FILTER (WHERE d.read_at IS NOT NULL OR d.status = 'read'), 0),
         coalesce(sum(d.sign) FILTER (WHERE d.fallback_used OR d.channel IN ('sms', 'mms')), 0),
         coalesce(sum(d.sign) FILTER (WHERE d.auto_reported_spam), 0),
         coalesce(sum(d.sign) FILTER (WHERE d.marked_spam), 0),
         coalesce(sum(d.sign) FILTER (WHERE d.auto_reported_spam OR d.marked_spam), 0),
         min(d.sent_at) FILTER (WHERE d.sign > 0),
         max(d.sent_at) FILTER (WHERE d.sign > 0)
    FROM d JOIN campaigns k ON k.id = d.campaign_id
   WHERE d.kind = 'campaign'
   GROUP BY 1, 2, 3, 4, 5, 6
  HAVING sum(d.sign) <> 0
      OR coalesce(sum(d.sign) FILTER (WHERE d.sent_at IS NOT NULL), 0) <> 0
      OR coalesce(sum(d.sign) FILTER (WHERE d.delivered_at IS NOT NULL OR d.status IN ('delivered', 'read')), 0) <> 0
      OR coalesce(sum(d.sign) FILTER (WHERE d.read_at IS NOT NULL OR d.status = 'read'), 0) <> 0
      OR coalesce(sum(d.sign) FILTER (WHERE d.fallback_used OR d.channel IN ('sms', 'mms')), 0) <> 0
      OR coalesce(sum(d.sign) FILTER (WHERE d.auto_reported_spam OR d.marked_spam), 0) <> 0
      OR coalesce(sum(d.sign) FILTER (WHERE d.auto_reported_spam), 0) <> 0
      OR coalesce(sum(d.sign) FILTER (WHERE d.marked_spam), 0) <> 0
  ON CONFLICT (campaign_id, run_id, status, channel, line, failure_reason, shard) DO UPDATE SET
     messages = c.messages + excluded.messages,
     sent = c.sent + excluded.sent,
     delivered = c.delivered + excluded.delivered,
     read = c.read + excluded.read,
     fallback = c.fallback + excluded.fallback,
     auto_reported_spam = c.auto_reported_spam + excluded.auto_reported_spam,
     marked_spam = c.marked_spam + excluded.marked_spam,
     spam = c.spam + excluded.spam,
     first_sent_at = least(c.first_sent_at, excluded.first_sent_at),
     last_sent_at = greatest(c.last_sent_at, excluded.last_sent_at);

  WITH d AS (SELECT 1 AS sign, n.* FROM new_rows n UNION ALL SELECT -1 AS sign, o.* FROM old_rows o)
  INSERT INTO report_series AS s (campaign_id, run_id, metric, bucket, shard, n)
  SELECT d.campaign_id, d.run_id, m.metric, m.bucket, pg_backend_pid(), sum(d.sign)
    FROM d JOIN campaigns k ON k.id = d.campaign_id
   CROSS JOIN LATERAL (VALUES
     ('sent', floor(extract(epoch FROM d.sent_at) / 60)::int),
     ('delivered', floor(extract(epoch FROM d.delivered_at) / 60)::int),
     ('read', floor(extract(epoch FROM d.read_at) / 60)::int),
     ('failed', floor(extract(epoch FROM d.failed_at) / 60)::int),
     ('latency', CASE WHEN d.delivered_at IS NOT NULL AND d.sent_at IS NOT NULL
                 THEN floor(ln(1 + greatest(0, extract(epoch FROM d.delivered_at - d.sent_at) * 1000)) / ln(1.02))::int END)
   ) AS m(metric, bucket)
   WHERE d.kind = 'campaign' AND m.bucket IS NOT NULL
     AND (d.sent_at IS NOT NULL OR d.delivered_at IS NOT NULL OR d.read_at IS NOT NULL OR d.failed_at IS NOT NULL)
   GROUP BY 1, 2, 3, 4
  HAVING sum(d.sign) <> 0
  ON CONFLICT (campaign_id, run_id, metric, bucket, shard) DO UPDATE SET n = s.n + excluded.n;
  RETURN NULL;
END
$fn$;

CREATE FUNCTION "report_outbound_delete"() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  WITH d AS (SELECT -1 AS sign, o.* FROM old_rows o)
  INSERT INTO report_counts AS c
    (campaign_id, run_id, status, channel, line, failure_reason, shard,
     messages, sent, delivered, read, fallback, auto_reported_spam, marked_spam, spam,
     first_sent_at, last_sent_at)
  SELECT d.campaign_id, d.run_id, d.status, d.channel, coalesce(d.from_line, d.requested_line),
         CASE WHEN d.status = 'failed' THEN left(coalesce(nullif(d.last_error, ''), 'unknown'), 200) END,
         pg_backend_pid(),
         sum(d.sign),
         coalesce(sum(d.sign) FILTER (WHERE d.sent_at IS NOT NULL), 0),
         coalesce(sum(d.sign) FILTER (WHERE d.delivered_at IS NOT NULL OR d.status IN ('delivered', 'read')), 0),
         coalesce(sum(d.sign) FILTER (WHERE d.read_at IS NOT NULL OR d.status = 'read'), 0),
         coalesce(sum(d.sign) FILTER (WHERE d.fallback_used OR d.channel IN ('sms', 'mms')), 0),
         coalesce(sum(d.sign) FILTER (WHERE d.auto_reported_spam), 0),
         coalesce(sum(d.sign) FILTER (WHERE d.marked_spam), 0),
         coalesce(sum(d.sign) FILTER (WHERE d.auto_reported_spam OR d.marked_spam), 0),
         min(d.sent_at) FILTER (WHERE d.sign > 0),
         max(d.sent_at) FILTER (WHERE d.sign > 0)
    FROM d JOIN campaigns k ON k.id = d.campaign_id
   WHERE d.kind = 'campaign'
   GROUP BY 1, 2, 3, 4, 5, 6
  HAVING sum(d.sign) <> 0
      OR coalesce(sum(d.sign) FILTER (WHERE d.sent_at IS NOT NULL), 0) <> 0
      OR coalesce(sum(d.sign) FILTER (WHERE d.delivered_at IS NOT NULL OR d.status IN ('delivered', 'read')), 0) <> 0
      OR coalesce(sum(d.sign) FILTER (WHERE d.read_at IS NOT NULL OR d.status = 'read'), 0) <> 0
      OR coalesce(sum(d.sign) FILTER (WHERE d.fallback_used OR d.channel IN ('sms', 'mms')), 0) <> 0
      OR coalesce(sum(d.sign) FILTER (WHERE d.auto_reported_spam OR d.marked_spam), 0) <> 0
      OR coalesce(sum(d.sign) FILTER (WHERE d.auto_reported_spam), 0) <> 0
      OR coalesce(sum(d.sign) FILTER (WHERE d.marked_spam), 0) <> 0
  ON CONFLICT (campaign_id, run_id, status, channel, line, failure_reason, shard) DO UPDATE SET
     messages = c.messages + excluded.messages,
     sent = c.sent + excluded.sent,
     delivered = c.delivered + excluded.delivered,
     read = c.read + excluded.read,
     fallback = c.fallback + excluded.fallback,
     auto_reported_spam = c.auto_reported_spam + excluded.auto_reported_spam,
     marked_spam = c.marked_spam + excluded.marked_spam,
     spam = c.spam + excluded.spam,
     first_sent_at = least(c.first_sent_at, excluded.first_sent_at),
     last_sent_at = greatest(c.last_sent_at, excluded.last_sent_at);

  WITH d AS (SELECT -1 AS sign, o.* FROM old_rows o)
  INSERT INTO report_series AS s (campaign_id, run_id, metric, bucket, shard, n)
  SELECT d.campaign_id, d.run_id, m.metric, m.bucket, pg_backend_pid(), sum(d.sign)
    FROM d JOIN campaigns k ON k.id = d.campaign_id
   CROSS JOIN LATERAL (VALUES
     ('sent', floor(extract(epoch FROM d.sent_at) / 60)::int),
     ('delivered', floor(extract(epoch FROM d.delivered_at) / 60)::int),
     ('read', floor(extract(epoch FROM d.read_at) / 60)::int),
     ('failed', floor(extract(epoch FROM d.failed_at) / 60)::int),
     ('latency', CASE WHEN d.delivered_at IS NOT NULL AND d.sent_at IS NOT NULL
                 THEN floor(ln(1 + greatest(0, extract(epoch FROM d.delivered_at - d.sent_at) * 1000)) / ln(1.02))::int END)
   ) AS m(metric, bucket)
   WHERE d.kind = 'campaign' AND m.bucket IS NOT NULL
     AND (d.sent_at IS NOT NULL OR d.delivered_at IS NOT NULL OR d.read_at IS NOT NULL OR d.failed_at IS NOT NULL)
   GROUP BY 1, 2, 3, 4
  HAVING sum(d.sign) <> 0
  ON CONFLICT (campaign_id, run_id, metric, bucket, shard) DO UPDATE SET n = s.n + excluded.n;
  RETURN NULL;
END
$fn$;

CREATE FUNCTION "report_inbound_insert"() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  WITH d AS (SELECT 1 AS sign, n.* FROM new_rows n),
  r AS (
    SELECT d.sign, d.campaign_id, o.run_id, d.recipient_id, d.is_opt_out, d.sent_at
      FROM d JOIN campaigns k ON k.id = d.campaign_id
      LEFT JOIN outbound_messages o ON o.id = d.outbound_message_id
  ),
  delta AS (
    SELECT r.campaign_id, r.run_id, r.recipient_id, sum(r.sign) AS replies,
           coalesce(sum(r.sign) FILTER (WHERE r.is_opt_out), 0) AS opt_outs,
           min(r.sent_at) FILTER (WHERE r.sign > 0) AS first_at, max(r.sent_at) FILTER (WHERE r.sign > 0) AS last_at
      FROM r
     GROUP BY 1, 2, 3
    HAVING sum(r.sign) <> 0 OR coalesce(sum(r.sign) FILTER (WHERE r.is_opt_out), 0) <> 0
  ),
  up AS (
    INSERT INTO report_replies AS x (campaign_id, run_id, recipient_id, replies, opt_outs, first_reply_at, last_reply_at)
    SELECT campaign_id, run_id, recipient_id, replies, opt_outs, first_at, last_at FROM delta
    ON CONFLICT (campaign_id, run_id, recipient_id) DO UPDATE SET
       replies = x.replies + excluded.replies,
       opt_outs = x.opt_outs + excluded.opt_outs,
       first_reply_at = least(x.first_reply_at, excluded.first_reply_at),
       last_reply_at = greatest(x.last_reply_at, excluded.last_reply_at)
    RETURNING x.campaign_id, x.run_id, x.recipient_id, x.replies, x.opt_outs
  ),
  -- A recipient becomes a replier (or opted out) when its count leaves 0 and
  -- stops being one when it returns to 0: new value vs new value - delta.
  t AS (
    SELECT up.campaign_id, up.run_id,
           coalesce(sum((up.replies > 0)::int - (up.replies - delta.replies > 0)::int) FILTER (WHERE up.recipient_id IS NOT NULL), 0) AS repliers,
           coalesce(sum((up.opt_outs > 0)::int - (up.opt_outs - delta.opt_outs > 0)::int) FILTER (WHERE up.recipient_id IS NOT NULL), 0) AS opted_out,
           coalesce(sum(delta.opt_outs) FILTER (WHERE up.recipient_id IS NULL), 0) AS unlinked_opt_outs
      FROM up JOIN delta ON delta.campaign_id = up.campaign_id AND delta.run_id IS NOT DISTINCT FROM up.run_id
                        AND delta.recipient_id IS NOT DISTINCT FROM up.recipient_id
     GROUP BY 1, 2
  )
  INSERT INTO report_series AS s (campaign_id, run_id, metric, bucket, shard, n)
  SELECT t.campaign_id, t.run_id, m.metric, 0, pg_backend_pid(), m.n
    FROM t CROSS JOIN LATERAL (VALUES ('repliers', t.repliers), ('opted_out', t.opted_out), ('unlinked_opt_outs', t.unlinked_opt_outs)) AS m(metric, n)
   WHERE m.n <> 0
  ON CONFLICT (campaign_id, run_id, metric, bucket, shard) DO UPDATE SET n = s.n + excluded.n;

  WITH d AS (SELECT 1 AS sign, n.* FROM new_rows n)
  INSERT INTO report_series AS s (campaign_id, run_id, metric, bucket, shard, n)
  SELECT d.campaign_id, o.run_id, 'replies', floor(extract(epoch FROM d.sent_at) / 60)::int, pg_backend_pid(), sum(d.sign)
    FROM d JOIN campaigns k ON k.id = d.campaign_id
    LEFT JOIN outbound_messages o ON o.id = d.outbound_message_id
   GROUP BY 1, 2, 3, 4
  HAVING sum(d.sign) <> 0
  ON CONFLICT (campaign_id, run_id, metric, bucket, shard) DO UPDATE SET n = s.n + excluded.n;
  RETURN NULL;
END
$fn$;

CREATE FUNCTION "report_inbound_update"() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  WITH d AS (SELECT 1 AS sign, n.* FROM new_rows n UNION ALL SELECT -1 AS sign, o.* FROM old_rows o),
  r AS (
    SELECT d.sign, d.campaign_id, o.run_id, d.recipient_id, d.is_opt_out, d.sent_at
      FROM d JOIN campaigns k ON k.id = d.campaign_id
      LEFT JOIN outbound_messages o ON o.id = d.outbound_message_id
  ),
  delta AS (
    SELECT r.campaign_id, r.run_id, r.recipient_id, sum(r.sign) AS replies,
           coalesce(sum(r.sign) FILTER (WHERE r.is_opt_out), 0) AS opt_outs,
           min(r.sent_at) FILTER (WHERE r.sign > 0) AS first_at, max(r.sent_at) FILTER (WHERE r.sign > 0) AS last_at
      FROM r
     GROUP BY 1, 2, 3
    HAVING sum(r.sign) <> 0 OR coalesce(sum(r.sign) FILTER (WHERE r.is_opt_out), 0) <> 0
  ),
  up AS (
    INSERT INTO report_replies AS x (campaign_id, run_id, recipient_id, replies, opt_outs, first_reply_at, last_reply_at)
    SELECT campaign_id, run_id, recipient_id, replies, opt_outs, first_at, last_at FROM delta
    ON CONFLICT (campaign_id, run_id, recipient_id) DO UPDATE SET
       replies = x.replies + excluded.replies,
       opt_outs = x.opt_outs + excluded.opt_outs,
       first_reply_at = least(x.first_reply_at, excluded.first_reply_at),
       last_reply_at = greatest(x.last_reply_at, excluded.last_reply_at)
    RETURNING x.campaign_id, x.run_id, x.recipient_id, x.replies, x.opt_outs
  ),
  -- A recipient becomes a replier (or opted out) when its count leaves 0 and
  -- stops being one when it returns to 0: new value vs new value - delta.
  t AS (
    SELECT up.campaign_id, up.run_id,
           coalesce(sum((up.replies > 0)::int - (up.replies - delta.replies > 0)::int) FILTER (WHERE up.recipient_id IS NOT NULL), 0) AS repliers,
           coalesce(sum((up.opt_outs > 0)::int - (up.opt_outs - delta.opt_outs > 0)::int) FILTER (WHERE up.recipient_id IS NOT NULL), 0) AS opted_out,
           coalesce(sum(delta.opt_outs) FILTER (WHERE up.recipient_id IS NULL), 0) AS unlinked_opt_outs
      FROM up JOIN delta ON delta.campaign_id = up.campaign_id AND delta.run_id IS NOT DISTINCT FROM up.run_id
                        AND delta.recipient_id IS NOT DISTINCT FROM up.recipient_id
     GROUP BY 1, 2
  )
  INSERT INTO report_series AS s (campaign_id, run_id, metric, bucket, shard, n)
  SELECT t.campaign_id, t.run_id, m.metric, 0, pg_backend_pid(), m.n
    FROM t CROSS JOIN LATERAL (VALUES ('repliers', t.repliers), ('opted_out', t.opted_out), ('unlinked_opt_outs', t.unlinked_opt_outs)) AS m(metric, n)
   WHERE m.n <> 0
  ON CONFLICT (campaign_id, run_id, metric, bucket, shard) DO UPDATE SET n = s.n + excluded.n;

  WITH d AS (SELECT 1 AS sign, n.* FROM new_rows n UNION ALL SELECT -1 AS sign, o.* FROM old_rows o)
  INSERT INTO report_series AS s (campaign_id, run_id, metric, bucket, shard, n)
  SELECT d.campaign_id, o.run_id, 'replies', floor(extract(epoch FROM d.sent_at) / 60)::int, pg_backend_pid(), sum(d.sign)
    FROM d JOIN campaigns k ON k.id = d.campaign_id
    LEFT JOIN outbound_messages o ON o.id = d.outbound_message_id
   GROUP BY 1, 2, 3, 4
  HAVING sum(d.sign) <> 0
  ON CONFLICT (campaign_id, run_id, metric, bucket, shard) DO UPDATE SET n = s.n + excluded.n;
  RETURN NULL;
END
$fn$;

CREATE FUNCTION "report_inbound_delete"() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  WITH d AS (SELECT -1 AS sign, o.* FROM old_rows o),
  r AS (
    SELECT d.sign, d.campaign_id, o.run_id, d.recipient_id, d.is_opt_out, d.sent_at
      FROM d JOIN campaigns k ON k.id = d.campaign_id
      LEFT JOIN outbound_messages o ON o.id = d.outbound_message_id
  ),
  delta AS (
    SELECT r.campaign_id, r.run_id, r.recipient_id, sum(r.sign) AS replies,
           coalesce(sum(r.sign) FILTER (WHERE r.is_opt_out), 0) AS opt_outs,
           min(r.sent_at) FILTER (WHERE r.sign > 0) AS first_at, max(r.sent_at) FILTER (WHERE r.sign > 0) AS last_at
      FROM r
     GROUP BY 1, 2, 3
    HAVING sum(r.sign) <> 0 OR coalesce(sum(r.sign) FILTER (WHERE r.is_opt_out), 0) <> 0
  ),
  up AS (
    INSERT INTO report_replies AS x (campaign_id, run_id, recipient_id, replies, opt_outs, first_reply_at, last_reply_at)
    SELECT campaign_id, run_id, recipient_id, replies, opt_outs, first_at, last_at FROM delta
    ON CONFLICT (campaign_id, run_id, recipient_id) DO UPDATE SET
       replies = x.replies + excluded.replies,
       opt_outs = x.opt_outs + excluded.opt_outs,
       first_reply_at = least(x.first_reply_at, excluded.first_reply_at),
       last_reply_at = greatest(x.last_reply_at, excluded.last_reply_at)
    RETURNING x.campaign_id, x.run_id, x.recipient_id, x.replies, x.opt_outs
  ),
  -- A recipient becomes a replier (or opted out) when its count leaves 0 and
  -- stops being one when it returns to 0: new value vs new value - delta.
  t AS (
    SELECT up.campaign_id, up.run_id,
           coalesce(sum((up.replies > 0)::int - (up.replies - delta.replies > 0)::int) FILTER (WHERE up.recipient_id IS NOT NULL), 0) AS repliers,
           coalesce(sum((up.opt_outs > 0)::int - (up.opt_outs - delta.opt_outs > 0)::int) FILTER (WHERE up.recipient_id IS NOT NULL), 0) AS opted_out,
           coalesce(sum(delta.opt_outs) FILTER (WHERE up.recipient_id IS NULL), 0) AS unlinked_opt_outs
      FROM up JOIN delta ON delta.campaign_id = up.campaign_id AND delta.run_id IS NOT DISTINCT FROM up.run_id
                        AND delta.recipient_id IS NOT DISTINCT FROM up.recipient_id
     GROUP BY 1, 2
  )
  INSERT INTO report_series AS s (campaign_id, run_id, metric, bucket, shard, n)
  SELECT t.campaign_id, t.run_id, m.metric, 0, pg_backend_pid(), m.n
    FROM t CROSS JOIN LATERAL (VALUES ('repliers', t.repliers), ('opted_out', t.opted_out), ('unlinked_opt_outs', t.unlinked_opt_outs)) AS m(metric, n)
   WHERE m.n <> 0
  ON CONFLICT (campaign_id, run_id, metric, bucket, shard) DO UPDATE SET n = s.n + excluded.n;

  WITH d AS (SELECT -1 AS sign, o.* FROM old_rows o)
  INSERT INTO report_series AS s (campaign_id, run_id, metric, bucket, shard, n)
  SELECT d.campaign_id, o.run_id, 'replies', floor(extract(epoch FROM d.sent_at) / 60)::int, pg_backend_pid(), sum(d.sign)
    FROM d JOIN campaigns k ON k.id = d.campaign_id
    LEFT JOIN outbound_messages o ON o.id = d.outbound_message_id
   GROUP BY 1, 2, 3, 4
  HAVING sum(d.sign) <> 0
  ON CONFLICT (campaign_id, run_id, metric, bucket, shard) DO UPDATE SET n = s.n + excluded.n;
  RETURN NULL;
END
$fn$;

CREATE TRIGGER "report_outbound_insert" AFTER INSERT ON "outbound_messages" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "report_outbound_insert"();
CREATE TRIGGER "report_outbound_update" AFTER UPDATE ON "outbound_messages" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "report_outbound_update"();
CREATE TRIGGER "report_outbound_delete" AFTER DELETE ON "outbound_messages" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "report_outbound_delete"();
CREATE TRIGGER "report_inbound_insert" AFTER INSERT ON "inbound_messages" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "report_inbound_insert"();
CREATE TRIGGER "report_inbound_update" AFTER UPDATE ON "inbound_messages" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "report_inbound_update"();
CREATE TRIGGER "report_inbound_delete" AFTER DELETE ON "inbound_messages" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "report_inbound_delete"();

-- Backfill from the rows that exist already, as if one statement had inserted
-- them all (shard 0: the compactor's). The triggers above already hold the
-- table locks, so no write can slip between them and these statements.

WITH d AS (SELECT 1 AS sign, m.* FROM outbound_messages m)
INSERT INTO report_counts AS c
  (campaign_id, run_id, status, channel, line, failure_reason, shard,
   messages, sent, delivered, read, fallback, auto_reported_spam, marked_spam, spam,
   first_sent_at, last_sent_at)
SELECT d.campaign_id, d.run_id, d.status, d.channel, coalesce(d.from_line, d.requested_line),
       CASE WHEN d.status = 'failed' THEN left(coalesce(nullif(d.last_error, ''), 'unknown'), 200) END,
       0,
       sum(d.sign),
       coalesce(sum(d.sign) FILTER (WHERE d.sent_at IS NOT NULL), 0),
       coalesce(sum(d.sign) FILTER (WHERE d.delivered_at IS NOT NULL OR d.status IN ('delivered', 'read')), 0),
       coalesce(sum(d.sign) FILTER (WHERE d.read_at IS NOT NULL OR d.status = 'read'), 0),
       coalesce(sum(d.sign) FILTER (WHERE d.fallback_used OR d.channel IN ('sms', 'mms')), 0),
       coalesce(sum(d.sign) FILTER (WHERE d.auto_reported_spam), 0),
       coalesce(sum(d.sign) FILTER (WHERE d.marked_spam), 0),
       coalesce(sum(d.sign) FILTER (WHERE d.auto_reported_spam OR d.marked_spam), 0),
       min(d.sent_at) FILTER (WHERE d.sign > 0),
       max(d.sent_at) FILTER (WHERE d.sign > 0)
  FROM d JOIN campaigns k ON k.id = d.campaign_id
 WHERE d.kind = 'campaign'
 GROUP BY 1, 2, 3, 4, 5, 6
HAVING sum(d.sign) <> 0
    OR coalesce(sum(d.sign) FILTER (WHERE d.sent_at IS NOT NULL), 0) <> 0
    OR coalesce(sum(d.sign) FILTER (WHERE d.delivered_at IS NOT NULL OR d.status IN ('delivered', 'read')), 0) <> 0
    OR coalesce(sum(d.sign) FILTER (WHERE d.read_at IS NOT NULL OR d.status = 'read'), 0) <> 0
    OR coalesce(sum(d.sign) FILTER (WHERE d.fallback_used OR d.channel IN ('sms', 'mms')), 0) <> 0
    OR coalesce(sum(d.sign) FILTER (WHERE d.auto_reported_spam OR d.marked_spam), 0) <> 0
    OR coalesce(sum(d.sign) FILTER (WHERE d.auto_reported_spam), 0) <> 0
    OR coalesce(sum(d.sign) FILTER (WHERE d.marked_spam), 0) <> 0
ON CONFLICT (campaign_id, run_id, status, channel, line, failure_reason, shard) DO UPDATE SET
   messages = c.messages + excluded.messages,
   sent = c.sent + excluded.sent,
   delivered = c.delivered + excluded.delivered,
   read = c.read + excluded.read,
   fallback = c.fallback + excluded.fallback,
   auto_reported_spam = c.auto_reported_spam + excluded.auto_reported_spam,
   marked_spam = c.marked_spam + excluded.marked_spam,
   spam = c.spam + excluded.spam,
   first_sent_at = least(c.first_sent_at, excluded.first_sent_at),
   last_sent_at = greatest(c.last_sent_at, excluded.last_sent_at);

WITH d AS (SELECT 1 AS sign, m.* FROM outbound_messages m)
INSERT INTO report_series AS s (campaign_id, run_id, metric, bucket, shard, n)
SELECT d.campaign_id, d.run_id, m.metric, m.bucket, 0, sum(d.sign)
  FROM d JOIN campaigns k ON k.id = d.campaign_id
 CROSS JOIN LATERAL (VALUES
   ('sent', floor(extract(epoch FROM d.sent_at) / 60)::int),
   ('delivered', floor(extract(epoch FROM d.delivered_at) / 60)::int),
   ('read', floor(extract(epoch FROM d.read_at) / 60)::int),
   ('failed', floor(extract(epoch FROM d.failed_at) / 60)::int),
   ('latency', CASE WHEN d.delivered_at IS NOT NULL AND d.sent_at IS NOT NULL
                 THEN floor(ln(1 + greatest(0, extract(epoch FROM d.delivered_at - d.sent_at) * 1000)) / ln(1.02))::int END)
 ) AS m(metric, bucket)
 WHERE d.kind = 'campaign' AND m.bucket IS NOT NULL
   AND (d.sent_at IS NOT NULL OR d.delivered_at IS NOT NULL OR d.read_at IS NOT NULL OR d.failed_at IS NOT NULL)
 GROUP BY 1, 2, 3, 4
HAVING sum(d.sign) <> 0
ON CONFLICT (campaign_id, run_id, metric, bucket, shard) DO UPDATE SET n = s.n + excluded.n;

WITH d AS (SELECT 1 AS sign, i.* FROM inbound_messages i),
r AS (
  SELECT d.sign, d.campaign_id, o.run_id, d.recipient_id, d.is_opt_out, d.sent_at
    FROM d JOIN campaigns k ON k.id = d.campaign_id
    LEFT JOIN outbound_messages o ON o.id = d.outbound_message_id
),
  delta AS (
    SELECT r.campaign_id, r.run_id, r.recipient_id, sum(r.sign) AS replies,
           coalesce(sum(r.sign) FILTER (WHERE r.is_opt_out), 0) AS opt_outs,
           min(r.sent_at) FILTER (WHERE r.sign > 0) AS first_at, max(r.sent_at) FILTER (WHERE r.sign > 0) AS last_at
      FROM r
     GROUP BY 1, 2, 3
    HAVING sum(r.sign) <> 0 OR coalesce(sum(r.sign) FILTER (WHERE r.is_opt_out), 0) <> 0
  ),
  up AS (
    INSERT INTO report_replies AS x (campaign_id, run_id, recipient_id, replies, opt_outs, first_reply_at, last_reply_at)
    SELECT campaign_id, run_id, recipient_id, replies, opt_outs, first_at, last_at FROM delta
    ON CONFLICT (campaign_id, run_id, recipient_id) DO UPDATE SET
       replies = x.replies + excluded.replies,
       opt_outs = x.opt_outs + excluded.opt_outs,
       first_reply_at = least(x.first_reply_at, excluded.first_reply_at),
       last_reply_at = greatest(x.last_reply_at, excluded.last_reply_at)
    RETURNING x.campaign_id, x.run_id, x.recipient_id, x.replies, x.opt_outs
  ),
  -- A recipient becomes a replier (or opted out) when its count leaves 0 and
  -- stops being one when it returns to 0: new value vs new value - delta.
  t AS (
    SELECT up.campaign_id, up.run_id,
           coalesce(sum((up.replies > 0)::int - (up.replies - delta.replies > 0)::int) FILTER (WHERE up.recipient_id IS NOT NULL), 0) AS repliers,
           coalesce(sum((up.opt_outs > 0)::int - (up.opt_outs - delta.opt_outs > 0)::int) FILTER (WHERE up.recipient_id IS NOT NULL), 0) AS opted_out,
           coalesce(sum(delta.opt_outs) FILTER (WHERE up.recipient_id IS NULL), 0) AS unlinked_opt_outs
      FROM up JOIN delta ON delta.campaign_id = up.campaign_id AND delta.run_id IS NOT DISTINCT FROM up.run_id
                        AND delta.recipient_id IS NOT DISTINCT FROM up.recipient_id
     GROUP BY 1, 2
  )
  INSERT INTO report_series AS s (campaign_id, run_id, metric, bucket, shard, n)
  SELECT t.campaign_id, t.run_id, m.metric, 0, 0, m.n
    FROM t CROSS JOIN LATERAL (VALUES ('repliers', t.repliers), ('opted_out', t.opted_out), ('unlinked_opt_outs', t.unlinked_opt_outs)) AS m(metric, n)
   WHERE m.n <> 0
  ON CONFLICT (campaign_id, run_id, metric, bucket, shard) DO UPDATE SET n = s.n + excluded.n;

WITH d AS (SELECT 1 AS sign, i.* FROM inbound_messages i)
INSERT INTO report_series AS s (campaign_id, run_id, metric, bucket, shard, n)
SELECT d.campaign_id, o.run_id, 'replies', floor(extract(epoch FROM d.sent_at) / 60)::int, 0, sum(d.sign)
  FROM d JOIN campaigns k ON k.id = d.campaign_id
  LEFT JOIN outbound_messages o ON o.id = d.outbound_message_id
 GROUP BY 1, 2, 3, 4
HAVING sum(d.sign) <> 0
ON CONFLICT (campaign_id, run_id, metric, bucket, shard) DO UPDATE SET n = s.n + excluded.n;
