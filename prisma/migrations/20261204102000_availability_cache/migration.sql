-- The provider's iMessage availability answers (GET availability/imessage/{to}),
-- one row per phone number: the launch planner's channel split
-- (`bluecast campaign plan NAME --check-availability`). Keyed by the number,
-- not by contacts.id: a campaign's recipients become contacts only when a run
-- first enqueues them, and the check runs before launch. checked_at is the
-- answer's age; the planner treats answers older than
-- BLUECAST_AVAILABILITY_MAX_AGE_HOURS as unknown and asks again.
CREATE TABLE "availability_cache" (
  "phone"      TEXT NOT NULL,
  "available"  BOOLEAN NOT NULL,
  "checked_at" TIMESTAMPTZ(3) NOT NULL,
  CONSTRAINT "availability_cache_pkey" PRIMARY KEY ("phone")
);
