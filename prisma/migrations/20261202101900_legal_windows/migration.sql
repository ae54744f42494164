-- Legal send windows and frequency caps (issue #19).
--
-- "expired": a campaign message that had not gone out by its campaign's
-- send-by deadline; it is never sent late. Terminal, like skipped.
ALTER TYPE "message_status" ADD VALUE IF NOT EXISTS 'expired';

-- Campaign settings the rule engine reads:
--  transactional: not marketing, so only the rules that apply to all texts
--    (the federal hours) and the campaign's own limits apply;
--  send_by: nothing goes out at or after it;
--  recent_contact_hours: skip (or hold) people messaged by any campaign within it;
--  on_cap: a message held by a frequency cap waits for it, or is skipped.
ALTER TABLE "campaigns"
  ADD COLUMN "transactional" BOOLEAN NOT NULL DEFAULT false,
  ADD COLUMN "send_by" TIMESTAMPTZ(3),
  ADD COLUMN "recent_contact_hours" INTEGER,
  ADD COLUMN "on_cap" TEXT NOT NULL DEFAULT 'wait',
  ADD CONSTRAINT "campaigns_on_cap_check" CHECK ("on_cap" IN ('wait', 'skip')),
  ADD CONSTRAINT "campaigns_recent_contact_hours_check" CHECK ("recent_contact_hours" IS NULL OR "recent_contact_hours" > 0);

-- Per message:
--  not_before: the first instant the rules allow it (from the engine, when it
--    is enqueued and again when a claim finds it held); the claim filters on it;
--  hold_reasons: why it waits, or why it was skipped or expired: a JSON array
--    of {rule, jurisdiction, kind, until, ...} from the engine;
--  legal_cleared_at: when a claim found it allowed (caps included). Caps count
--    a person's messages by COALESCE(sent_at, legal_cleared_at), so a message
--    cleared by one worker counts against the same person's next message at
--    another worker before its send is even recorded;
--  expired_at: when it expired.
ALTER TABLE "outbound_messages"
  ADD COLUMN "not_before" TIMESTAMPTZ(3),
  ADD COLUMN "hold_reasons" JSONB,
  ADD COLUMN "legal_cleared_at" TIMESTAMPTZ(3),
  ADD COLUMN "expired_at" TIMESTAMPTZ(3);

-- A person's recent campaign messages, for the caps: read per claimed batch.
CREATE INDEX "outbound_messages_contact_id_sent_at_idx" ON "outbound_messages"("contact_id", "sent_at");
