-- Test sends of a campaign to a seed list (`bluecast campaign plan NAME --seed`):
-- real rows rendered and sent to the operator's own phones. Kept out of
-- outbound_messages on purpose, so that the report rollups (triggers on that
-- table), the dispatcher's claims, the reconciler and the message state
-- machine never see them: a seed send never counts as a campaign send.
CREATE TABLE "seed_sends" (
  "id"                  BIGSERIAL NOT NULL,
  "campaign_id"         INTEGER NOT NULL,
  "recipient_id"        BIGINT,
  "to_phone"            TEXT NOT NULL,
  "from_line"           TEXT,
  "body"                TEXT NOT NULL,
  "variant_index"       INTEGER,
  "provider_message_id" TEXT,
  "error"               TEXT,
  "sent_at"             TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  CONSTRAINT "seed_sends_pkey" PRIMARY KEY ("id"),
  CONSTRAINT "seed_sends_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE
);
CREATE INDEX "seed_sends_campaign_id_sent_at_idx" ON "seed_sends"("campaign_id", "sent_at");
