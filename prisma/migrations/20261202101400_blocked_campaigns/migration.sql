-- "Blocked": the provider refused the account rather than a message (401,
-- 403, a line not leased, fast track not allowed). Every further send of the
-- campaign would be refused too, so the campaign stops with the provider's
-- reason and any URL it gave (an agreement to accept), its remaining messages
-- stay queued, and `campaign resume` carries on once the user fixed it.
ALTER TYPE "campaign_status" ADD VALUE IF NOT EXISTS 'blocked';
ALTER TABLE "campaigns"
  ADD COLUMN "blocked_reason" TEXT,
  ADD COLUMN "blocked_url" TEXT,
  ADD COLUMN "blocked_at" TIMESTAMPTZ(3);
