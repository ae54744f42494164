-- What the operator did in a thread that is not a message: a tapback on a
-- message, a read receipt sent on opening the thread (src/inbox/inbox.ts).
-- Recorded once the provider accepted the call, so the thread's timeline
-- shows what the person saw, in order with the messages. The tapback names
-- the reacted-to message by its text, as the provider's reactions endpoint
-- does (the latest message with that text).
CREATE TABLE "inbox_actions" (
  "id"      BIGSERIAL NOT NULL,
  "phone"   TEXT NOT NULL,
  "line"    TEXT NOT NULL,
  "kind"    TEXT NOT NULL,
  "tapback" TEXT,
  "message" TEXT,
  "at"      TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  CONSTRAINT "inbox_actions_pkey" PRIMARY KEY ("id"),
  CONSTRAINT "inbox_actions_kind_check" CHECK ("kind" IN ('tapback', 'read_receipt')),
  CONSTRAINT "inbox_actions_tapback_check" CHECK (
    ("kind" = 'tapback' AND "tapback" IN ('love', 'like', 'dislike', 'laugh', 'emphasize', 'question') AND "message" IS NOT NULL)
    OR ("kind" = 'read_receipt' AND "tapback" IS NULL AND "message" IS NULL))
);
-- A thread's actions in time order (the timeline; the latest read receipt).
CREATE INDEX "inbox_actions_phone_line_at_idx" ON "inbox_actions" ("phone", "line", "at");
