-- Seed sends' delivery (`bluecast campaign plan NAME --seed`): followed as a
-- campaign message's is, by the same delivery reconciler (polls of get and
-- history) and the same webhook handler (text.delivery.*), with the message
-- state machine's edges, but kept in seed_sends so that no campaign count moves.
ALTER TABLE "seed_sends"
  ADD COLUMN "status"        message_status NOT NULL DEFAULT 'sent',
  ADD COLUMN "channel"       channel,
  ADD COLUMN "delivered_at"  TIMESTAMPTZ(3),
  ADD COLUMN "read_at"       TIMESTAMPTZ(3),
  ADD COLUMN "failed_at"     TIMESTAMPTZ(3),
  ADD COLUMN "delivery_error" TEXT,
  ADD COLUMN "next_poll_at"  TIMESTAMPTZ(3),
  ADD COLUMN "poll_attempts" INTEGER NOT NULL DEFAULT 0;
-- Sends the provider refused never went out.
UPDATE "seed_sends" SET "status" = 'failed' WHERE "provider_message_id" IS NULL;
-- Webhook reports find a seed send by the provider's id; the reconciler claims due polls.
CREATE INDEX "seed_sends_provider_message_id_idx" ON "seed_sends"("provider_message_id");
CREATE INDEX "seed_sends_next_poll_at_idx" ON "seed_sends"("next_poll_at") WHERE "next_poll_at" IS NOT NULL;
