-- The operator's inbox (src/inbox/). An operator's answer to a person is an
-- outbound message of its own kind, sent through the care send path (paced
-- per line, consent checked at the last moment), so that it shows in the
-- thread and in reports like every other message.
ALTER TYPE "message_kind" ADD VALUE IF NOT EXISTS 'operator_reply';

-- One row per thread (person + our line) that an operator has looked at or
-- triaged. A thread without a row is "open" and unread from its first reply.
-- unread is derived: a reply newer than last_read_at.
CREATE TABLE "inbox_threads" (
  "phone"        TEXT NOT NULL,
  "line"         TEXT NOT NULL,
  "state"        TEXT NOT NULL DEFAULT 'open',
  "last_read_at" TIMESTAMPTZ(3),
  "updated_at"   TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  CONSTRAINT "inbox_threads_pkey" PRIMARY KEY ("phone", "line"),
  CONSTRAINT "inbox_threads_state_check" CHECK ("state" IN ('open', 'needs_attention', 'done'))
);
