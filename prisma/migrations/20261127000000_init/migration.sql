-- CreateEnum
CREATE TYPE "campaign_status" AS ENUM ('draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled');
CREATE TYPE "run_status" AS ENUM ('pending', 'running', 'completed', 'cancelled');
CREATE TYPE "message_status" AS ENUM ('queued', 'sending', 'sent', 'delivered', 'read', 'failed', 'cancelled', 'skipped');
CREATE TYPE "message_kind" AS ENUM ('campaign', 'auto_reply', 'opt_out_confirmation');
CREATE TYPE "channel" AS ENUM ('imessage', 'sms', 'mms');
CREATE TYPE "import_status" AS ENUM ('running', 'committed', 'failed');
CREATE TYPE "consent_kind" AS ENUM ('opt_out', 'opt_in');

-- CreateTable
CREATE TABLE "campaigns" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "variants" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "attachments" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "sender_lines" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "fallback_when" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "fallback_from" TEXT,
    "fast_track" BOOLEAN NOT NULL DEFAULT false,
    "schedule_at" TIMESTAMPTZ(3),
    "cron_expression" TEXT,
    "timezone" TEXT NOT NULL DEFAULT 'America/New_York',
    "window_start_minute" INTEGER DEFAULT 540,
    "window_end_minute" INTEGER DEFAULT 1260,
    "concurrency" INTEGER NOT NULL DEFAULT 8,
    "rate_per_line" DOUBLE PRECISION NOT NULL DEFAULT 1,
    "burst_per_line" INTEGER NOT NULL DEFAULT 5,
    "new_contacts_per_hour" INTEGER NOT NULL DEFAULT 20,
    "new_contacts_per_day" INTEGER NOT NULL DEFAULT 100,
    "jitter_ms" INTEGER NOT NULL DEFAULT 400,
    "max_attempts" INTEGER NOT NULL DEFAULT 5,
    "default_region" TEXT NOT NULL DEFAULT 'US',
    "csv_path" TEXT,
    "care_read_receipt" BOOLEAN NOT NULL DEFAULT false,
    "care_tapback" TEXT,
    "care_auto_reply" TEXT,
    "opt_out_confirmation" TEXT,
    "status" "campaign_status" NOT NULL DEFAULT 'draft',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "campaigns_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "campaigns_concurrency_check" CHECK ("concurrency" BETWEEN 1 AND 1024),
    CONSTRAINT "campaigns_rate_check" CHECK ("rate_per_line" > 0 AND "burst_per_line" >= 1),
    CONSTRAINT "campaigns_schedule_check" CHECK ("schedule_at" IS NULL OR "cron_expression" IS NULL)
);

CREATE TABLE "campaign_runs" (
    "id" SERIAL NOT NULL,
    "campaign_id" INTEGER NOT NULL,
    "scheduled_for" TIMESTAMPTZ(3) NOT NULL,
    "status" "run_status" NOT NULL DEFAULT 'pending',
    "catch_up" BOOLEAN NOT NULL DEFAULT false,
    "enqueued" INTEGER NOT NULL DEFAULT 0,
    "started_at" TIMESTAMPTZ(3),
    "completed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "campaign_runs_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "contacts" (
    "id" BIGSERIAL NOT NULL,
    "phone" TEXT NOT NULL,
    "opted_out" BOOLEAN NOT NULL DEFAULT false,
    "opted_out_at" TIMESTAMPTZ(3),
    "opted_in_at" TIMESTAMPTZ(3),
    "sticky_line" TEXT,
    "sticky_line_assigned_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "contacts_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "campaign_recipients" (
    "id" BIGSERIAL NOT NULL,
    "campaign_id" INTEGER NOT NULL,
    "contact_id" BIGINT NOT NULL,
    "phone" TEXT NOT NULL,
    "variables" JSONB NOT NULL DEFAULT '{}',
    "timezone" TEXT,
    "import_id" INTEGER,
    "source_line" INTEGER,
    "replied_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "campaign_recipients_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "outbound_messages" (
    "id" BIGSERIAL NOT NULL,
    "campaign_id" INTEGER,
    "run_id" INTEGER,
    "recipient_id" BIGINT,
    "contact_id" BIGINT NOT NULL,
    "kind" "message_kind" NOT NULL DEFAULT 'campaign',
    "to_phone" TEXT NOT NULL,
    "requested_line" TEXT,
    "from_line" TEXT,
    "body" TEXT NOT NULL,
    "variant_index" INTEGER,
    "channel" "channel",
    "status" "message_status" NOT NULL DEFAULT 'queued',
    "provider_message_id" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lease_owner" TEXT,
    "lease_expires_at" TIMESTAMPTZ(3),
    "last_error" TEXT,
    "error_retryable" BOOLEAN,
    "queued_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMPTZ(3),
    "delivered_at" TIMESTAMPTZ(3),
    "read_at" TIMESTAMPTZ(3),
    "failed_at" TIMESTAMPTZ(3),
    "cancelled_at" TIMESTAMPTZ(3),
    "fallback_used" BOOLEAN NOT NULL DEFAULT false,
    "auto_reported_spam" BOOLEAN NOT NULL DEFAULT false,
    "marked_spam" BOOLEAN NOT NULL DEFAULT false,
    "poll_attempts" INTEGER NOT NULL DEFAULT 0,
    "next_poll_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "outbound_messages_pkey" PRIMARY KEY ("id"),
    -- A message being sent always has an owner and a deadline.
    CONSTRAINT "outbound_messages_lease_check" CHECK ("status" <> 'sending' OR ("lease_owner" IS NOT NULL AND "lease_expires_at" IS NOT NULL))
);

CREATE TABLE "webhook_events" (
    "id" BIGSERIAL NOT NULL,
    "provider_event_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processed_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,

    CONSTRAINT "webhook_events_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "inbound_messages" (
    "id" BIGSERIAL NOT NULL,
    "webhook_event_id" BIGINT,
    "from_phone" TEXT NOT NULL,
    "to_line" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "channel" "channel" NOT NULL,
    "attachments" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "sent_at" TIMESTAMPTZ(3) NOT NULL,
    "contact_id" BIGINT,
    "campaign_id" INTEGER,
    "recipient_id" BIGINT,
    "outbound_message_id" BIGINT,
    "is_opt_out" BOOLEAN NOT NULL DEFAULT false,
    "is_opt_in" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "inbound_messages_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "consent_events" (
    "id" BIGSERIAL NOT NULL,
    "contact_id" BIGINT NOT NULL,
    "kind" "consent_kind" NOT NULL,
    "keyword" TEXT,
    "source" TEXT NOT NULL,
    "inbound_message_id" BIGINT,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "consent_events_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "imports" (
    "id" SERIAL NOT NULL,
    "campaign_id" INTEGER NOT NULL,
    "file_name" TEXT NOT NULL,
    "file_sha256" TEXT,
    "status" "import_status" NOT NULL DEFAULT 'running',
    "total_rows" INTEGER NOT NULL DEFAULT 0,
    "imported" INTEGER NOT NULL DEFAULT 0,
    "duplicates" INTEGER NOT NULL DEFAULT 0,
    "invalid" INTEGER NOT NULL DEFAULT 0,
    "opted_out" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "imports_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "import_rejections" (
    "id" BIGSERIAL NOT NULL,
    "import_id" INTEGER NOT NULL,
    "line" INTEGER NOT NULL,
    "reason" TEXT NOT NULL,
    "raw" TEXT,

    CONSTRAINT "import_rejections_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "sender_lines" (
    "line" TEXT NOT NULL,
    "tokens" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "tokens_updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sender_lines_pkey" PRIMARY KEY ("line")
);

-- CreateIndex
CREATE UNIQUE INDEX "campaigns_name_key" ON "campaigns"("name");
CREATE INDEX "campaigns_status_idx" ON "campaigns"("status");
CREATE UNIQUE INDEX "campaign_runs_campaign_id_scheduled_for_key" ON "campaign_runs"("campaign_id", "scheduled_for");
CREATE INDEX "campaign_runs_status_idx" ON "campaign_runs"("status");
CREATE UNIQUE INDEX "contacts_phone_key" ON "contacts"("phone");
CREATE INDEX "contacts_sticky_line_sticky_line_assigned_at_idx" ON "contacts"("sticky_line", "sticky_line_assigned_at");
CREATE UNIQUE INDEX "campaign_recipients_campaign_id_phone_key" ON "campaign_recipients"("campaign_id", "phone");
CREATE INDEX "campaign_recipients_contact_id_idx" ON "campaign_recipients"("contact_id");
CREATE INDEX "campaign_recipients_import_id_idx" ON "campaign_recipients"("import_id");
CREATE UNIQUE INDEX "outbound_messages_provider_message_id_key" ON "outbound_messages"("provider_message_id");
CREATE UNIQUE INDEX "outbound_messages_run_id_recipient_id_key" ON "outbound_messages"("run_id", "recipient_id");
CREATE INDEX "outbound_messages_status_next_attempt_at_idx" ON "outbound_messages"("status", "next_attempt_at");
CREATE INDEX "outbound_messages_status_lease_expires_at_idx" ON "outbound_messages"("status", "lease_expires_at");
CREATE INDEX "outbound_messages_status_next_poll_at_idx" ON "outbound_messages"("status", "next_poll_at");
CREATE INDEX "outbound_messages_campaign_id_status_idx" ON "outbound_messages"("campaign_id", "status");
CREATE INDEX "outbound_messages_to_phone_from_line_sent_at_idx" ON "outbound_messages"("to_phone", "from_line", "sent_at" DESC);
CREATE INDEX "outbound_messages_from_line_sent_at_idx" ON "outbound_messages"("from_line", "sent_at");
CREATE UNIQUE INDEX "webhook_events_provider_event_id_key" ON "webhook_events"("provider_event_id");
CREATE INDEX "webhook_events_processed_at_received_at_idx" ON "webhook_events"("processed_at", "received_at");
CREATE UNIQUE INDEX "inbound_messages_webhook_event_id_key" ON "inbound_messages"("webhook_event_id");
CREATE INDEX "inbound_messages_campaign_id_sent_at_idx" ON "inbound_messages"("campaign_id", "sent_at");
CREATE INDEX "inbound_messages_from_phone_sent_at_idx" ON "inbound_messages"("from_phone", "sent_at");
CREATE INDEX "consent_events_contact_id_at_idx" ON "consent_events"("contact_id", "at");
CREATE INDEX "imports_campaign_id_idx" ON "imports"("campaign_id");
CREATE INDEX "import_rejections_import_id_line_idx" ON "import_rejections"("import_id", "line");

-- AddForeignKey
ALTER TABLE "campaign_runs" ADD CONSTRAINT "campaign_runs_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "campaign_recipients" ADD CONSTRAINT "campaign_recipients_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "campaign_recipients" ADD CONSTRAINT "campaign_recipients_contact_id_fkey" FOREIGN KEY ("contact_id") REFERENCES "contacts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "campaign_recipients" ADD CONSTRAINT "campaign_recipients_import_id_fkey" FOREIGN KEY ("import_id") REFERENCES "imports"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "outbound_messages" ADD CONSTRAINT "outbound_messages_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "outbound_messages" ADD CONSTRAINT "outbound_messages_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "campaign_runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "outbound_messages" ADD CONSTRAINT "outbound_messages_recipient_id_fkey" FOREIGN KEY ("recipient_id") REFERENCES "campaign_recipients"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "outbound_messages" ADD CONSTRAINT "outbound_messages_contact_id_fkey" FOREIGN KEY ("contact_id") REFERENCES "contacts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "inbound_messages" ADD CONSTRAINT "inbound_messages_webhook_event_id_fkey" FOREIGN KEY ("webhook_event_id") REFERENCES "webhook_events"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "inbound_messages" ADD CONSTRAINT "inbound_messages_contact_id_fkey" FOREIGN KEY ("contact_id") REFERENCES "contacts"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "inbound_messages" ADD CONSTRAINT "inbound_messages_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "inbound_messages" ADD CONSTRAINT "inbound_messages_recipient_id_fkey" FOREIGN KEY ("recipient_id") REFERENCES "campaign_recipients"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "inbound_messages" ADD CONSTRAINT "inbound_messages_outbound_message_id_fkey" FOREIGN KEY ("outbound_message_id") REFERENCES "outbound_messages"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "consent_events" ADD CONSTRAINT "consent_events_contact_id_fkey" FOREIGN KEY ("contact_id") REFERENCES "contacts"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "consent_events" ADD CONSTRAINT "consent_events_inbound_message_id_fkey" FOREIGN KEY ("inbound_message_id") REFERENCES "inbound_messages"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "imports" ADD CONSTRAINT "imports_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "import_rejections" ADD CONSTRAINT "import_rejections_import_id_fkey" FOREIGN KEY ("import_id") REFERENCES "imports"("id") ON DELETE CASCADE ON UPDATE CASCADE;
