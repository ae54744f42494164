-- Dashboard sessions live on the server: each login gets its own random id,
-- logout deletes the row, and a session ends after an idle and an absolute
-- lifetime. Only a hash of the cookie value is stored, so that a read of this
-- table gives no one a session; token_tag (a MAC of the API token) ends every
-- session when the token is rotated.
CREATE TABLE "dashboard_sessions" (
    "id_hash" TEXT NOT NULL,
    "token_tag" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "dashboard_sessions_pkey" PRIMARY KEY ("id_hash")
);
CREATE INDEX "dashboard_sessions_expires_at_idx" ON "dashboard_sessions"("expires_at");

-- Webhook events that cannot be processed stop after a bounded number of
-- tries in a visible dead-letter state (dead_lettered_at, with last_error the
-- reason) instead of being retried for ever; `bluecast webhooks retry` puts
-- them back. An event whose JSON PostgreSQL cannot hold as jsonb (nested
-- deeper than its parser's stack allows) is kept as the raw text it was
-- signed as, payload NULL, rather than refused: a refusal would make the
-- provider send it again for ever.
ALTER TABLE "webhook_events" ADD COLUMN "dead_lettered_at" TIMESTAMPTZ(3);
ALTER TABLE "webhook_events" ADD COLUMN "raw_body" TEXT;
ALTER TABLE "webhook_events" ALTER COLUMN "payload" DROP NOT NULL;
ALTER TABLE "webhook_events" ADD CONSTRAINT "webhook_events_payload_or_raw" CHECK ("payload" IS NOT NULL OR "raw_body" IS NOT NULL);
CREATE INDEX "webhook_events_dead_lettered_at_idx" ON "webhook_events"("dead_lettered_at") WHERE "dead_lettered_at" IS NOT NULL;
